"""Printer instructions to text lines."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from kinetic_integration.receipts import receipt_lines, scroll_amount

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
