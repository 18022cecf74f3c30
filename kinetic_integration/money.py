"""Money: strict parsing of amounts and exact conversion to each API's unit.

Amounts are :class:`~decimal.Decimal` in major units (``Decimal("12.34")``) at every
public surface. Floats are refused outright: they cannot represent most cent values.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import AmountAboveCapError, InvalidAmountError

#: Default per-transaction cap, in major units; callers may raise or lower it.
DEFAULT_MAX_AMOUNT = Decimal("500.00")

_CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def parse_amount(
    value: object,
    *,
    max_amount: Decimal | None = DEFAULT_MAX_AMOUNT,
    field: str = "amount",
    allow_zero: bool = False,
) -> Decimal:
    """Return ``value`` as a Decimal with exactly two places, or raise.

    Accepts a ``Decimal``, an ``int`` or a plain decimal string ("12", "12.5", "12.50").
    Rejects floats, booleans, signs, exponents, NaN/Infinity, zero (unless
    ``allow_zero``), negatives, more than two significant decimal places and values
    above ``max_amount`` (``None`` disables the cap).
    """
    amount = _to_decimal(value, field)
    if not amount.is_finite():
        raise InvalidAmountError(f"{field} must be a finite number, got {value!r}")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmountError(f"{field} must be greater than zero, got {value!r}")
    if amount != amount.quantize(_CENT):
        raise InvalidAmountError(f"{field} has more than two decimal places: {value!r}")
    amount = amount.quantize(_CENT)
    if max_amount is not None and amount > max_amount:
        raise AmountAboveCapError(f"{field} {amount} is above the cap of {max_amount}")
    return amount


def _to_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool | float):
        # A float has already lost the exact cents; bool is an int by accident.
        raise InvalidAmountError(f"{field} must be a decimal string or Decimal, not {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("-") and _PLAIN_DECIMAL.fullmatch(text[1:]):
            # A negative amount is a plain decimal with the wrong sign: say that.
            raise InvalidAmountError(f"{field} must be greater than zero, got {value!r}")
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise InvalidAmountError(f"{field} must be a plain decimal like 12.34, got {value!r}")
        try:
            return Decimal(text)
        except InvalidOperation as err:  # pragma: no cover - the regex admits only digits
            raise InvalidAmountError(f"{field} is not a number: {value!r}") from err
    raise InvalidAmountError(f"{field} must be a decimal string or Decimal, not {value!r}")


def to_minor_units(amount: Decimal) -> int:
    """Convert major units to an integer of minor units (cents/pence), exactly."""
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise InvalidAmountError(f"{amount} has more than two decimal places")
    return int(minor)


def from_minor_units(value: int) -> Decimal:
    """Convert an integer of minor units to major units with two places."""
    return (Decimal(value) / 100).quantize(_CENT)


def format_amount(amount: Decimal) -> str:
    """Render an amount as the plain two-place string APIs and JSON output use."""
    return str(amount.quantize(_CENT))
