"""Models of the USAePay Payment Engine pay-request API.

Requests: :class:`PayRequestParams` with every documented parameter, serialised
with amounts as exact decimal strings. Responses: :class:`PayRequest`,
:class:`PeTransaction` and :class:`PeDevice`, built from validated bodies; of the
card only the masked number, the card type and the entry mode are kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import voluptuous as vol

from ..errors import KineticInputError
from ..money import format_amount, parse_amount
from . import _coerce as c
from .common import (
    TerminalKind,
    Transaction,
    TransactionResult,
    TransactionType,
    mask_pan,
)

#: Commands a pay request accepts (the ``cc:`` prefix of the curl examples is allowed too).
PAY_COMMANDS = frozenset({"sale", "authonly", "refund"})
#: Screens a ``custom_flow`` may name.
CUSTOM_FLOW_SCREENS = frozenset({"payment", "amount", "result", "signature", "signature_required"})
_INVOICE_MAX = 11

_RESULT_CODES = {
    "A": TransactionResult.APPROVED,
    # Partial approval: money moved, for auth_amount.
    "P": TransactionResult.APPROVED,
    "D": TransactionResult.DECLINED,
    "E": TransactionResult.ERROR,
}
_CANCELLED_STATUSES = frozenset({"canceled", "cancelled", "transaction canceled"})
_ERROR_STATUSES = frozenset({"transaction failed", "error", "signature capture error"})
_COMMAND_TYPES = {
    "sale": TransactionType.SALE,
    "authonly": TransactionType.SALE,
    "refund": TransactionType.REFUND,
    "credit": TransactionType.REFUND,
}


# --- Requests -----------------------------------------------------------------


def _money(value: Decimal | None, name: str, *, allow_zero: bool = True) -> str | None:
    if value is None:
        return None
    return format_amount(parse_amount(value, max_amount=None, field=name, allow_zero=allow_zero))


def _decimal_text(value: object, name: str) -> str | None:
    # Rates and quantities are not money: any finite non-negative decimal.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise KineticInputError(f"{name} must be a Decimal, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise KineticInputError(f"{name} must be a finite, non-negative number")
    return str(number)


def _yes_no(value: bool | None) -> str | None:
    if value is None:
        return None
    return "Y" if value else "N"


def _compact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountDetail:
    """``amount_detail``.

    If ``subtotal`` is sent: amount = subtotal - discount + shipping + duty + tax.
    """

    subtotal: Decimal | None = None
    tax: Decimal | None = None
    nontaxable: bool | None = None
    tip: Decimal | None = None
    discount: Decimal | None = None
    shipping: Decimal | None = None
    duty: Decimal | None = None
    enable_partialauth: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """Serialise with amounts as decimal strings; unset fields are left out."""
        return _compact(
            {
                "subtotal": _money(self.subtotal, "amount_detail.subtotal"),
                "tax": _money(self.tax, "amount_detail.tax"),
                "nontaxable": _yes_no(self.nontaxable),
                "tip": _money(self.tip, "amount_detail.tip"),
                "discount": _money(self.discount, "amount_detail.discount"),
                "shipping": _money(self.shipping, "amount_detail.shipping"),
                "duty": _money(self.duty, "amount_detail.duty"),
                "enable_partialauth": self.enable_partialauth,
            }
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A billing or shipping address."""

    firstname: str | None = None
    lastname: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    postalcode: str | None = None
    country: str | None = None
    phone: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Serialise; unset fields are left out."""
        return _compact(
            {
                "firstname": self.firstname,
                "lastname": self.lastname,
                "street": self.street,
                "street2": self.street2,
                "city": self.city,
                "state": self.state,
                "postalcode": self.postalcode,
                "country": self.country,
                "phone": self.phone,
            }
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItem:
    """One line of the order (level 3 fields included)."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    cost: Decimal | None = None
    qty: Decimal | int | None = None
    commoditycode: str | None = None
    discountamount: Decimal | None = None
    discountrate: Decimal | None = None
    taxable: bool | None = None
    taxamount: Decimal | None = None
    taxclass: str | None = None
    taxrate: Decimal | None = None
    um: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Serialise with amounts as decimal strings; unset fields are left out."""
        qty: Any = self.qty
        if isinstance(qty, Decimal):
            qty = _decimal_text(qty, "lineitems.qty")
        elif qty is not None and (not isinstance(qty, int) or isinstance(qty, bool) or qty < 0):
            raise KineticInputError("lineitems.qty must be a non-negative integer or Decimal")
        return _compact(
            {
                "sku": self.sku,
                "name": self.name,
                "description": self.description,
                "cost": _money(self.cost, "lineitems.cost"),
                "qty": qty,
                "commoditycode": self.commoditycode,
                "discountamount": _money(self.discountamount, "lineitems.discountamount"),
                "discountrate": _decimal_text(self.discountrate, "lineitems.discountrate"),
                "taxable": _yes_no(self.taxable),
                "taxamount": _money(self.taxamount, "lineitems.taxamount"),
                "taxclass": self.taxclass,
                "taxrate": _decimal_text(self.taxrate, "lineitems.taxrate"),
                "um": self.um,
            }
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PayRequestParams:
    """Every documented parameter of ``POST /paymentengine/payrequests``.

    ``amount`` is in major units. Unset optional parameters are not sent.
    """

    amount: Decimal
    command: str = "sale"
    devicekey: str | None = None
    timeout: int | None = None
    block_offline: bool | None = None
    ignore_duplicate: bool | None = None
    save_card: bool | None = None
    manual_key: bool | None = None
    prompt_tip: bool | None = None
    amount_detail: AmountDetail | None = None
    invoice: str | None = None
    ponum: str | None = None
    orderid: str | None = None
    description: str | None = None
    comments: str | None = None
    terminal: str | None = None
    table: str | None = None
    clerk: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    customerid: str | None = None
    email: str | None = None
    geolocation: str | None = None
    software: str | None = None
    custom_fields: Mapping[str, str] | None = None
    lineitems: Sequence[LineItem] = field(default_factory=tuple)
    custom_flow: str | Sequence[str] | None = None

    def to_json(self) -> dict[str, Any]:
        """Validate and serialise; raises :class:`KineticInputError` before anything is sent."""
        command = self.command.strip().lower()
        if command.removeprefix("cc:") not in PAY_COMMANDS:
            raise KineticInputError(f"command must be one of {sorted(PAY_COMMANDS)}")
        if self.timeout is not None and (
            isinstance(self.timeout, bool) or not isinstance(self.timeout, int) or self.timeout <= 0
        ):
            raise KineticInputError("timeout must be a positive number of seconds")
        if self.invoice is not None and len(self.invoice) > _INVOICE_MAX:
            raise KineticInputError(f"invoice is limited to {_INVOICE_MAX} characters")
        return _compact(
            {
                "devicekey": self.devicekey,
                "command": command,
                "amount": _money(self.amount, "amount", allow_zero=False),
                "timeout": self.timeout,
                "block_offline": self.block_offline,
                "ignore_duplicate": self.ignore_duplicate,
                "save_card": self.save_card,
                "manual_key": self.manual_key,
                "prompt_tip": self.prompt_tip,
                "amount_detail": self.amount_detail.to_json() if self.amount_detail else None,
                "invoice": self.invoice,
                "ponum": self.ponum,
                "orderid": self.orderid,
                "description": self.description,
                "comments": self.comments,
                "terminal": self.terminal,
                "table": self.table,
                "clerk": self.clerk,
                "billing_address": (
                    self.billing_address.to_json() if self.billing_address else None
                ),
                "shipping_address": (
                    self.shipping_address.to_json() if self.shipping_address else None
                ),
                "customerid": self.customerid,
                "email": self.email,
                "geolocation": self.geolocation,
                "software": self.software,
                "custom_fields": dict(self.custom_fields) if self.custom_fields else None,
                "lineitems": [item.to_json() for item in self.lineitems] or None,
                "custom_flow": self._custom_flow(),
            }
        )

    def _custom_flow(self) -> str | None:
        if self.custom_flow is None:
            return None
        screens = (
            [part.strip() for part in self.custom_flow.split(",")]
            if isinstance(self.custom_flow, str)
            else [part.strip() for part in self.custom_flow]
        )
        unknown = [screen for screen in screens if screen not in CUSTOM_FLOW_SCREENS]
        if unknown or "payment" not in screens or "result" not in screens:
            raise KineticInputError(
                "custom_flow must name known screens and include payment and result"
            )
        return ",".join(screens)


# --- Responses ----------------------------------------------------------------


def _card(value: Any) -> dict[str, str | None]:
    # Only what identifies the card to a person: masked number, type, entry mode.
    if not isinstance(value, dict):
        return {"number": None, "type": None, "entry_mode": None}
    return {
        "number": mask_pan(c.lenient_str(value.get("number"))),
        "type": c.lenient_str(value.get("cardtype") or value.get("type")),
        "entry_mode": c.lenient_str(value.get("entry_mode")),
    }


_TRANSACTION_SCHEMA = vol.Schema(
    {
        vol.Optional("type", default=None): c.lenient_str,
        vol.Optional("key", default=None): c.lenient_str,
        vol.Optional("refnum", default=None): c.lenient_str,
        vol.Optional("is_duplicate", default=None): c.lenient_bool,
        vol.Optional("result_code", default=None): c.lenient_str,
        vol.Optional("result", default=None): c.lenient_str,
        vol.Optional("authcode", default=None): c.lenient_str,
        vol.Optional("error", default=None): c.lenient_str,
        vol.Optional("error_code", default=None): c.lenient_str,
        vol.Optional("auth_amount", default=None): c.optional(c.amount),
        vol.Optional("amount", default=None): c.optional(c.amount),
        vol.Optional("invoice", default=None): c.lenient_str,
        vol.Optional("orderid", default=None): c.lenient_str,
        vol.Optional("creditcard", default=None): _card,
    },
    extra=vol.REMOVE_EXTRA,
)

_LIST_SCHEMA = vol.Schema(
    {
        vol.Required("data"): [dict],
        vol.Optional("total", default=None): c.lenient_int,
    },
    extra=vol.REMOVE_EXTRA,
)

_PAY_REQUEST_SCHEMA = vol.Schema(
    {
        vol.Optional("type", default=None): c.lenient_str,
        vol.Required("key"): c.required_str,
        vol.Optional("expiration", default=None): c.lenient_str,
        vol.Required("status"): c.required_str,
        vol.Optional("complete", default=None): c.lenient_bool,
        vol.Optional("transaction", default=None): vol.Any(None, dict),
    },
    extra=vol.REMOVE_EXTRA,
)

_DEVICE_SCHEMA = vol.Schema(
    {
        vol.Required("key"): c.required_str,
        vol.Optional("type", default=None): c.lenient_str,
        vol.Optional("name", default=None): c.lenient_str,
        vol.Optional("status", default=None): c.lenient_str,
        vol.Optional("terminal_type", default=None): c.lenient_str,
        vol.Optional("pairing_code", default=None): c.lenient_str,
        vol.Optional("expiration", default=None): c.lenient_str,
    },
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeTransaction:
    """The gateway transaction a pay request produced."""

    type: str | None
    key: str | None
    refnum: str | None
    is_duplicate: bool | None
    result_code: str | None
    result: str | None
    authcode: str | None
    error: str | None
    error_code: str | None
    auth_amount: Decimal | None
    amount: Decimal | None
    invoice: str | None
    orderid: str | None
    masked_pan: str | None
    card_type: str | None
    entry_mode: str | None

    @classmethod
    def from_dict(cls, data: Any) -> PeTransaction:
        """Build from the ``transaction`` object of a pay request."""
        d = c.validate(_TRANSACTION_SCHEMA, data, "Payment Engine transaction")
        card = d.pop("creditcard") or _card(None)
        return cls(
            **d, masked_pan=card["number"], card_type=card["type"], entry_mode=card["entry_mode"]
        )

    @property
    def outcome(self) -> TransactionResult:
        """A=approved, D=declined, E=error; anything else is UNKNOWN."""
        code = (self.result_code or "").strip().upper()
        return _RESULT_CODES.get(code, TransactionResult.UNKNOWN)

    def onto(self, base: Transaction) -> Transaction:
        """Return ``base`` with what this transaction tells (card, auth code, its key)."""
        return dataclasses.replace(
            base,
            auth_code=self.authcode,
            masked_pan=self.masked_pan,
            card_network=self.card_type,
            entry_mode=self.entry_mode,
            terminal_id=self.key,
            message=self.error or self.result,
            is_duplicate=self.is_duplicate,
        )

    @property
    def moved(self) -> Decimal | None:
        """The amount this transaction moved (``auth_amount`` of a partial approval)."""
        if self.outcome is TransactionResult.APPROVED and self.auth_amount:
            return self.auth_amount
        return self.amount


@dataclass(frozen=True, slots=True, kw_only=True)
class PeTransactionList:
    """One page of a gateway transaction list (e.g. a batch's transactions)."""

    transactions: tuple[PeTransaction, ...]
    #: How many the whole list holds (None if the gateway did not say).
    total: int | None

    @classmethod
    def from_dict(cls, data: Any) -> PeTransactionList:
        """Build from a ``{"type": "list", "data": [...], "total": ...}`` body."""
        d = c.validate(_LIST_SCHEMA, data, "Payment Engine transaction list")
        return cls(
            transactions=tuple(PeTransaction.from_dict(row) for row in d["data"]),
            total=d["total"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PayRequest:
    """A pay request and, once the customer paid, its transaction."""

    type: str | None
    key: str
    expiration: str | None
    status: str
    complete: bool | None
    transaction: PeTransaction | None

    @classmethod
    def from_dict(cls, data: Any) -> PayRequest:
        """Build from a ``payrequests`` body."""
        d = c.validate(_PAY_REQUEST_SCHEMA, data, "Payment Engine pay request")
        raw = d.pop("transaction")
        return cls(**d, transaction=PeTransaction.from_dict(raw) if raw else None)

    @property
    def outcome(self) -> TransactionResult:
        """The shared result of this request.

        A transaction's result code wins once the request is complete (even over a
        ``timeout`` status: if money moved, we say so). A transaction present while
        ``complete`` is still false (signature pending) is PENDING.
        """
        status = self.status.strip().lower()
        if self.transaction is not None:
            if self.complete:
                return self.transaction.outcome
            return TransactionResult.PENDING
        if status == "timeout":
            return TransactionResult.TIMEOUT
        if status in _CANCELLED_STATUSES:
            return TransactionResult.CANCELLED
        if status in _ERROR_STATUSES:
            return TransactionResult.ERROR
        return TransactionResult.UNKNOWN if self.complete else TransactionResult.PENDING

    def to_transaction(
        self,
        *,
        reference: str | None = None,
        type: TransactionType | None = None,
        amount: Decimal | None = None,
    ) -> Transaction:
        """Translate to the shared vocabulary.

        ``reference`` defaults to the request key (the id to recover by); pass the
        caller's own reference, the requested ``type`` and ``amount`` when known,
        since a pay request does not echo them.
        """
        txn = self.transaction
        txn_type = type
        if txn_type is None and txn is not None and txn.type:
            txn_type = _COMMAND_TYPES.get(txn.type.strip().lower().removeprefix("cc:"))
        base = Transaction(
            kind=TerminalKind.PAYMENT_ENGINE,
            reference=reference or self.key,
            type=txn_type or TransactionType.SALE,
            result=self.outcome,
            amount=self._amount(amount),
            request_key=self.key,
            status=self.status,
        )
        return txn.onto(base) if txn is not None else base

    def _amount(self, requested: Decimal | None) -> Decimal | None:
        txn = self.transaction
        if txn is None:
            return requested
        # A partial approval moved auth_amount, not the requested amount.
        moved = txn.moved
        return moved if moved is not None else requested


@dataclass(frozen=True, slots=True, kw_only=True)
class PeDevice:
    """A payment device registered with the Payment Engine."""

    key: str
    name: str | None
    status: str | None
    terminal_type: str | None
    pairing_code: str | None
    expiration: str | None

    @classmethod
    def from_dict(cls, data: Any) -> PeDevice:
        """Build from a ``devices`` body."""
        d = c.validate(_DEVICE_SCHEMA, data, "Payment Engine device")
        d.pop("type")
        return cls(**d)

    @property
    def is_online(self) -> bool:
        """Whether the Payment Engine reports the device as connected."""
        return (self.status or "").strip().lower() == "online"
