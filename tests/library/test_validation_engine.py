"""The library's schemas run on whichever engine stands behind ``import voluptuous``.

``scripts/test`` runs the library's suite twice: on voluptuous, and with probatio
installed as ``voluptuous`` the way Home Assistant 2026.x installs it
(``KINETIC_VOLUPTUOUS=probatio``); the two runs must have the same results.
"""

from __future__ import annotations

import sys

import pytest
import voluptuous as vol

from kinetic_integration.errors import KineticInvalidResponseError
from kinetic_integration.models import _coerce
from tests.conftest import VOLUPTUOUS


def test_the_library_uses_the_engine_of_this_run() -> None:
    engine = sys.modules["voluptuous"]
    # probatio installs a compatibility module of its own (probatio._vol_shim).
    assert engine.__name__.partition(".")[0] == VOLUPTUOUS
    assert vol is engine
    assert vars(_coerce)["vol"] is engine


def test_an_invalid_response_is_our_error_on_either_engine() -> None:
    schema = vol.Schema({vol.Required("amount"): _coerce.amount})
    with pytest.raises(KineticInvalidResponseError) as caught:
        _coerce.validate(schema, {"amount": "lots"}, "sale")
    # Neither engine's exception leaks out of the library.
    assert not isinstance(caught.value, vol.Invalid)


_SCHEMA = vol.Schema(
    {
        vol.Required("amount"): _coerce.amount,
        vol.Required("count"): int,
        vol.Optional("detail"): {vol.Required("name"): str},
    },
    extra=vol.REMOVE_EXTRA,
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "lots", "count": 1}, "expected an amount @ data['amount']"),
        ({"count": 1}, "required key not provided @ data['amount']"),
        ({"amount": "1.00", "count": "x"}, "expected int @ data['count']"),
        (
            {"amount": "1", "count": 1, "detail": {"name": 3}},
            "expected str @ data['detail']['name']",
        ),
        ({"amount": "1", "count": 1, "detail": []}, "expected a dictionary @ data['detail']"),
        ([1], "expected a dictionary"),
    ],
)
def test_errors_read_the_same_on_either_engine(data: object, message: str) -> None:
    """voluptuous and probatio print errors differently; the library's words are its own."""
    with pytest.raises(KineticInvalidResponseError) as caught:
        _coerce.validate(_SCHEMA, data, "sale")
    assert str(caught.value) == f"Unexpected sale: {message}"


def test_valid_data_passes_the_same_on_either_engine() -> None:
    assert _coerce.validate(_SCHEMA, {"amount": "1.50", "count": 2, "extra": 1}, "sale") == {
        "amount": _coerce.amount("1.50"),
        "count": 2,
    }
