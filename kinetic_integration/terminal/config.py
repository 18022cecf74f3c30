"""How to reach one terminal, and what a kind of terminal can do."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ..models.common import TerminalKind, TransactionType
from ..money import DEFAULT_MAX_AMOUNT


class Capability(StrEnum):
    """What a kind of terminal can do; checked before anything is sent."""

    SALE = "sale"
    REFUND = "refund"
    REVERSAL = "reversal"
    RECONCILIATION = "reconciliation"
    TIP = "tip"
    CASHBACK = "cashback"
    RECEIPTS = "receipts"
    PRINT = "print"
    SCREEN = "screen"
    OFFLINE_TRANSACTIONS = "offline_transactions"
    CANCEL = "cancel"
    TRANSACTION_LOOKUP = "transaction_lookup"
    LATEST_TRANSACTION = "latest_transaction"
    SERIAL = "serial"
    PASSTHROUGH = "passthrough"
    #: Pre-authorisation (hold funds without a sale).
    AUTHORIZE = "authorize"
    #: The terminal reports its own configuration (:meth:`Terminal.settings`).
    SETTINGS = "settings"
    #: The terminal lists its own transaction database, sales started on it included.
    TRANSACTION_HISTORY = "transaction_history"


_CAPABILITY_FOR_TYPE = {
    TransactionType.SALE: Capability.SALE,
    TransactionType.REFUND: Capability.REFUND,
    TransactionType.REVERSAL: Capability.REVERSAL,
    TransactionType.RECONCILIATION: Capability.RECONCILIATION,
    TransactionType.AUTHORIZATION: Capability.AUTHORIZE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalConfig:
    """How to reach one terminal, and how patiently to wait for it.

    ``port`` ``None`` means the kind's default. ``transaction_timeout`` is how long the
    customer has (the Payment Engine request's own timeout; for the other kinds how long
    we wait for a final result). ``poll_interval`` ``None`` means the kind's default
    (the Payment Engine's respects its rate limit). ``recovery_grace`` is added to the
    Payment Engine wait so a request is polled past its own timeout; DeviceService adds
    a tenth of the transaction timeout (at least 1 s, at most ``recovery_grace``) after
    its blocking POST.
    ``blocking_request_timeout`` caps one blocking DeviceService POST before switching to
    recovery by uuid (``None``: the whole transaction timeout).
    """

    kind: TerminalKind = TerminalKind.KINETIC_GO
    host: str = "127.0.0.1"
    port: int | None = None
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    pin: str | None = field(default=None, repr=False)
    device_key: str | None = None
    base_url: str | None = None
    max_amount: Decimal | None = DEFAULT_MAX_AMOUNT
    request_timeout: float = 10.0
    transaction_timeout: float = 180.0
    poll_interval: float | None = None
    recovery_grace: float = 30.0
    blocking_request_timeout: float | None = None
