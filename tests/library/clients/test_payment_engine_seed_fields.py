"""Every request parameter and response field of seed 004 through PaymentEngineClient.

Over loopback against the simulator: each parameter arrives under the seed's name and
shape, and each response field (of the create answer and of the request's transaction)
is read into the model.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kinetic_integration.clients import PaymentEngineClient
from kinetic_integration.models import (
    Address,
    AmountDetail,
    LineItem,
    PayRequest,
    PayRequestParams,
    TransactionResult,
    TransactionType,
)
from kinetic_integration.simulator import PaymentEngineSimulator
from tests.library.clients.test_payment_engine_client import device_key, pe, settled
from tests.log_hygiene import register_secret

__all__ = ["pe"]  # the fixture, shared with the client's own tests

EVERY_PARAMETER = PayRequestParams(
    amount=Decimal("10.50"),
    command="cc:sale",
    timeout=60,
    block_offline=True,
    ignore_duplicate=True,
    save_card=True,
    manual_key=True,
    prompt_tip=True,
    amount_detail=AmountDetail(
        subtotal=Decimal("9.00"),
        tax=Decimal("1.00"),
        nontaxable=False,
        tip=Decimal("0.50"),
        discount=Decimal("0.25"),
        shipping=Decimal("0.50"),
        duty=Decimal("0.25"),
        enable_partialauth=True,
    ),
    invoice="INV-1",
    ponum="PO-1",
    orderid="ORDER-1",
    description="Coffee",
    comments="regular",
    terminal="lane 1",
    table="4",
    clerk="Sam",
    billing_address=Address(
        firstname="Jane",
        lastname="Doe",
        street="1 Main St",
        street2="Apt 2",
        city="Springfield",
        state="IL",
        postalcode="62701",
        country="USA",
        phone="555-0100",
    ),
    shipping_address=Address(firstname="John", city="Shelbyville"),
    customerid="C-1",
    email="jane@example.com",
    geolocation="40.7,-74.0",
    software="kinetic-integration tests",
    custom_fields={"1": "Custom value 1", "2": "Custom value 2"},
    lineitems=(
        LineItem(
            sku="S",
            name="Latte",
            description="Large",
            cost=Decimal("4.75"),
            qty=2,
            commoditycode="50201706",
            discountamount=Decimal("0.10"),
            discountrate=Decimal("2.5"),
            taxable=True,
            taxamount=Decimal("0.40"),
            taxclass="food",
            taxrate=Decimal("8.25"),
            um="EA",
        ),
    ),
    custom_flow="amount,payment,result,signature",
)


async def test_every_parameter_arrives_under_the_seeds_name(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    created = await pe.create_pay_request(EVERY_PARAMETER)
    # The create answer: type, key, expiration, status.
    assert created.type == "request"
    assert created.key.startswith("pr_")
    assert created.expiration
    assert created.status in ("sending to device", "sent to device")
    body = payment_engine_sim.requests[created.key].params
    assert body["command"] == "cc:sale"
    assert body["amount"] == "10.50"
    assert (body["timeout"], body["block_offline"], body["ignore_duplicate"]) == (60, True, True)
    assert (body["save_card"], body["manual_key"], body["prompt_tip"]) == (True, True, True)
    assert body["amount_detail"] == {
        "subtotal": "9.00",
        "tax": "1.00",
        "nontaxable": "N",
        "tip": "0.50",
        "discount": "0.25",
        "shipping": "0.50",
        "duty": "0.25",
        "enable_partialauth": True,
    }
    texts = ("invoice", "ponum", "orderid", "description", "comments", "terminal", "table")
    assert [body[name] for name in texts] == [
        "INV-1",
        "PO-1",
        "ORDER-1",
        "Coffee",
        "regular",
        "lane 1",
        "4",
    ]
    assert body["clerk"] == "Sam"
    assert body["billing_address"]["street2"] == "Apt 2"
    assert len(body["billing_address"]) == 9
    assert body["shipping_address"] == {"firstname": "John", "city": "Shelbyville"}
    assert (body["customerid"], body["email"]) == ("C-1", "jane@example.com")
    assert (body["geolocation"], body["software"]) == ("40.7,-74.0", "kinetic-integration tests")
    assert body["custom_fields"] == {"1": "Custom value 1", "2": "Custom value 2"}
    [item] = body["lineitems"]
    assert item["cost"] == "4.75"
    assert item["qty"] == 2
    assert (item["taxable"], item["discountrate"], item["taxrate"]) == ("Y", "2.5", "8.25")
    assert len(item) == 13
    assert body["custom_flow"] == "amount,payment,result,signature"
    assert "devicekey" not in body  # the key's default device

    done = await settled(pe, created.key)
    txn = done.transaction
    assert txn is not None
    # The transaction's fields (API_NOTES: type, key, refnum, is_duplicate, result_code,
    # result, authcode, error, error_code, auth_amount, creditcard), and what a gateway
    # transaction also carries (trantype, invoice, orderid, comments, savedcard).
    assert (txn.type, txn.trantype) == ("transaction", "Credit Card Sale")
    assert txn.key
    assert txn.refnum
    assert txn.is_duplicate is False
    assert (txn.result_code, txn.result, txn.error, txn.error_code) == (
        "A",
        "Approved",
        "Approved",
        "00",
    )
    assert txn.authcode
    assert txn.auth_amount == Decimal("10.50")
    assert (txn.invoice, txn.orderid, txn.comments) == ("INV-1", "ORDER-1", "regular")
    assert txn.masked_pan is not None
    assert txn.masked_pan.endswith("0119")
    assert (txn.card_type, txn.entry_mode) == ("Visa", "Contactless")
    assert txn.card_token is not None
    register_secret(txn.card_token)
    assert txn.card_token not in repr(txn)
    assert done.complete is True
    assert done.to_transaction().type is TransactionType.SALE


async def test_partial_approval_is_result_code_p_with_the_authorised_amount(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    payment_engine_sim.available_funds = Decimal("5.00")
    params = PayRequestParams(
        amount=Decimal("10.00"), amount_detail=AmountDetail(enable_partialauth=True)
    )
    done = await settled(pe, (await pe.create_pay_request(params)).key)
    assert done.transaction is not None
    assert (done.transaction.result_code, done.transaction.auth_amount) == ("P", Decimal("5.00"))
    common = done.to_transaction(amount=Decimal("10.00"))
    assert (common.result, common.amount, common.total) == (
        TransactionResult.APPROVED,
        Decimal("5.00"),
        Decimal("5.00"),
    )


async def test_duplicate_folding_and_ignore_duplicate(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    payment_engine_sim.duplicate_folding = True
    key = device_key(payment_engine_sim)
    params = PayRequestParams(amount=Decimal("6.00"), devicekey=key, orderid="O-1")
    first = await settled(pe, (await pe.create_pay_request(params)).key)
    folded = await pe.create_pay_request(params)
    again = await settled(pe, folded.key)
    assert first.transaction is not None
    assert again.transaction is not None
    assert again.transaction.is_duplicate is True
    assert again.transaction.key == first.transaction.key
    assert len(payment_engine_sim.charges()) == 1
    bypass = PayRequestParams(
        amount=Decimal("6.00"), devicekey=key, orderid="O-1", ignore_duplicate=True
    )
    fresh = await settled(pe, (await pe.create_pay_request(bypass)).key)
    assert fresh.transaction is not None
    assert fresh.transaction.is_duplicate is False
    assert len(payment_engine_sim.charges()) == 2


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("sending to device", TransactionResult.PENDING),
        ("sent to device", TransactionResult.PENDING),
        ("waiting for card dip", TransactionResult.PENDING),
        ("changing interfaces", TransactionResult.PENDING),
        ("customer see phone and tap again", TransactionResult.PENDING),
        ("processing payment", TransactionResult.PENDING),
        ("completing payment", TransactionResult.PENDING),
        ("capturing signature", TransactionResult.PENDING),
        ("signature capture error", TransactionResult.ERROR),
        ("canceled", TransactionResult.CANCELLED),
        ("transaction canceled", TransactionResult.CANCELLED),
        ("transaction failed", TransactionResult.ERROR),
        ("timeout", TransactionResult.TIMEOUT),
        ("error", TransactionResult.ERROR),
    ],
)
def test_every_documented_status(status: str, expected: TransactionResult) -> None:
    request = PayRequest.from_dict({"type": "request", "key": "pr_1", "status": status})
    assert request.outcome is expected
