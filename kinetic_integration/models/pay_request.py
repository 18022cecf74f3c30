"""Requests of the USAePay Payment Engine pay-request API.

:class:`PayRequestParams` holds every documented parameter of
``POST /paymentengine/payrequests``; it serialises with amounts as exact decimal
strings and refuses bad input with :class:`KineticInputError` before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import KineticInputError
from ..money import format_amount, parse_amount
from ._wire import sent, to_wire, wire_model

#: Commands a pay request accepts (the ``cc:`` prefix of the curl examples is allowed too).
PAY_COMMANDS = frozenset({"sale", "authonly", "refund"})
#: Screens a ``custom_flow`` may name.
CUSTOM_FLOW_SCREENS = frozenset({"payment", "amount", "result", "signature", "signature_required"})
_INVOICE_MAX = 11


def _money(value: Decimal | None, name: str, *, allow_zero: bool = True) -> str | None:
    if value is None:
        return None
    return format_amount(parse_amount(value, max_amount=None, field=name, allow_zero=allow_zero))


def _decimal_text(value: object, name: str) -> str:
    # Rates and quantities are not money: any finite non-negative decimal.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise KineticInputError(f"{name} must be a Decimal, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise KineticInputError(f"{name} must be a finite, non-negative number")
    return str(number)


def _quantity(value: Decimal | int, name: str) -> str | int:
    if isinstance(value, Decimal):
        return _decimal_text(value, name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise KineticInputError(f"{name} must be a non-negative integer or Decimal")
    return value


def _yes_no(value: bool, _name: str) -> str:
    return "Y" if value else "N"


def _compact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


@wire_model
class AmountDetail:
    """``amount_detail``.

    If ``subtotal`` is sent: amount = subtotal - discount + shipping + duty + tax.
    """

    subtotal: Decimal | None = sent(_money)
    tax: Decimal | None = sent(_money)
    nontaxable: bool | None = sent(_yes_no)
    tip: Decimal | None = sent(_money)
    discount: Decimal | None = sent(_money)
    shipping: Decimal | None = sent(_money)
    duty: Decimal | None = sent(_money)
    enable_partialauth: bool | None = sent()

    def to_json(self) -> dict[str, Any]:
        """Serialise with amounts as decimal strings; unset fields are left out."""
        return to_wire(self, "amount_detail")


@wire_model
class Address:
    """A billing or shipping address."""

    firstname: str | None = sent()
    lastname: str | None = sent()
    street: str | None = sent()
    street2: str | None = sent()
    city: str | None = sent()
    state: str | None = sent()
    postalcode: str | None = sent()
    country: str | None = sent()
    phone: str | None = sent()

    def to_json(self) -> dict[str, Any]:
        """Serialise; unset fields are left out."""
        return to_wire(self, "address")


@wire_model
class LineItem:
    """One line of the order (level 3 fields included).

    Fields are checked in declaration order, the quantity before the amounts.
    """

    sku: str | None = sent()
    name: str | None = sent()
    description: str | None = sent()
    qty: Decimal | int | None = sent(_quantity)
    cost: Decimal | None = sent(_money)
    commoditycode: str | None = sent()
    discountamount: Decimal | None = sent(_money)
    discountrate: Decimal | None = sent(_decimal_text)
    taxable: bool | None = sent(_yes_no)
    taxamount: Decimal | None = sent(_money)
    taxclass: str | None = sent()
    taxrate: Decimal | None = sent(_decimal_text)
    um: str | None = sent()

    def to_json(self) -> dict[str, Any]:
        """Serialise with amounts as decimal strings; unset fields are left out."""
        return to_wire(self, "lineitems")


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
