"""PaymentEngineClient against the Payment Engine simulator over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration.clients import SANDBOX_URL, PaymentEngineClient, pin_hash
from kinetic_integration.clients.payment_engine import PRODUCTION_URL
from kinetic_integration.errors import (
    InvalidAmountError,
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDeviceOfflineError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticLowBatteryError,
    KineticNotFoundError,
    KineticRateLimitError,
    KineticRequestTimedOutError,
    KineticTimeoutError,
    KineticUnknownDeviceError,
    KineticValidationError,
)
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
from tests.library.clients._support import assert_clean, eventually
from tests.log_hygiene import register_secret


def make_client(
    sim: PaymentEngineSimulator, session: aiohttp.ClientSession | None, **kwargs: float
) -> PaymentEngineClient:
    """A client for ``sim`` with its credentials."""
    info = sim.describe()
    register_secret(*sim.secrets(), sim.auth_password())
    return PaymentEngineClient(
        api_key=str(info["api_key"]),
        pin=str(info["pin"]),
        base_url=sim.base_url,
        session=session,
        **kwargs,
    )


def device_key(sim: PaymentEngineSimulator) -> str:
    """The key of the simulator's first device."""
    return next(iter(sim.pe_devices))


@pytest.fixture
async def pe(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> PaymentEngineClient:
    """A client for the simulator, sharing the test's session."""
    return make_client(payment_engine_sim, session, request_timeout=5)


async def settled(pe: PaymentEngineClient, key: str) -> PayRequest:
    """Poll a pay request until it is complete."""
    return await eventually(lambda: pe.pay_request(key), lambda r: r.complete is True)


async def test_sale_approved(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    created = await pe.create_pay_request(
        PayRequestParams(amount=Decimal("8.88"), devicekey=device_key(payment_engine_sim))
    )
    assert created.key.startswith("pr_")
    assert created.to_transaction().result is TransactionResult.PENDING
    done = await settled(pe, created.key)
    common = done.to_transaction(reference="order-1")
    assert common.result is TransactionResult.APPROVED
    assert common.amount == Decimal("8.88")
    assert common.reference == "order-1"
    assert common.request_key == created.key
    assert common.masked_pan is not None
    assert common.masked_pan.endswith("0119")
    assert done.transaction is not None
    assert done.transaction.is_duplicate is False
    assert_clean(done, payment_engine_sim.secrets())
    assert_clean(done.transaction, payment_engine_sim.secrets())
    [charge] = payment_engine_sim.charges()
    assert (charge.reference, charge.amount) == (created.key, Decimal("8.88"))


async def test_every_parameter_is_accepted(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    params = PayRequestParams(
        amount=Decimal("10.50"),
        command="sale",
        devicekey=device_key(payment_engine_sim),
        timeout=60,
        block_offline=True,
        ignore_duplicate=True,
        save_card=False,
        manual_key=False,
        prompt_tip=False,
        amount_detail=AmountDetail(subtotal=Decimal("9.50"), tax=Decimal("1.00")),
        invoice="INV-1",
        ponum="PO-1",
        orderid="ORDER-1",
        description="Coffee",
        comments="regular",
        terminal="lane 1",
        table="4",
        clerk="Sam",
        billing_address=Address(firstname="Jane", lastname="Doe", postalcode="90210"),
        shipping_address=Address(street="1 Main St", city="Springfield"),
        customerid="C-1",
        email="jane@example.com",
        geolocation="40.7,-74.0",
        software="kinetic-integration tests",
        custom_fields={"1": "custom"},
        lineitems=(LineItem(sku="S", name="Latte", cost=Decimal("4.75"), qty=2),),
        custom_flow="amount,payment,result",
    )
    created = await pe.create_pay_request(params)
    done = await settled(pe, created.key)
    assert done.transaction is not None
    assert done.transaction.invoice == "INV-1"
    assert done.to_transaction().result is TransactionResult.APPROVED


@pytest.mark.parametrize(
    ("command", "amount", "expected", "txn_type"),
    [
        ("refund", "3.00", TransactionResult.APPROVED, TransactionType.REFUND),
        ("authonly", "3.00", TransactionResult.APPROVED, TransactionType.SALE),
        ("sale", "3.01", TransactionResult.DECLINED, TransactionType.SALE),
        ("sale", "3.02", TransactionResult.APPROVED, TransactionType.SALE),
        ("sale", "3.04", TransactionResult.CANCELLED, TransactionType.SALE),
        ("sale", "3.05", TransactionResult.ERROR, TransactionType.SALE),
        ("sale", "3.06", TransactionResult.APPROVED, TransactionType.SALE),
    ],
)
async def test_commands_and_outcomes(
    pe: PaymentEngineClient,
    command: str,
    amount: str,
    expected: TransactionResult,
    txn_type: TransactionType,
) -> None:
    created = await pe.create_pay_request(PayRequestParams(amount=Decimal(amount), command=command))
    done = await settled(pe, created.key)
    common = done.to_transaction(type=txn_type, amount=Decimal(amount))
    assert common.result is expected
    assert common.type is txn_type


async def test_card_wait_timeout_then_cancel_refused(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    payment_engine_sim.card_timeout = 0.3
    created = await pe.create_pay_request(PayRequestParams(amount=Decimal("2.03")))
    done = await settled(pe, created.key)
    assert done.status == "timeout"
    assert done.to_transaction().result is TransactionResult.TIMEOUT
    with pytest.raises(KineticRequestTimedOutError):
        await pe.cancel_pay_request(created.key)


async def test_cancel_waiting_request(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    created = await pe.create_pay_request(PayRequestParams(amount=Decimal("2.03")))
    await eventually(lambda: pe.pay_request(created.key), lambda r: r.status != "sending to device")
    await pe.cancel_pay_request(created.key)
    done = await settled(pe, created.key)
    assert done.to_transaction().result is TransactionResult.CANCELLED
    with pytest.raises(KineticValidationError):
        await pe.cancel_pay_request(created.key)
    assert payment_engine_sim.charges() == []


async def test_unknown_request_and_device(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    with pytest.raises(KineticNotFoundError):
        await pe.pay_request("pr_doesnotexist")
    with pytest.raises(KineticNotFoundError):
        await pe.cancel_pay_request("pr_doesnotexist")
    with pytest.raises(KineticUnknownDeviceError):
        await pe.device("sa_nope")
    with pytest.raises(KineticUnknownDeviceError):
        await pe.create_pay_request(PayRequestParams(amount=Decimal("1.00"), devicekey="sa_nope"))
    assert payment_engine_sim.charges() == []


async def test_devices_and_registration(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    [device] = await pe.devices()
    assert device.key == device_key(payment_engine_sim)
    assert device.is_online
    assert (await pe.device(device.key)).name == device.name
    registered = await pe.register_device("Bar")
    assert registered.pairing_code
    assert registered.pairing_code.isdigit()
    assert not registered.is_online
    assert {d.key for d in await pe.devices()} == {device.key, registered.key}
    # Not paired yet: the engine does not accept requests for it.
    with pytest.raises(KineticUnknownDeviceError):
        await pe.create_pay_request(
            PayRequestParams(amount=Decimal("1.00"), devicekey=registered.key)
        )
    payment_engine_sim.pair(registered.key)
    assert (await pe.device(registered.key)).is_online
    with pytest.raises(KineticInputError):
        await pe.register_device(" ")


async def test_busy_offline_and_low_battery(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator
) -> None:
    key = device_key(payment_engine_sim)
    first = await pe.create_pay_request(PayRequestParams(amount=Decimal("1.03"), devicekey=key))
    with pytest.raises(KineticDeviceBusyError) as busy:
        await pe.create_pay_request(PayRequestParams(amount=Decimal("1.00"), devicekey=key))
    assert busy.value.details == "errorcode 21146"
    await pe.cancel_pay_request(first.key)
    await settled(pe, first.key)

    payment_engine_sim.set_device_online(key, False)
    assert not (await pe.device(key)).is_online
    with pytest.raises(KineticDeviceOfflineError):
        await pe.create_pay_request(
            PayRequestParams(amount=Decimal("1.00"), devicekey=key, block_offline=True)
        )
    payment_engine_sim.set_device_online(key, True)

    payment_engine_sim.set_battery(key, 5)
    with pytest.raises(KineticLowBatteryError):
        await pe.create_pay_request(PayRequestParams(amount=Decimal("1.00"), devicekey=key))
    assert payment_engine_sim.charges() == []


async def test_rate_limit_carries_retry_after(session: aiohttp.ClientSession) -> None:
    async with PaymentEngineSimulator(host="127.0.0.62", rate_limit=2, customer_delay=0.05) as sim:
        client = make_client(sim, session)
        await client.devices()
        await client.devices()
        with pytest.raises(KineticRateLimitError) as limited:
            await client.devices()
        assert limited.value.retry_after is not None
        assert 0 < limited.value.retry_after <= 60


async def test_wrong_pin_is_authentication_error(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    info = payment_engine_sim.describe()
    client = PaymentEngineClient(
        api_key=str(info["api_key"]),
        pin="0000",
        base_url=payment_engine_sim.base_url,
        session=session,
    )
    with pytest.raises(KineticAuthenticationError):
        await client.devices()
    with pytest.raises(KineticAuthenticationError):
        await client.create_pay_request(PayRequestParams(amount=Decimal("1.00")))
    assert payment_engine_sim.charges() == []


def test_pin_hash_is_fresh_per_request(payment_engine_sim: PaymentEngineSimulator) -> None:
    info = payment_engine_sim.describe()
    api_key, pin = str(info["api_key"]), str(info["pin"])
    assert pin_hash(api_key, pin, "simseed") == payment_engine_sim.auth_password("simseed")
    first, second = pin_hash(api_key, pin), pin_hash(api_key, pin)
    assert first != second
    assert first.startswith("s2/")
    assert pin not in first


@pytest.mark.parametrize(
    "params",
    [
        PayRequestParams(amount=Decimal(0)),
        PayRequestParams(amount=Decimal("1.001")),
        PayRequestParams(amount=Decimal(1), command="void"),
        PayRequestParams(amount=Decimal(1), invoice="twelve chars"),
    ],
)
async def test_invalid_params_send_nothing(
    pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator, params: PayRequestParams
) -> None:
    with pytest.raises((KineticInputError, InvalidAmountError)):
        await pe.create_pay_request(params)
    assert payment_engine_sim.money_requests() == 0


@pytest.mark.parametrize("key", ["", "pr/../x", "pr x", "pr?x=1"])
async def test_bad_keys_send_nothing(pe: PaymentEngineClient, key: str) -> None:
    with pytest.raises(KineticInputError):
        await pe.pay_request(key)
    with pytest.raises(KineticInputError):
        await pe.cancel_pay_request(key)
    with pytest.raises(KineticInputError):
        await pe.device(key)


async def test_faults(pe: PaymentEngineClient, payment_engine_sim: PaymentEngineSimulator) -> None:
    payment_engine_sim.inject("malformed_json")
    with pytest.raises(KineticInvalidResponseError):
        await pe.devices()
    payment_engine_sim.inject("error_500")
    with pytest.raises(KineticDeviceError):
        await pe.devices()
    payment_engine_sim.inject("busy")
    with pytest.raises(KineticDeviceBusyError):
        await pe.create_pay_request(PayRequestParams(amount=Decimal("1.00")))
    assert await pe.devices()


async def test_hang_times_out(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(payment_engine_sim, session, request_timeout=0.2)
    payment_engine_sim.inject("hang")
    with pytest.raises(KineticTimeoutError):
        await client.devices()


async def test_session_ownership(payment_engine_sim: PaymentEngineSimulator) -> None:
    async with aiohttp.ClientSession() as injected:
        async with make_client(payment_engine_sim, injected) as client:
            await client.devices()
        assert not injected.closed
    own = make_client(payment_engine_sim, None)
    async with own:
        await own.devices()
        created = own.session
        assert created is not None
    assert created.closed


def test_repr_hides_credentials_and_defaults() -> None:
    client = PaymentEngineClient(api_key="_APIKEY_SECRET", pin="9876")
    text = repr(client)
    assert "_APIKEY_SECRET" not in text
    assert "9876" not in text
    assert client.base_url == PRODUCTION_URL == "https://usaepay.com/api/v2"
    assert SANDBOX_URL == "https://sandbox.usaepay.com/api/v2"
