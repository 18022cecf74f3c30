"""The Payment Engine seed's example bodies, read by the models and the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from kinetic_integration.clients import PaymentEngineClient
from kinetic_integration.models import (
    LineItem,
    PayRequest,
    PayRequestParams,
    TransactionResult,
)
from tests.library.seeds.canned import HOST, CannedServer, canned_server
from tests.library.seeds.examples import seed_json
from tests.log_hygiene import register_secret

#: Keys our request carries beyond a seed example that shows only one parameter
#: (``amount`` and ``command`` are in every pay request we send); the line items' total.
FRAGMENT_EXTRAS = {"amount": "12.84", "command": "sale"}


@pytest.fixture
async def pe() -> AsyncIterator[tuple[PaymentEngineClient, CannedServer]]:
    """A Payment Engine client talking to a server that answers with seed examples."""
    register_secret("seed-api-key", "seed-pin")
    async with canned_server() as server:
        url = f"http://{HOST}:{server.port}/api/v2"
        client = PaymentEngineClient("seed-api-key", "seed-pin", url, session=server.session)
        server.answer("payment_engine/payrequest.200.json")
        yield client, server


def test_pay_request_response_example() -> None:
    pay = PayRequest.from_dict(seed_json("payment_engine/payrequest.200.json"))
    assert pay.key == "pr_3mW7rstrdA0Sp32LW9MN3djCITAhx"
    assert pay.expiration == "2016-07-08 16:40:48"
    assert pay.status == "sent to device"
    assert pay.transaction is None
    # Sent to the device, nothing paid yet: pending, never declined.
    assert pay.outcome is TransactionResult.PENDING
    shared = pay.to_transaction(amount=Decimal("8.88"))
    assert shared.amount == Decimal("8.88")
    assert shared.request_key == pay.key


async def _sent(client: PaymentEngineClient, server: CannedServer, params: PayRequestParams) -> Any:
    pay = await client.create_pay_request(params)
    assert pay.key == "pr_3mW7rstrdA0Sp32LW9MN3djCITAhx"
    [sent] = server.requests
    assert (sent.method, sent.path) == ("POST", "/api/v2/paymentengine/payrequests")
    return sent.body


@pytest.mark.parametrize(
    ("name", "params"),
    [
        (
            "payrequest-minimal.request.json",
            PayRequestParams(amount=Decimal("8.88"), devicekey="sa_YdebDV6I2q0MfWV8kPDvQkHEvUjpA"),
        ),
        (
            "payrequest-minimal-curl.request.json",
            PayRequestParams(
                amount=Decimal("8.88"),
                devicekey="sa_1BTTI5Yys0G3gVQa6beYxM4K0hhjC",
                command="cc:sale",
            ),
        ),
        (
            "payrequest-tokenization-curl.request.json",
            PayRequestParams(
                amount=Decimal("8.88"),
                devicekey="sa_1BTTI5Yys0G3gVQa6beYxM4K0hhjC",
                command="cc:sale",
                save_card=True,
            ),
        ),
    ],
)
async def test_pay_request_matches_the_seed(
    pe: tuple[PaymentEngineClient, CannedServer], name: str, params: PayRequestParams
) -> None:
    client, server = pe
    body = await _sent(client, server, params)
    assert body == seed_json(f"payment_engine/{name}")
    assert body["amount"] == "8.88"  # an exact decimal string, as the seed sends it


async def test_line_items_match_the_seed(pe: tuple[PaymentEngineClient, CannedServer]) -> None:
    client, server = pe
    items = (
        LineItem(
            sku="The SKU", name="Prod Name", description="Prod Desc", cost=Decimal("8.88"), qty=1
        ),
        LineItem(
            sku="The SKU 2",
            name="Prod Name 2",
            description="Prod Desc 2",
            cost=Decimal("1.98"),
            qty=2,
        ),
    )
    body = await _sent(client, server, PayRequestParams(amount=Decimal("12.84"), lineitems=items))
    assert body == {
        **FRAGMENT_EXTRAS,
        **seed_json("payment_engine/payrequest-lineitems.request.json"),
    }


async def test_custom_fields_match_the_seed(pe: tuple[PaymentEngineClient, CannedServer]) -> None:
    client, server = pe
    fields = {"1": "Custom value 1", "2": "Custom value 2", "3": "Custom value 3"}
    params = PayRequestParams(amount=Decimal("12.84"), custom_fields=fields)
    body = await _sent(client, server, params)
    assert body == {
        **FRAGMENT_EXTRAS,
        **seed_json("payment_engine/payrequest-custom-fields.request.json"),
    }
