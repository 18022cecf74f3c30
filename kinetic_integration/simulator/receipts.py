"""Receipts as printer-instruction arrays, the way a Kinetic Go 2 device renders them.

Faithful to the seed's quirks: the cardholder copy's scroll has its amount as a string
(``"amount": "100"``) and the reconciliation copy misspells the key (``"mount"``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .card import MASKED_PAN_STARS
from .transaction import SimTransaction

_LINE = 30
_ENTRY = {"tap": "CONTACTLESS", "insert": "CHIP", "swipe": "SWIPED", "keyed": "KEYED"}


def _money(amount: Decimal) -> str:
    return f"GBP {amount:.2f}"


def _stamp(epoch: float) -> str:
    return time.strftime("%d/%m/%Y %H:%M:%S", time.gmtime(epoch))


def _instructions(lines: Iterable[str], *, scroll_key: str, scroll_amount: object) -> list[Any]:
    out: list[Any] = [{"command": "scroll", scroll_key: scroll_amount}]
    for index, text in enumerate(lines):
        out.append(
            {"command": "text", "text": text, "x": 32, "y": 32 + index * _LINE, "font_size": 12}
        )
    out.append({"command": "flush"})
    out.append({"command": "scroll", scroll_key: scroll_amount})
    return out


def transaction_lines(
    txn: SimTransaction, *, merchant: str, terminal_id: str, copy: str
) -> list[str]:
    """Return the text of a merchant or cardholder copy."""
    lines = [merchant, f"TID: {terminal_id}", _stamp(txn.started_at), txn.type.upper()]
    if txn.card is not None:
        lines += [f"CARD: {MASKED_PAN_STARS}", _ENTRY.get(txn.card.entry, "")]
    if txn.type == "reversal" and txn.reference_txn_id:
        lines.append(f"REVERSES: {txn.reference_txn_id}")
    lines.append(f"AMOUNT: {_money(txn.amount)}")
    if txn.tip:
        lines.append(f"TIP: {_money(txn.tip)}")
    if txn.cashback:
        lines.append(f"CASHBACK: {_money(txn.cashback)}")
    lines.append(f"TOTAL: {_money(txn.total)}")
    lines.append((txn.result or "in progress").upper())
    if txn.auth_code:
        lines.append(f"AUTH CODE: {txn.auth_code}")
    if txn.pin_entered:
        lines.append("PIN VERIFIED")
    if txn.signature_required and copy == "merchant":
        lines += ["PLEASE SIGN BELOW", "", "X______________________"]
    lines += [f"REF: {txn.id}", f"{copy.upper()} COPY", "PLEASE RETAIN FOR YOUR RECORDS"]
    return lines


def reconciliation_lines(
    txn: SimTransaction, session: list[SimTransaction], *, merchant: str, terminal_id: str
) -> list[str]:
    """Return the text of an end-of-day report over the transactions of one session."""
    sales = [
        t for t in session if t.type == "sale" and t.result == "approved" and not t.is_reversed
    ]
    refunds = [t for t in session if t.type == "refund" and t.result == "approved"]
    total_sales = sum((t.total for t in sales), Decimal("0.00"))
    total_refunds = sum((t.total for t in refunds), Decimal("0.00"))
    return [
        merchant,
        f"TID: {terminal_id}",
        _stamp(txn.started_at),
        "RECONCILIATION",
        f"SESSION: {txn.session_number}",
        f"SALES: {len(sales)} {_money(total_sales)}",
        f"REFUNDS: {len(refunds)} {_money(total_refunds)}",
        f"NET: {_money(total_sales - total_refunds)}",
        (txn.result or "in progress").upper(),
        "MERCHANT COPY",
    ]


def merchant_receipt(lines: list[str]) -> list[Any]:
    """Merchant copy: clean integers."""
    return _instructions(lines, scroll_key="amount", scroll_amount=100)


def cardholder_receipt(lines: list[str]) -> list[Any]:
    """Cardholder copy: the seed's scroll amount as a string."""
    return _instructions(lines, scroll_key="amount", scroll_amount="100")


def reconciliation_receipt(lines: list[str]) -> list[Any]:
    """Reconciliation copy: the seed's misspelled ``mount`` key."""
    return _instructions(lines, scroll_key="mount", scroll_amount=100)
