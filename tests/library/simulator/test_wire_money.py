"""The simulator's amount conversions agree with the clients' on the seeds' own examples.

The two sides share no conversion code (a units mistake must not hide in both), so this
is where they meet: each example amount printed in /work/shared/seeds/ goes through the
client's conversion and the simulator's, in both directions.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kinetic_integration.models.device_service import DsTransaction
from kinetic_integration.models.kinetic_go import GoTransactionSummary
from kinetic_integration.models.payment_engine import PeTransaction
from kinetic_integration.money import format_amount, from_minor_units, parse_amount, to_minor_units
from kinetic_integration.simulator.wire_money import (
    decimal_amount,
    decimal_text,
    go_major_units,
    go_minor_units,
    json_number,
)

#: Seed 000 (Kinetic Go 2), ``GET /api/v2/transactions.json``: ``"amount": 100``.
GO_MINOR_EXAMPLES = [(100, Decimal("1.00"))]
#: Seed 001 (DeviceService), the example ``POST .../transaction`` body: ``"amount": "1.23"``.
DS_REQUEST_EXAMPLES = ["1.23"]
#: Seed 001, the example responses: ``"TotalAmount": 2.23`` / ``2.29`` / ``1``.
DS_RESPONSE_EXAMPLES = ["2.23", "2.29", "1"]
#: Seed 004 (Payment Engine), the example pay request: ``"amount": "8.88"``.
PE_EXAMPLES = ["8.88"]


@pytest.mark.parametrize(("minor", "major"), GO_MINOR_EXAMPLES)
def test_kinetic_go_minor_units_agree(minor: int, major: Decimal) -> None:
    # What the client sends is what the seed shows, and the simulator reads it back.
    assert to_minor_units(major) == minor == go_minor_units(major)
    assert go_major_units(to_minor_units(major)) == major
    # What the simulator sends, the client reads as the same amount.
    assert from_minor_units(minor) == go_major_units(minor) == major
    summary = GoTransactionSummary.from_dict({"id": "seed", "amount": go_minor_units(major)})
    assert summary.amount == major


@pytest.mark.parametrize("text", DS_REQUEST_EXAMPLES)
def test_device_service_request_amounts_agree(text: str) -> None:
    # The client's request field (format_amount of the parsed amount, as it builds it).
    sent = format_amount(parse_amount(text, max_amount=None))
    assert sent == text
    assert decimal_amount(sent) == Decimal(text)


@pytest.mark.parametrize("text", DS_RESPONSE_EXAMPLES)
def test_device_service_response_amounts_agree(text: str) -> None:
    # The simulator writes the seed's literal JSON number ...
    body = json.dumps({"TotalAmount": json_number(Decimal(text))})
    assert body == f'{{"TotalAmount": {text}}}'
    # ... and the client, reading JSON numbers as Decimal, gets the amount back exactly.
    data = json.loads(body, parse_float=Decimal)
    txn = DsTransaction.from_dict({"Complete": True, "TransactionId": "seed", **data})
    assert txn.total_amount == Decimal(text)


@pytest.mark.parametrize("text", PE_EXAMPLES)
def test_payment_engine_amounts_agree(text: str) -> None:
    amount = Decimal(text)
    # Request: the client's decimal string is the seed's, and the simulator reads it.
    assert format_amount(parse_amount(text, max_amount=None)) == text
    assert decimal_amount(text) == amount
    # Response: the simulator's decimal string is the client's, and the client reads it.
    assert decimal_text(amount) == format_amount(amount) == text
    assert PeTransaction.from_dict({"auth_amount": decimal_text(amount)}).auth_amount == amount


def test_simulator_refuses_what_is_not_an_amount() -> None:
    assert decimal_amount(True) is None
    assert decimal_amount(1.5) is None  # a float never carries money, even in the simulator
    assert decimal_amount("8.8.8") is None
    assert decimal_amount("NaN") is None
    with pytest.raises(ValueError, match="minor units"):
        go_minor_units(Decimal("1.005"))
