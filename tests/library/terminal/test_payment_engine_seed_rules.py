"""Seed 004's rules and options through the Payment Engine facade, over loopback (issue 14).

Each contradiction of issue 14 has a test here that failed before its fix: the device
status, the ``amount_detail`` sum with a tip, ``custom_flow`` order, ``enable_partialauth``
sent as false, ``authonly`` recorded as a sale, ``total`` left empty.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration.errors import KineticInputError
from kinetic_integration.models import AmountDetail, PayRequestParams
from kinetic_integration.models.common import TransactionResult, TransactionType
from kinetic_integration.models.payment_engine import PeDevice
from kinetic_integration.simulator import PaymentEngineSimulator
from kinetic_integration.terminal import Capability, Terminal, create_terminal
from tests.library.terminal.support import config_for
from tests.log_hygiene import register_secret


def _terminal(sim: PaymentEngineSimulator, session: aiohttp.ClientSession) -> Terminal:
    return create_terminal(config_for(sim), session)


def _sent(sim: PaymentEngineSimulator) -> list[dict[str, object]]:
    return [pay.params for pay in sim.requests.values()]


# --- contradiction 3: a paired device reporting "connected" is online ----------------


@pytest.mark.parametrize(
    ("status", "online"),
    [
        ("online", True),
        ("connected", True),
        ("Connected ", True),
        ("offline", False),
        ("disconnected", False),
        ("waiting for device pairing", False),
        (None, False),
    ],
)
def test_device_status_is_read_tolerantly(status: str | None, online: bool) -> None:
    assert PeDevice.from_dict({"key": "sa_1", "status": status}).is_online is online


def test_an_unknown_device_status_is_online_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kinetic_integration.models.payment_engine")
    device = PeDevice.from_dict({"key": "sa_1", "status": "linked via cloud"})
    assert device.is_online
    assert device.is_online
    assert PeDevice.from_dict({"key": "sa_2", "status": "linked via cloud"}).is_online
    notes = [r for r in caplog.records if "linked via cloud" in r.getMessage()]
    assert len(notes) == 1


async def test_a_connected_device_shows_online(
    payment_engine_sim: PaymentEngineSimulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The device document says "connected": the terminal's status is online."""
    pe_device = next(iter(payment_engine_sim.pe_devices.values()))
    monkeypatch.setattr(type(pe_device), "status", property(lambda self: "connected"))
    status = await _terminal(payment_engine_sim, session).status()
    assert status.online is True


# --- contradiction 4: the request rules ---------------------------------------------------


def test_amount_detail_must_add_up() -> None:
    params = PayRequestParams(
        amount=Decimal("12.00"), amount_detail=AmountDetail(subtotal=Decimal("10.00"))
    )
    with pytest.raises(KineticInputError, match="does not add up"):
        params.to_json()
    fine = PayRequestParams(
        amount=Decimal("12.00"),
        amount_detail=AmountDetail(
            subtotal=Decimal("10.00"),
            discount=Decimal("1.00"),
            shipping=Decimal("1.50"),
            duty=Decimal("0.25"),
            tax=Decimal("1.25"),
        ),
    )
    assert fine.to_json()["amount_detail"]["subtotal"] == "10.00"


async def test_tip_keeps_the_amount_detail_sum(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    """Amount 10.00 with subtotal 10.00 and a 2.00 tip: 12.00 charged, subtotal 12.00."""
    txn = await _terminal(payment_engine_sim, session).sale(
        "10.00", tip="2.00", amount_detail={"subtotal": Decimal("10.00")}
    )
    assert txn.result is TransactionResult.APPROVED
    [body] = _sent(payment_engine_sim)
    assert body["amount"] == "12.00"
    assert body["amount_detail"] == {"subtotal": "12.00", "tip": "2.00"}
    assert (txn.amount, txn.tip, txn.total) == (Decimal("10.00"), Decimal("2.00"), Decimal("12.00"))


async def test_amount_detail_that_does_not_add_up_sends_nothing(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(payment_engine_sim, session)
    with pytest.raises(KineticInputError, match="does not add up"):
        await terminal.sale("10.00", amount_detail={"subtotal": "9.00", "tax": "0.50"})
    assert payment_engine_sim.money_requests() == 0


async def test_the_simulator_refuses_a_sum_that_does_not_add_up(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    """The engine's own check (a client that skips ours is refused, errorcode 0)."""
    terminal = _terminal(payment_engine_sim, session)
    client = terminal.client  # type: ignore[attr-defined]
    body = {"command": "sale", "amount": "5.00", "amount_detail": {"subtotal": "4.00"}}
    async with session.post(
        f"{payment_engine_sim.base_url}/paymentengine/payrequests",
        json=body,
        auth=aiohttp.BasicAuth(client.api_key, payment_engine_sim.auth_password()),
    ) as response:
        assert response.status == 400
        assert (await response.json())["errorcode"] == 0


@pytest.mark.parametrize(
    "flow",
    [
        "result,payment",
        "payment,result,amount",
        "payment,signature,result",
        "signature_required,payment,result",
        "payment,result,result",
        "amount,result",
    ],
)
async def test_custom_flow_out_of_order_is_refused(
    flow: str, payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(payment_engine_sim, session)
    with pytest.raises(KineticInputError, match="custom_flow"):
        await terminal.sale("5.00", custom_flow=flow)
    assert payment_engine_sim.money_requests() == 0


async def test_custom_flow_in_order_is_sent(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    flow = "amount,payment,result,signature_required"
    txn = await _terminal(payment_engine_sim, session).sale("5.00", custom_flow=flow)
    assert txn.result is TransactionResult.APPROVED
    assert _sent(payment_engine_sim)[0]["custom_flow"] == flow


def test_enable_partialauth_false_is_not_sent() -> None:
    """The seed: the parameter's presence enables it."""
    off = AmountDetail(enable_partialauth=False, tax=Decimal("1.00")).to_json()
    assert off == {"tax": "1.00"}
    assert AmountDetail(enable_partialauth=True).to_json() == {"enable_partialauth": True}


async def test_authonly_is_an_authorisation_not_a_sale(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(payment_engine_sim, session)
    assert terminal.supports(Capability.AUTHORIZE)
    operation = terminal.prepare(
        TransactionType.AUTHORIZATION, amount="25.00", extra={"invoice": "INV-1"}
    )
    txn = await terminal.execute(operation)
    assert txn.type is TransactionType.AUTHORIZATION
    assert txn.result is TransactionResult.APPROVED
    assert txn.amount == Decimal("25.00")
    [body] = _sent(payment_engine_sim)
    assert body["command"] == "authonly"
    # A lookup of the request says what it was, too.
    looked_up = await terminal.transaction(txn.reference, terminal_id=txn.request_key)
    assert looked_up.type is TransactionType.AUTHORIZATION


async def test_the_callers_order_id_is_sent_as_orderid(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    txn = await _terminal(payment_engine_sim, session).sale(
        "5.00", reference="ref-1", orderid="ORDER-77"
    )
    assert txn.result is TransactionResult.APPROVED
    [body] = _sent(payment_engine_sim)
    assert body["orderid"] == "ORDER-77"
    assert body["comments"] == "kinetic-ref:ref-1"


# --- contradiction 5 (Payment Engine part): total ---------------------------------------


async def test_total_is_what_the_request_moved(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    txn = await _terminal(payment_engine_sim, session).sale("8.88")
    assert txn.total == Decimal("8.88")


# --- simulator: partial approval, duplicate folding, save_card -----------------------------


async def test_partial_approval_reports_the_authorised_amount(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    payment_engine_sim.available_funds = Decimal("5.00")
    terminal = _terminal(payment_engine_sim, session)
    txn = await terminal.sale("10.00", amount_detail={"enable_partialauth": True})
    assert txn.result is TransactionResult.APPROVED
    assert (txn.amount, txn.total) == (Decimal("5.00"), Decimal("5.00"))
    assert [charge.amount for charge in payment_engine_sim.charges()] == [Decimal("5.00")]
    # Without partial authorisation the same sale is declined.
    declined = await terminal.sale("10.00")
    assert declined.result is TransactionResult.DECLINED
    assert len(payment_engine_sim.charges()) == 1


async def test_duplicate_folding_answers_with_the_first_charge(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    payment_engine_sim.duplicate_folding = True
    terminal = _terminal(payment_engine_sim, session)
    first = await terminal.sale("6.50", orderid="ORD-9")
    again = await terminal.sale("6.50", orderid="ORD-9")
    assert first.is_duplicate is False
    assert again.is_duplicate is True
    assert again.result is TransactionResult.APPROVED
    assert again.terminal_id == first.terminal_id
    assert len(payment_engine_sim.charges()) == 1
    # ignore_duplicate bypasses folding: a second charge.
    third = await terminal.sale("6.50", orderid="ORD-9", ignore_duplicate=True)
    assert third.is_duplicate is False
    assert len(payment_engine_sim.charges()) == 2


async def test_save_card_returns_a_token_kept_out_of_the_repr(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    txn = await _terminal(payment_engine_sim, session).sale("4.00", save_card=True)
    assert txn.card_token is not None
    register_secret(txn.card_token)
    assert txn.card_token in payment_engine_sim.secrets()
    assert txn.card_token not in repr(txn)
    plain = await _terminal(payment_engine_sim, session).sale("4.10")
    assert plain.card_token is None


# --- the running pay request's progress as the terminal's status ---------------------------


async def test_status_shows_the_running_requests_progress(
    session: aiohttp.ClientSession,
) -> None:
    """While a sale waits for the card the status is busy with the request's own words."""
    sim = PaymentEngineSimulator(host="127.0.0.65", port=0, customer_delay=0, rate_limit=0)
    async with sim:
        terminal = _terminal(sim, session)
        idle = await terminal.status()
        assert (idle.busy, idle.screen) == (False, "online")
        sale = asyncio.create_task(terminal.sale("3.00", timeout=10))
        waiting = await terminal.status()
        # Status reads draw on the key's budget (a third of 45 a minute): look calmly.
        for _ in range(12):
            if waiting.screen == "waiting for card dip":
                break
            await asyncio.sleep(0.25)
            waiting = await terminal.status()
        assert (waiting.busy, waiting.screen, waiting.online) == (
            True,
            "waiting for card dip",
            True,
        )
        await sim.customer("tap")
        txn = await sale
        assert txn.result is TransactionResult.APPROVED
        done = await terminal.status()
        assert (done.busy, done.screen) == (False, "online")


async def test_status_during_our_polled_sale_sends_nothing(
    session: aiohttp.ClientSession,
) -> None:
    """While our sale is polled its progress is the status: no request of the key's 45."""
    sim = PaymentEngineSimulator(host="127.0.0.66", port=0, customer_delay=0)
    async with sim:
        terminal = _terminal(sim, session)

        def counted() -> int:  # every request so far (all within the limit's window)
            return sum(sim.rate_limiter.most_in_window.values())

        polled = asyncio.Event()
        terminal.on_progress = lambda _operation, txn: (
            polled.set() if txn.status == "waiting for card dip" else None
        )
        await terminal.status()
        sale = asyncio.create_task(terminal.sale("3.00", timeout=10))
        async with asyncio.timeout(5):  # the sale's first check of its request
            await polled.wait()
        before = counted()
        waiting = await terminal.status()
        assert (waiting.busy, waiting.screen, waiting.online) == (
            True,
            "waiting for card dip",
            True,
        )
        assert counted() == before
        await sim.customer("tap")
        assert (await sale).result is TransactionResult.APPROVED
        ended = counted()
        done = await terminal.status()  # no request of ours open: the device is asked
        assert (done.busy, done.screen) == (False, "online")
        assert counted() == ended + 1
