"""Printer instructions (Kinetic Go 2 receipts and print jobs) as plain text lines.

Within one print buffer the terminal places text by its ``y`` position, not by its
order in the array, so lines are sorted by ``y`` then ``x``. A ``scroll`` or
``flush`` ends a buffer: text after it starts again at ``y = 0``. Numbers sent as
strings and the ``mount`` misspelling of ``amount`` are tolerated; unknown commands
are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_BUFFER_BREAKS = frozenset({"scroll", "flush"})


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
