"""Printer instructions to text lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kinetic_integration.models.common import (
    TerminalKind,
    Transaction,
    TransactionResult,
    TransactionType,
)
from kinetic_integration.receipts import (
    receipt_lines,
    redact_card_numbers,
    scroll_amount,
    transaction_instructions,
    transaction_receipt,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_seed_shaped_receipt() -> None:
    """Sorted by y within a buffer; scroll and flush split buffers; quirks tolerated."""
    receipt = json.loads((FIXTURES / "go_receipt.json").read_text())["receipt"]
    assert receipt_lines(receipt) == [
        "SHOP NAME",
        "SALE",
        "TOTAL  12.34",
        "THANK YOU",
        "PLEASE KEEP",
        "APPROVED",
        "MERCHANT COPY",
    ]


def test_same_y_sorted_by_x_then_order() -> None:
    instructions = [
        {"command": "text", "text": "right", "x": 200, "y": 10},
        {"command": "text", "text": "left", "x": 0, "y": 10},
        {"command": "text", "text": "first", "x": 0, "y": "0"},
        {"command": "text", "text": "left again", "x": 0, "y": 10},
    ]
    assert receipt_lines(instructions) == ["first", "left", "left again", "right"]


def test_tolerates_junk() -> None:
    instructions: list[Any] = [
        "not an object",
        None,
        {"command": "text"},  # no text
        {"command": "text", "text": "bad coords", "x": "left", "y": "NaN"},
        {"command": "barcode", "text": "ignored"},
        {"text": "no command"},
        {"command": "TEXT", "text": "upper", "x": 0, "y": 5},
        {"command": "text", "text": 42, "y": True},
        {"command": "scroll", "mount": "100"},
    ]
    assert receipt_lines(instructions) == ["bad coords", "42", "upper"]


def test_empty_and_scroll_amounts() -> None:
    assert receipt_lines([]) == []
    assert receipt_lines([{"command": "scroll", "amount": 100}, {"command": "flush"}]) == []
    assert scroll_amount({"command": "scroll", "amount": "100"}) == Decimal(100)
    assert scroll_amount({"command": "scroll", "mount": 100}) == Decimal(100)
    assert scroll_amount({"command": "scroll"}) == Decimal(0)


def _transaction(**changes: Any) -> Transaction:
    values: dict[str, Any] = {
        "kind": TerminalKind.PAYMENT_ENGINE,
        "reference": "ref-42",
        "type": TransactionType.SALE,
        "result": TransactionResult.APPROVED,
        "amount": Decimal("42.5"),
        "tip": Decimal("7.50"),
        "total": Decimal("50.00"),
        "auth_code": "A1B2C3",
        "masked_pan": "************1111",
        "card_network": "visa",
        "entry_mode": "contactless",
        "request_key": "pr_key_1",
        "ended_at": datetime(2026, 11, 22, 12, 30, 5, tzinfo=UTC),
    }
    values.update(changes)
    return Transaction(**values)


def test_receipt_built_from_a_transaction() -> None:
    """Every detail a receipt shows, in order, in the printer instruction format."""
    txn = _transaction()
    instructions = transaction_instructions(txn, merchant="Cafe", terminal="Counter")
    assert instructions[0] == {"command": "scroll", "amount": 100}
    assert instructions[-2:] == [{"command": "flush"}, {"command": "scroll", "amount": 100}]
    assert transaction_receipt(txn, merchant="Cafe", terminal="Counter") == [
        "Cafe",
        "TERMINAL: Counter",
        "2026-11-22 12:30:05 UTC",
        "SALE",
        "CARD: **** 1111",
        "VISA",
        "CONTACTLESS",
        "AMOUNT: 42.50",
        "TIP: 7.50",
        "TOTAL: 50.00",
        "APPROVED",
        "AUTH CODE: A1B2C3",
        "REF: ref-42",
        "TERMINAL REF: pr_key_1",
    ]


def test_built_receipt_leaves_out_what_is_missing() -> None:
    """A declined refund without card or times: only what is known, no zero tip.

    The total is the amount (a transaction's total is amount + tip + cashback wherever
    the amount is known), as a DeviceService terminal reports it for a decline too.
    """
    txn = _transaction(
        type=TransactionType.REFUND,
        result=TransactionResult.DECLINED,
        tip=Decimal("0.00"),
        total=None,
        auth_code=None,
        masked_pan=None,
        card_network=None,
        entry_mode="chip_and_pin",
        request_key=None,
        terminal_id="T-9",
        ended_at=None,
        started_at=datetime(2026, 1, 2, 3, 4, 5),  # noqa: DTZ001 - a terminal's local time
    )
    assert transaction_receipt(txn, merchant="Cafe") == [
        "Cafe",
        "2026-01-02 03:04:05",
        "REFUND",
        "CHIP AND PIN",
        "AMOUNT: 42.50",
        "TOTAL: 42.50",
        "DECLINED",
        "REF: ref-42",
        "TERMINAL REF: T-9",
    ]


def test_full_card_numbers_never_shown() -> None:
    """A full PAN, from the transaction or a terminal's receipt, keeps only its last four."""
    txn = _transaction(masked_pan="4111111111111111", reference="4111 1111 1111 1111")
    lines = transaction_receipt(txn, merchant="Cafe")
    assert "CARD: **** 1111" in lines
    assert "REF: ************1111" in lines
    assert not any("41111111" in line.replace(" ", "") for line in lines)
    assert redact_card_numbers(
        ["CARD 5500-0000-0000-0004 OK", "AMOUNT: 12.50", "TID 12345678901", "ok"]
    ) == ["CARD ************0004 OK", "AMOUNT: 12.50", "TID 12345678901", "ok"]


def test_references_are_no_card_numbers() -> None:
    """A UUID reference's digit runs and a number failing Luhn are shown as they are."""
    lines = [
        "REF: 40232101-0052-4567-8a3c-123456789012",
        "REF: 12345678-1234-1234-1234-12345678901a",
        "ORDER 1234567890123",
    ]
    assert redact_card_numbers(lines) == lines
    # Luhn-valid, spaced, dotted, next to letters, or longer than any card: masked.
    assert redact_card_numbers(
        [
            "PAN 4111.1111.1111.1111",
            "x 378282246310005",
            "12345678901234567890",
            "VISA-4111111111111111",
            "CARD4111111111111111",
            "4111111111111111A",
            # A card number glued to a UUID's end is not inside the UUID.
            "40232101-0052-4567-8a3c-1234567890ab4111111111111111",
        ]
    ) == [
        "PAN ************1111",
        "x ***********0005",
        "****************7890",
        "VISA-************1111",
        "CARD************1111",
        "************1111A",
        "40232101-0052-4567-8a3c-1234567890ab************1111",
    ]
