"""Parsing of each API's documented bodies into models (JSON taken from the seeds)."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kinetic_integration.errors import KineticInputError, KineticInvalidResponseError
from kinetic_integration.models import (
    Address,
    AmountDetail,
    DsOfflineCount,
    DsStatus,
    DsTransaction,
    GoDevice,
    GoScreen,
    GoTransaction,
    GoTransactionSummary,
    LineItem,
    PayRequest,
    PayRequestParams,
    PeDevice,
    TerminalKind,
    TransactionResult,
    TransactionType,
    _coerce,
)
from kinetic_integration.models._wire import from_wire, wire, wire_model

FIXTURES = Path(__file__).parent / "fixtures"
SECRET_FIELDS = ("track2", "pin_block", "ksn", "tags", "online_request", "online_response")


def load(name: str) -> Any:
    """Load a fixture the way the clients do: decimals as Decimal."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def go_txn(**changes: Any) -> dict[str, Any]:
    """The seed-shaped Kinetic Go transaction with some fields changed or removed."""
    data: dict[str, Any] = load("go_transaction.json")["transaction"]
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def assert_no_card_secrets(model: object) -> None:
    """No secret field exists on the model and no secret value is in its repr."""
    names = {f.name for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    assert not names & set(SECRET_FIELDS)
    text = repr(model)
    for needle in ("4111111111111111", "4444333322221111", "=2512", "1234567890ABCDEF", "FFFF98"):
        assert needle not in text


# --- Kinetic Go ---------------------------------------------------------------


def test_go_transaction_from_seed_shape() -> None:
    txn = GoTransaction.from_dict(go_txn())
    assert txn.id == "3f0e9d0c-6c4e-4c43-9a39-3f3f4f5e6a7b"
    assert txn.amount == Decimal("12.34")
    assert txn.tip_amount == Decimal("1.00")
    assert txn.amount_other == Decimal("0.00")
    assert txn.total_amount == Decimal("13.34")
    assert txn.attempts_remaining is None  # the seed's "number," placeholder
    assert txn.duration == 12
    assert txn.stan == 42
    assert txn.is_signature_required is False
    assert txn.card_scheme == "visa-qvsdc"
    assert txn.masked_pan == "**** 1111"
    assert txn.started_at is not None
    assert txn.started_at.timestamp() == 1763771222
    assert_no_card_secrets(txn)
    common = txn.to_transaction()
    assert common.kind is TerminalKind.KINETIC_GO
    assert common.result is TransactionResult.APPROVED
    assert common.type is TransactionType.SALE
    assert (common.amount, common.tip, common.total) == (
        Decimal("12.34"),
        Decimal("1.00"),
        Decimal("13.34"),
    )
    assert common.reference == txn.id


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"is_active": True, "result": None, "status": "starting"}, TransactionResult.PENDING),
        ({"is_active": True}, TransactionResult.PENDING),
        ({"result": "declined"}, TransactionResult.DECLINED),
        ({"result": "cancelled"}, TransactionResult.CANCELLED),
        ({"result": "cancelled", "status": "timeout"}, TransactionResult.TIMEOUT),
        ({"result": "error"}, TransactionResult.ERROR),
        ({"result": None, "status": "timeout"}, TransactionResult.TIMEOUT),
        ({"result": None, "status": "approved"}, TransactionResult.APPROVED),
        ({"result": "gibberish", "status": "gibberish"}, TransactionResult.UNKNOWN),
        ({"result": None, "is_active": None, "ended_at": None}, TransactionResult.PENDING),
    ],
)
def test_go_result_mapping(changes: dict[str, Any], expected: TransactionResult) -> None:
    data = go_txn()
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    assert GoTransaction.from_dict(data).to_transaction().result is expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("sale", TransactionType.SALE),
        ("refund", TransactionType.REFUND),
        ("reversal", TransactionType.REVERSAL),
        ("void", TransactionType.REVERSAL),
        ("technical_reversal", TransactionType.REVERSAL),
        ("reconciliation", TransactionType.RECONCILIATION),
    ],
)
def test_go_type_mapping(wire: str, expected: TransactionType) -> None:
    assert GoTransaction.from_dict(go_txn(type=wire)).transaction_type is expected


def test_go_full_pan_is_masked() -> None:
    txn = GoTransaction.from_dict(go_txn(account_number="4111111111111111"))
    assert txn.masked_pan == "**** 1111"


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "text",
        {"amount": 100},  # no id
        go_txn(amount="12.34"),  # Go amounts are integers of minor units
        go_txn(amount=True),
        go_txn(id=""),
    ],
)
def test_go_transaction_malformed(bad: Any) -> None:
    with pytest.raises(KineticInvalidResponseError):
        GoTransaction.from_dict(bad)


def test_go_summary_device_and_screen() -> None:
    summary = GoTransactionSummary.from_dict(
        {
            "id": "abc",
            "started_at": 1,
            "ended_at": 1,
            "result": "approved",
            "amount": 100,
            "host": "dummy",
            "type": "refund",
            "account_number": "4***********1111",
            "is_reversed": False,
        }
    )
    assert summary.amount == Decimal("1.00")
    common = summary.to_transaction()
    assert common.type is TransactionType.REFUND
    assert common.result is TransactionResult.APPROVED
    device = GoDevice.from_dict(
        {"manufacturer": "PAX", "family": "A920", "serial_number": "KG2SIM0001"}
    )
    assert device.serial_number == "KG2SIM0001"
    with pytest.raises(KineticInvalidResponseError):
        GoDevice.from_dict({"manufacturer": "PAX"})
    screen = GoScreen.from_dict({"path": "app.views.layouts.idle", "text": "Tap Green"})
    assert screen.is_idle
    assert not GoScreen.from_dict({"path": "app.views.payment"}).is_idle


# --- DeviceService --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "result", "amount"),
    [
        ("approved", TransactionResult.APPROVED, Decimal("2.23")),
        ("declined", TransactionResult.DECLINED, Decimal("2.29")),
        ("contactless", TransactionResult.APPROVED, Decimal(1)),
        ("cancelled", TransactionResult.CANCELLED, Decimal("2.23")),
    ],
)
def test_ds_seed_examples(name: str, result: TransactionResult, amount: Decimal) -> None:
    txn = DsTransaction.from_dict(load("ds_transactions.json")[name])
    assert isinstance(txn.total_amount, Decimal)
    assert txn.total_amount == amount
    common = txn.to_transaction()
    assert common.kind is TerminalKind.DEVICE_SERVICE
    assert common.result is result
    assert common.reference == txn.transaction_id


@pytest.mark.parametrize(
    ("complete", "wire", "expected"),
    [
        # The seed's Result table one to one (issue 15 point 12: void is not "cancelled").
        (True, "approved", TransactionResult.APPROVED),
        (True, "declined", TransactionResult.DECLINED),
        (True, "void", TransactionResult.VOID),
        (True, "unknown", TransactionResult.UNKNOWN),
        (True, "cancelled", TransactionResult.CANCELLED),
        (True, "error", TransactionResult.ERROR),
        (True, "something new", TransactionResult.UNKNOWN),
        (False, "approved", TransactionResult.PENDING),
        ("false", None, TransactionResult.PENDING),
    ],
)
def test_ds_result_mapping(complete: object, wire: str | None, expected: TransactionResult) -> None:
    data = load("ds_transactions.json")["approved"]
    data["Complete"] = complete
    data["Result"] = wire
    assert DsTransaction.from_dict(data).to_transaction().result is expected


@pytest.mark.parametrize(
    "bad",
    [
        {"Complete": True},
        {"TransactionId": "x"},
        {"Complete": "maybe", "TransactionId": "x"},
        {"Complete": True, "TransactionId": "x", "TotalAmount": "lots"},
        ["not", "an", "object"],
    ],
)
def test_ds_transaction_malformed(bad: Any) -> None:
    with pytest.raises(KineticInvalidResponseError):
        DsTransaction.from_dict(bad)


def test_ds_status_and_offline_count() -> None:
    status = DsStatus.from_dict(
        {
            "IsConnected": True,
            "TransactionInProgress": False,
            "Status": "Idle",
            "SupportOfflineTransaction": False,
        }
    )
    assert status == DsStatus(
        is_connected=True, transaction_in_progress=False, status="Idle", supports_offline=False
    )
    assert DsStatus.from_dict({"IsConnected": "true", "Status": None}).status is None
    count = DsOfflineCount.from_dict({"offlineCount": 2, "storedRecords": "0"})
    assert (count.offline_count, count.stored_records) == (2, 0)
    with pytest.raises(KineticInvalidResponseError):
        DsOfflineCount.from_dict({"offlineCount": "two"})
    with pytest.raises(KineticInvalidResponseError):
        DsStatus.from_dict({"Status": "Idle"})


# --- Payment Engine -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("created", TransactionResult.PENDING),
        ("approved", TransactionResult.APPROVED),
        ("signature_pending", TransactionResult.PENDING),
        ("timeout", TransactionResult.TIMEOUT),
        ("canceled", TransactionResult.CANCELLED),
        ("declined", TransactionResult.DECLINED),
        ("error", TransactionResult.ERROR),
    ],
)
def test_pe_pay_request_outcomes(name: str, expected: TransactionResult) -> None:
    request = PayRequest.from_dict(load("pe_pay_requests.json")[name])
    common = request.to_transaction(reference="my-ref", amount=Decimal("8.88"))
    assert common.kind is TerminalKind.PAYMENT_ENGINE
    assert common.result is expected
    assert common.reference == "my-ref"
    assert common.request_key == request.key


def test_pe_approved_details_and_card_hygiene() -> None:
    request = PayRequest.from_dict(load("pe_pay_requests.json")["approved"])
    assert request.transaction is not None
    txn = request.transaction
    assert txn.is_duplicate is False
    assert txn.auth_amount == Decimal("8.88")
    assert txn.masked_pan == "**** 1111"
    assert txn.card_type == "Visa"
    assert "Jane" not in repr(txn)
    assert_no_card_secrets(txn)
    common = request.to_transaction()
    assert common.reference == request.key
    assert common.terminal_id == "dnfwxwhz5kvnbgb"
    assert common.amount == Decimal("8.88")
    assert common.auth_code == "314407"


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "sent to device"},
        {"key": "pr_x"},
        {"key": "pr_x", "status": "x", "transaction": "oops"},
        {"key": "pr_x", "status": "x", "transaction": {"auth_amount": "NaN"}},
    ],
)
def test_pe_pay_request_malformed(bad: Any) -> None:
    with pytest.raises(KineticInvalidResponseError):
        PayRequest.from_dict(bad)


def test_pe_device() -> None:
    device = PeDevice.from_dict(
        {"key": "sa_1", "name": "Counter", "status": "online", "pairing_code": "690520"}
    )
    assert device.is_online
    assert device.pairing_code == "690520"
    assert not PeDevice.from_dict({"key": "sa_2"}).is_online


def test_pay_request_params_serialise_every_parameter() -> None:
    params = PayRequestParams(
        amount=Decimal("10.5"),
        command="sale",
        devicekey="sa_1",
        timeout=60,
        block_offline=True,
        ignore_duplicate=False,
        save_card=True,
        manual_key=False,
        prompt_tip=True,
        amount_detail=AmountDetail(
            subtotal=Decimal("9"),
            tax=Decimal("1.50"),
            nontaxable=False,
            tip=Decimal(0),
            discount=Decimal("0.50"),
            shipping=Decimal("0.25"),
            duty=Decimal("0.25"),
            enable_partialauth=True,
        ),
        invoice="INV1234",
        ponum="PO1",
        orderid="O1",
        description="Coffee",
        comments="merchant only",
        terminal="lane 2",
        table="12",
        clerk="Sam",
        billing_address=Address(firstname="Jane", postalcode="90210"),
        shipping_address=Address(street="1 Main St", country="USA"),
        customerid="C9",
        email="jane@example.com",
        geolocation="40.7,-74.0",
        software="kinetic-integration 0.1",
        custom_fields={"1": "one"},
        lineitems=(
            LineItem(
                sku="S1",
                name="Latte",
                description="Big",
                cost=Decimal("4.5"),
                qty=2,
                commoditycode="50201706",
                discountamount=Decimal("0.10"),
                discountrate=Decimal("2.5"),
                taxable=True,
                taxamount=Decimal("0.36"),
                taxclass="food",
                taxrate=Decimal("8.875"),
                um="EA",
            ),
        ),
        custom_flow=["amount", "payment", "result", "signature"],
    )
    body = params.to_json()
    assert body["amount"] == "10.50"
    assert body["amount_detail"] == {
        "subtotal": "9.00",
        "tax": "1.50",
        "nontaxable": "N",
        "tip": "0.00",
        "discount": "0.50",
        "shipping": "0.25",
        "duty": "0.25",
        "enable_partialauth": True,
    }
    assert body["lineitems"][0]["cost"] == "4.50"
    assert body["lineitems"][0]["taxrate"] == "8.875"
    assert body["lineitems"][0]["taxable"] == "Y"
    assert body["lineitems"][0]["qty"] == 2
    assert body["custom_flow"] == "amount,payment,result,signature"
    assert body["billing_address"] == {"firstname": "Jane", "postalcode": "90210"}
    assert body["custom_fields"] == {"1": "one"}
    # Every value is JSON-native and no float ever appears.
    text = json.dumps(body)
    assert "10.5," not in text
    assert body["timeout"] == 60
    minimal = PayRequestParams(amount=Decimal("8.88"), devicekey="sa_1").to_json()
    assert minimal == {"devicekey": "sa_1", "command": "sale", "amount": "8.88"}


@pytest.mark.parametrize(
    "params",
    [
        PayRequestParams(amount=Decimal(0)),
        PayRequestParams(amount=Decimal("1.234")),
        PayRequestParams(amount=1.5),  # type: ignore[arg-type]
        PayRequestParams(amount=Decimal(1), command="steal"),
        PayRequestParams(amount=Decimal(1), invoice="123456789012"),
        PayRequestParams(amount=Decimal(1), timeout=0),
        PayRequestParams(amount=Decimal(1), custom_flow="amount,result"),
        PayRequestParams(amount=Decimal(1), lineitems=(LineItem(taxrate=Decimal(-1)),)),
        PayRequestParams(amount=Decimal(1), amount_detail=AmountDetail(tax=Decimal("-1"))),
    ],
)
def test_pay_request_params_rejected_before_sending(params: PayRequestParams) -> None:
    with pytest.raises(KineticInputError):
        params.to_json()


def _card(value: Any) -> dict[str, str]:
    return value if isinstance(value, dict) else {}


@wire_model
class _SharedKey:
    """Two fields read from one key, as the Payment Engine card is."""

    number: str | None = wire("card", _card, default=None, pick=lambda card: card.get("n"))
    kind: str | None = wire("card", _card, default=None, pick=lambda card: card.get("k"))


def test_fields_sharing_a_key_read_it_once_each() -> None:
    assert from_wire(_SharedKey, {"card": {"n": "1", "k": "visa"}}, "card") == _SharedKey(
        number="1", kind="visa"
    )
    # A missing key leaves every field at its default (defaults are never validated).
    assert from_wire(_SharedKey, {}, "card") == _SharedKey()


def test_fields_sharing_a_key_must_share_its_validator() -> None:
    @wire_model
    class Clash:
        text: str | None = wire("k", _coerce.lenient_str, default=None)
        number: int | None = wire("k", _coerce.lenient_int, default=None)

    with pytest.raises(TypeError, match="Clash: fields sharing 'k' need one validator"):
        from_wire(Clash, {"k": "1"}, "clash")


def test_a_required_field_is_a_required_key() -> None:
    with pytest.raises(KineticInvalidResponseError) as caught:
        DsOfflineCount.from_dict({"storedRecords": 1})
    assert str(caught.value) == (
        "Unexpected DeviceService offline count: required key not provided @ data['offlineCount']"
    )
    assert DsOfflineCount.from_dict({"offlineCount": "3"}) == DsOfflineCount(
        offline_count=3, stored_records=0
    )
