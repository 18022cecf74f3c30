"""Money parsing and minor-unit conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kinetic_integration.errors import AmountAboveCapError, InvalidAmountError
from kinetic_integration.money import (
    DEFAULT_MAX_AMOUNT,
    format_amount,
    from_minor_units,
    parse_amount,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", Decimal("12.00")),
        ("12.5", Decimal("12.50")),
        (" 12.34 ", Decimal("12.34")),
        ("0.01", Decimal("0.01")),
        ("1.230", Decimal("1.23")),  # trailing zero is still two significant places
        (Decimal("7.1"), Decimal("7.10")),
        (3, Decimal("3.00")),
        ("500.00", DEFAULT_MAX_AMOUNT),
    ],
)
def test_parse_amount_accepts(value: object, expected: Decimal) -> None:
    amount = parse_amount(value)
    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value",
    [
        1.5,  # float: cents already lost
        0.1,
        True,  # bool is an int by accident
        False,
        "1e3",
        "NaN",
        "Infinity",
        Decimal("NaN"),
        Decimal("Infinity"),
        "-1",
        "+1",
        Decimal("-1"),
        "0",
        0,
        "1.234",
        Decimal("1.234"),
        "",
        "1,00",
        "12.",
        ".5",
        None,
        [1],
    ],
)
def test_parse_amount_rejects(value: object) -> None:
    with pytest.raises(InvalidAmountError):
        parse_amount(value)


def test_parse_amount_cap_and_zero() -> None:
    with pytest.raises(AmountAboveCapError):
        parse_amount("500.01")
    assert parse_amount("500.01", max_amount=None) == Decimal("500.01")
    with pytest.raises(AmountAboveCapError):
        parse_amount("10.01", max_amount=Decimal(10))
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        (Decimal("0.01"), 1),
        (Decimal("1.00"), 100),
        (Decimal("12.34"), 1234),
        (Decimal("499.99"), 49999),
        (Decimal("0.10"), 10),
    ],
)
def test_minor_units_round_trip(amount: Decimal, minor: int) -> None:
    assert to_minor_units(amount) == minor
    assert from_minor_units(minor) == amount
    assert format_amount(from_minor_units(minor)) == format_amount(amount)


def test_minor_units_round_trip_exhaustive_cents() -> None:
    for minor in range(0, 100_001, 7):
        assert to_minor_units(from_minor_units(minor)) == minor


def test_to_minor_units_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(InvalidAmountError):
        to_minor_units(Decimal("1.005"))
