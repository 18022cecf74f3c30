"""Printer instructions (Kinetic Go 2 receipts and print jobs) as plain text lines.

Within one print buffer the terminal places text by its ``y`` position, not by its
order in the array, so lines are sorted by ``y`` then ``x``. A ``scroll`` or
``flush`` ends a buffer: text after it starts again at ``y = 0``. Numbers sent as
strings and the ``mount`` misspelling of ``amount`` are tolerated; unknown commands
are ignored.

Kinds without receipts get one built from the transaction in the same instruction
format (``transaction_instructions``), so every receipt goes through ``receipt_lines``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .models.common import Transaction, mask_pan
from .money import format_amount

_BUFFER_BREAKS = frozenset({"scroll", "flush"})
#: Dots between built lines, the spacing a Kinetic Go 2 prints with.
_LINE_HEIGHT = 30
#: A run of 12 or more digits (spaces, dots and dashes between them allowed) may be a
#: card number, which must never be shown, whichever line it hides in (next to letters
#: too: "VISA-4111…", "CARD4111…").
_CARD_NUMBER = re.compile(r"(?<![0-9])[0-9](?:[ .-]?[0-9]){11,}(?![0-9])")
#: A UUID (our references): its digit runs are no card number.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: The longest card number (ISO/IEC 7812); a longer run is masked whatever it is.
_LONGEST_PAN = 19


def _luhn_valid(digits: list[str]) -> bool:
    """Whether the digits pass the Luhn check every issued card number passes."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _number(value: Any) -> Decimal:
    """Read a coordinate sent as a number or a string; anything unreadable counts as 0."""
    if isinstance(value, bool) or value is None:
        return Decimal(0)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)


def scroll_amount(instruction: Mapping[str, Any]) -> Decimal:
    """Return the dots a ``scroll`` moves, reading the documented ``mount`` typo too."""
    return _number(instruction.get("amount", instruction.get("mount")))


def receipt_lines(instructions: Iterable[Any]) -> list[str]:
    """Turn an array of printer instructions into ordered plain-text lines."""
    lines: list[str] = []
    buffer: list[tuple[Decimal, Decimal, int, str]] = []

    def flush() -> None:
        for *_position, text in sorted(buffer):
            lines.extend(text.splitlines() or [""])
        buffer.clear()

    for index, instruction in enumerate(instructions):
        if not isinstance(instruction, Mapping):
            continue
        command = str(instruction.get("command", "")).strip().lower()
        if command == "text":
            text = instruction.get("text")
            if text is None:
                continue
            buffer.append(
                (_number(instruction.get("y")), _number(instruction.get("x")), index, str(text))
            )
        elif command in _BUFFER_BREAKS:
            flush()
    flush()
    return lines


def redact_card_numbers(lines: Iterable[str]) -> list[str]:
    """Return the lines with anything that looks like a full card number masked.

    Terminals print masked PANs, but a receipt shown on a dashboard must not carry a
    full one even from a misbehaving terminal: only the last four digits are kept. A
    run that fails the Luhn check, or lies inside a UUID (our references), is no card
    number and is shown as it is; one longer than any card number is masked anyway.
    """

    def redact(line: str) -> str:
        uuids = [found.span() for found in _UUID.finditer(line)]

        def mask(match: re.Match[str]) -> str:
            start, end = match.span()
            if any(first <= start and end <= last for first, last in uuids):
                return match.group()
            digits = [char for char in match.group() if char.isdigit()]
            if len(digits) <= _LONGEST_PAN and not _luhn_valid(digits):
                # Every card number passes Luhn; a terminal id or an order number mostly not.
                return match.group()
            return "*" * (len(digits) - 4) + "".join(digits[-4:])

        return _CARD_NUMBER.sub(mask, line)

    return [redact(line) for line in lines]


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _money(value: Decimal | None) -> str | None:
    return format_amount(value) if value is not None else None


def _label(value: str) -> str:
    return value.replace("_", " ").upper()


def _terminal_ref(txn: Transaction) -> str | None:
    """Return the terminal's id of the transaction, unless it is our reference already."""
    ref = txn.request_key or txn.terminal_id
    return ref if ref != txn.reference else None


def transaction_instructions(
    txn: Transaction, *, merchant: str, terminal: str | None = None
) -> list[dict[str, object]]:
    """Build the printer instructions of a receipt from a transaction.

    For kinds whose terminals produce no receipts. Only the masked PAN of the card is
    shown (masked again here, in case a terminal sent a full one).
    """
    pairs: list[tuple[str, str | None]] = [
        ("", merchant),
        ("TERMINAL: ", terminal),
        ("", _when(txn.ended_at or txn.started_at)),
        ("", _label(txn.type.value)),
        ("CARD: ", mask_pan(txn.masked_pan)),
        ("", txn.card_network.upper() if txn.card_network else None),
        ("", _label(txn.entry_mode) if txn.entry_mode else None),
        ("AMOUNT: ", _money(txn.amount)),
        ("TIP: ", _money(txn.tip) if txn.tip else None),
        ("CASHBACK: ", _money(txn.cashback) if txn.cashback else None),
        ("TOTAL: ", _money(txn.total)),
        ("", _label(txn.result.value)),
        ("AUTH CODE: ", txn.auth_code),
        ("REF: ", txn.reference),
        ("TERMINAL REF: ", _terminal_ref(txn)),
        ("TID: ", txn.reader_terminal_id),
        # DeviceService SignatureRequired: "Collect signature on merchant receipt".
        ("", "SIGNATURE: ____________________" if txn.signature_required else None),
    ]
    texts = redact_card_numbers(f"{label}{value}" for label, value in pairs if value)
    instructions: list[dict[str, object]] = [{"command": "scroll", "amount": 100}]
    instructions.extend(
        {"command": "text", "text": text, "x": 0, "y": index * _LINE_HEIGHT}
        for index, text in enumerate(texts)
    )
    instructions.extend(({"command": "flush"}, {"command": "scroll", "amount": 100}))
    return instructions


def transaction_receipt(
    txn: Transaction, *, merchant: str, terminal: str | None = None
) -> list[str]:
    """Return the text lines of a receipt built from a transaction."""
    return receipt_lines(transaction_instructions(txn, merchant=merchant, terminal=terminal))
