"""How the simulated terminals put amounts on the wire, written from the seeds alone.

The clients have their own conversions (:mod:`kinetic_integration.money`); the simulator
deliberately shares none of them, so a units mistake on one side shows up as a failing
loopback test instead of hiding in both (a test checks both sides on the seeds' examples).

- Kinetic Go 2 (seed 000): integers of minor units (``"amount": 100`` is 1.00).
- DeviceService (seed 001): requests send a decimal string (``"amount": "1.23"``);
  responses a JSON number in major units (``"TotalAmount": 2.23``, ``1``): see
  :func:`json_number`, which the simulator's JSON encoder uses for every Decimal.
- Payment Engine (seed 004): decimal strings in major units (``"amount": "8.88"``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: Minor units per major unit (cents per dollar, pence per pound) as a power of ten.
_MINOR_DIGITS = 2


def go_minor_units(amount: Decimal) -> int:
    """Return a major-unit amount as the Kinetic Go's integer of minor units (1.00 -> 100)."""
    minor = amount.scaleb(_MINOR_DIGITS)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of minor units")
    return int(minor)


def go_major_units(minor: int) -> Decimal:
    """Return the Kinetic Go's integer of minor units in major units (100 -> 1.00)."""
    return Decimal(minor).scaleb(-_MINOR_DIGITS)


def decimal_amount(value: object) -> Decimal | None:
    """Read a major-unit amount sent as a decimal string or a JSON number; None if not one.

    JSON numbers arrive as ``Decimal`` or ``int`` (the simulator reads JSON with
    ``parse_float=Decimal``); booleans, floats and anything else are refused.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return amount if amount.is_finite() else None


def decimal_text(amount: Decimal) -> str:
    """Return a major-unit amount as the Payment Engine's two-place string (8.88 -> "8.88")."""
    return f"{amount:.{_MINOR_DIGITS}f}"


def json_number(amount: Decimal) -> int | float:
    """Return a major-unit amount as the JSON number DeviceService sends (2.23, 1).

    An integral amount is written as an integer; otherwise as the float whose shortest
    text (``repr``) is the amount's own digits, so 2.23 is written ``2.23``.
    """
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)
