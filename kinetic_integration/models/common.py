"""The vocabulary shared by all three kinds of terminal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class TerminalKind(StrEnum):
    """The three APIs this library speaks."""

    KINETIC_GO = "kinetic-go"
    DEVICE_SERVICE = "device-service"
    PAYMENT_ENGINE = "payment-engine"


class TransactionResult(StrEnum):
    """One result vocabulary across kinds.

    ``PENDING`` and ``UNKNOWN`` are not final: the money may or may not have moved.
    They are never reported as declined and never a reason to charge again.
    """

    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ERROR = "error"
    TIMEOUT = "timeout"
    PENDING = "pending"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Whether the terminal has confirmed this outcome (nothing will change)."""
        return self not in (TransactionResult.PENDING, TransactionResult.UNKNOWN)


class TransactionType(StrEnum):
    """What a transaction does."""

    SALE = "sale"
    REFUND = "refund"
    REVERSAL = "reversal"
    RECONCILIATION = "reconciliation"


class ReceiptCopy(StrEnum):
    """Which copy of a receipt."""

    MERCHANT = "merchant"
    CARDHOLDER = "cardholder"
    RECONCILIATION = "reconciliation"


_FULL_PAN = re.compile(r"[0-9][0-9 .-]{11,}[0-9]")


def mask_pan(value: str | None) -> str | None:
    """Return a masked PAN; a value that looks like a full PAN is masked here.

    Terminals send masked PANs, but a misbehaving one must not make us store a
    full card number: keep at most the last four digits.
    """
    if value is None:
        return None
    digits = [c for c in value if c.isdigit()]
    if _FULL_PAN.fullmatch(value.strip()) and len(digits) >= 12:
        return "*" * (len(digits) - 4) + "".join(digits[-4:])
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Transaction:
    """A transaction as any kind of terminal reports it, in one shape.

    ``reference`` is the id the client chose (Kinetic Go transaction id,
    DeviceService uuid, our reference for a Payment Engine request);
    ``terminal_id`` is the terminal's own identifier where it has one (the
    Payment Engine request key or transaction key). Money is in major units.
    No card data beyond the masked PAN is ever kept.
    """

    kind: TerminalKind
    reference: str
    type: TransactionType
    result: TransactionResult
    amount: Decimal | None = None
    tip: Decimal | None = None
    cashback: Decimal | None = None
    total: Decimal | None = None
    auth_code: str | None = None
    masked_pan: str | None = None
    card_network: str | None = None
    entry_mode: str | None = None
    terminal_id: str | None = None
    request_key: str | None = None
    status: str | None = None
    message: str | None = None
    signature_required: bool | None = None
    is_offline: bool | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    #: The gateway recognised this as a duplicate of an earlier identical charge and
    #: answered with that one (Payment Engine): no new money moved.
    is_duplicate: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalStatus:
    """What a terminal says about itself right now."""

    kind: TerminalKind
    online: bool
    busy: bool
    screen: str | None = None
    offline_count: int | None = None
    stored_records: int | None = None
    serial: str | None = None
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
