"""Scripted outcomes: the cents of an amount decide what the simulated customer and host do."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Outcome(StrEnum):
    """What will happen to a transaction, chosen by the cents of its amount."""

    APPROVED = "approved"
    DECLINED = "declined"  # .01
    PIN_THEN_APPROVED = "pin_then_approved"  # .02
    NO_CARD = "no_card"  # .03: the customer never presents a card (card-wait timeout)
    CUSTOMER_CANCELS = "customer_cancels"  # .04
    HOST_ERROR = "host_error"  # .05
    SIGNATURE = "signature"  # .06: approved, signature captured


_BY_CENTS = {
    1: Outcome.DECLINED,
    2: Outcome.PIN_THEN_APPROVED,
    3: Outcome.NO_CARD,
    4: Outcome.CUSTOMER_CANCELS,
    5: Outcome.HOST_ERROR,
    6: Outcome.SIGNATURE,
}


def outcome_for(amount: Decimal) -> Outcome:
    """Return the scripted outcome for an amount in major units (any other cents: approved)."""
    cents = int((amount * 100) % 100)
    return _BY_CENTS.get(cents, Outcome.APPROVED)
