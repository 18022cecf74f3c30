"""How the Payment Engine facade fills pay request fields the seed constrains.

- Our reference travels with every request, so the batch search can find a request
  whose create answer was lost: as ``orderid``, or, when the caller sent an order id
  of their own, as the word ``kinetic-ref:<reference>`` in the merchant-only
  ``comments`` (an order id of the caller's may name several sales, so it proves
  nothing by itself).
- A tip is part of the charged ``amount``; the seed's rule ``amount = subtotal -
  discount + shipping + duty + tax`` has no tip term, so the tip goes into the subtotal
  too (the facade's amount and the caller's subtotal are before the tip).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..models.payment_engine import AmountDetail, PeTransaction
from ..money import parse_amount

#: The word of ``comments`` that carries our reference.
REFERENCE_MARK = "kinetic-ref:"


def carry_reference(comments: object, reference: str) -> str:
    """Return the caller's ``comments`` with our reference appended as a word."""
    mark = f"{REFERENCE_MARK}{reference}"
    text = str(comments).strip() if comments is not None else ""
    return f"{text} {mark}" if text else mark


def carries_reference(txn: PeTransaction, reference: str) -> bool:
    """Whether a gateway transaction was sent for ``reference`` (by orderid or comment)."""
    if txn.orderid == reference:
        return True
    return f"{REFERENCE_MARK}{reference}" in (txn.comments or "").split()


def with_tip_detail(detail: AmountDetail | Mapping[str, Any] | None, tip: Decimal) -> AmountDetail:
    """Return ``amount_detail`` with the tip, its subtotal (if sent) raised by the tip."""
    if isinstance(detail, Mapping):
        detail = AmountDetail(**detail)
    detail = detail or AmountDetail()
    subtotal = detail.subtotal
    if subtotal is not None:
        subtotal = (
            parse_amount(subtotal, max_amount=None, field="amount_detail.subtotal", allow_zero=True)
            + tip
        )
    return dataclasses.replace(detail, tip=tip, subtotal=subtotal)
