"""The vocabulary shared by all three kinds of terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .normalise import auth_code as _auth_code
from .normalise import card_network as _card_network
from .normalise import mask_pan, money

# mask_pan moved to .normalise; it is still importable from here.
__all__ = [
    "ReceiptCopy",
    "TerminalKind",
    "TerminalStatus",
    "Transaction",
    "TransactionResult",
    "TransactionType",
    "mask_pan",
]


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
    #: Aborted or timed out: the terminal does not say which (DeviceService ``void``).
    #: Final, and no money moved.
    VOID = "void"
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
    #: A pre-authorisation (Payment Engine ``authonly``): funds held, not a sale.
    AUTHORIZATION = "authorization"


class ReceiptCopy(StrEnum):
    """Which copy of a receipt."""

    MERCHANT = "merchant"
    CARDHOLDER = "cardholder"
    RECONCILIATION = "reconciliation"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transaction:
    """A transaction as any kind of terminal reports it, in one shape.

    ``reference`` is the id the client chose (Kinetic Go transaction id,
    DeviceService uuid, our reference for a Payment Engine request);
    ``terminal_id`` is the terminal's own identifier of the transaction where it has
    one (the Kinetic Go host reference number, the DeviceService ``TransactionId``, the
    Payment Engine transaction key). ``reader_terminal_id`` is the reader's own id
    (DeviceService ``TerminalId``, the same for every transaction of that reader).
    Money is in major units. No card data beyond the masked PAN is ever kept.
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
    #: The reader's terminal id (DeviceService ``TerminalId``): names the reader, never
    #: the transaction.
    reader_terminal_id: str | None = None
    #: The card was read contactless (DeviceService ``IsContactless``).
    is_contactless: bool | None = None
    #: The cardholder was verified by PIN (DeviceService ``VerifiedByPin``).
    verified_by_pin: bool | None = None
    #: The cardholder was verified on their own device, e.g. a phone (DeviceService
    #: ``VerifiedByOdcvm``).
    verified_on_device: bool | None = None
    #: The host's answer to an offline transaction once synced ("00" approved, anything
    #: else declined; None while not synced; DeviceService ``ResponseCode``).
    response_code: str | None = None
    #: The gateway recognised this as a duplicate of an earlier identical charge and
    #: answered with that one (Payment Engine): no new money moved.
    is_duplicate: bool | None = None
    #: The token of the card saved for future payments (Payment Engine ``save_card``).
    #: A credential: kept out of the representation, never logged.
    card_token: str | None = field(default=None, repr=False)
    #: This transaction has since been reversed (voided) on the terminal (Kinetic Go).
    is_reversed: bool | None = None
    #: Approved by the merchant while the host could not be reached (deferred
    #: authorisation, Kinetic Go): the terminal keeps trying the host; the merchant
    #: carries the risk until it does.
    is_deferred_auth: bool | None = None
    deferred_auth_attempts: int | None = None
    last_deferred_auth_attempt_at: datetime | None = None

    def __post_init__(self) -> None:
        """Put the card and money fields in one shape, however the terminal sent them.

        Whoever builds a Transaction (see :mod:`.normalise`): ``masked_pan`` is
        ``**** 0119``, ``card_network`` a :class:`~.normalise.CardNetwork` value,
        ``auth_code`` is set only on an approved transaction, and where the amount is
        known ``tip`` and ``cashback`` are Decimals (0.00 if none) and ``total`` is the
        terminal's own total, else amount + tip + cashback.
        """
        # Frozen: set through object.__setattr__, once, while the instance is being built.
        parts = money(self.amount, tip=self.tip, cashback=self.cashback, total=self.total)
        approved = self.result is TransactionResult.APPROVED
        network = _card_network(self.card_network)
        for name, value in (
            ("masked_pan", mask_pan(self.masked_pan)),
            ("card_network", network.value if network is not None else None),
            ("auth_code", _auth_code(self.auth_code, approved=approved)),
            ("tip", parts.tip),
            ("cashback", parts.cashback),
            ("total", parts.total),
        ):
            object.__setattr__(self, name, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalStatus:
    """What a terminal says about itself right now."""

    kind: TerminalKind
    online: bool
    busy: bool
    screen: str | None = None
    offline_count: int | None = None
    stored_records: int | None = None
    #: Whether the terminal takes offline transactions (DeviceService
    #: ``SupportOfflineTransaction``); None where the kind does not say.
    supports_offline: bool | None = None
    serial: str | None = None
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
