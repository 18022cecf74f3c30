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

#: Commands a pay request accepts (the ``cc:`` prefix of the curl examples is allowed too).
PAY_COMMANDS = frozenset({"sale", "authonly", "refund"})
#: Screens a ``custom_flow`` may name.
CUSTOM_FLOW_SCREENS = frozenset({"payment", "amount", "result", "signature", "signature_required"})
_INVOICE_MAX = 11


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
