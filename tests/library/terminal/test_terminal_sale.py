"""The sale guarantee: one charge per reference, recovered by the terminal's own id."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration.errors import (
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticInputError,
)
from kinetic_integration.models.common import TerminalKind, TransactionResult, TransactionType
from kinetic_integration.simulator import (
    BaseSimulator,
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.terminal import PreviousAttempt, Terminal, create_terminal
from tests.library.terminal.support import (
    KINDS,
    config_for,
    make_sim,
    started_sim,
    wait_until,
)


@pytest.fixture(params=KINDS)
async def any_sim(request: pytest.FixtureRequest) -> AsyncIterator[BaseSimulator]:
    """Each kind of simulator in turn."""
    async with started_sim(request.param) as sim:
        yield sim


SALE_PATHS = {
    TerminalKind.KINETIC_GO: "/api/v2/transactions/sale",
    TerminalKind.DEVICE_SERVICE: "/DeviceService/Kinetic/Transaction",
    TerminalKind.PAYMENT_ENGINE: "/api/v2/paymentengine/payrequests",
}


def _terminal(sim: BaseSimulator, session: aiohttp.ClientSession, **overrides: object) -> Terminal:
    return create_terminal(config_for(sim, **overrides), session)


async def test_approved_sale_charges_once(
    any_sim: BaseSimulator, session: aiohttp.ClientSession
) -> None:
    sim = any_sim
    terminal = _terminal(sim, session)
    txn = await terminal.sale("12.34")
    assert txn.result is TransactionResult.APPROVED
    assert txn.amount == Decimal("12.34")
    assert txn.type is TransactionType.SALE
    assert txn.auth_code
    assert txn.masked_pan
    assert "0119" in txn.masked_pan
    assert [entry.amount for entry in sim.charges()] == [Decimal("12.34")]
    assert sim.money_requests() == 1


async def test_declined_sale_is_final_and_charges_nothing(
    any_sim: BaseSimulator, session: aiohttp.ClientSession
) -> None:
    sim = any_sim
    txn = await _terminal(sim, session).sale("5.01")
    assert txn.result is TransactionResult.DECLINED
    assert sim.charges() == []
    assert sim.money_requests() == 1


async def test_lost_answer_after_accept_is_recovered_with_one_charge(
    any_sim: BaseSimulator, session: aiohttp.ClientSession
) -> None:
    sim = any_sim
    if sim.kind is TerminalKind.PAYMENT_ENGINE:
        # Its create answer carries the only id: lose the first poll's answer instead
        # (the lost create answer is the next test).
        sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests/pr_")
    else:
        sim.inject("drop_after_accept", path=SALE_PATHS[sim.kind])
    txn = await _terminal(sim, session).sale("7.00", reference=None)
    assert txn.result is TransactionResult.APPROVED
    assert len(sim.charges()) == 1
    recovered_by = txn.request_key or txn.reference
    assert sim.charges()[0].reference.lower() == recovered_by.lower()
    assert sim.money_requests() == 1


async def test_payment_engine_lost_create_answer_is_found_by_order_id(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    """The create answer is lost: the open batch is searched by orderid, never re-sent."""
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    terminal = _terminal(payment_engine_sim, session)
    txn = await terminal.sale("7.00", reference="order-1", tip="1.00")
    assert txn.result is TransactionResult.APPROVED
    assert txn.reference == "order-1"
    assert (txn.amount, txn.tip, txn.total) == (Decimal("7.00"), Decimal("1.00"), Decimal("8.00"))
    assert txn.masked_pan
    assert txn.terminal_id
    [charge] = payment_engine_sim.charges()
    assert charge.amount == Decimal("8.00")
    # Asked again: found again, never a second request.
    again = await terminal.sale("7.00", reference="order-1")
    assert again.result is TransactionResult.APPROVED
    assert payment_engine_sim.money_requests() == 1
    assert len(payment_engine_sim.charges()) == 1


async def test_payment_engine_lost_create_answer_of_a_decline_is_found(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    txn = await _terminal(payment_engine_sim, session).sale("5.01", reference="order-2")
    assert txn.result is TransactionResult.DECLINED
    assert payment_engine_sim.charges() == []
    assert payment_engine_sim.money_requests() == 1


async def test_payment_engine_lost_create_answer_not_in_the_batch_stays_unknown(
    session: aiohttp.ClientSession,
) -> None:
    """No card before the request's timeout: not in the batch, UNKNOWN with what to check."""
    # No automatic customer: nobody presents a card.
    sim = PaymentEngineSimulator(host="127.0.0.64", port=0, customer_delay=0, rate_limit=0)
    async with sim:
        sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
        terminal = _terminal(sim, session, recovery_grace=0.5)
        txn = await terminal.sale("6.00", reference="order-3", timeout=1.5)
        assert txn.result is TransactionResult.UNKNOWN
        assert txn.message is not None
        assert "order id order-3" in txn.message
        assert "21146" in txn.message
        assert sim.money_requests() == 1
        assert sim.charges() == []


async def test_payment_engine_lost_create_with_the_callers_order_id_is_found_by_reference(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    """The caller's order id is sent as orderid; our reference rides in the comments.

    An earlier sale with the same order id is in the batch too: the order id alone would
    find that one, so the search goes by our reference and finds the lost request's own.
    """
    terminal = _terminal(payment_engine_sim, session)
    first = await terminal.sale("9.00", reference="order-3b", orderid="TABLE-12")
    assert first.result is TransactionResult.APPROVED
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    txn = await terminal.sale(
        "7.00", reference="order-4", orderid="TABLE-12", comments="window seat", timeout=5.0
    )
    assert txn.result is TransactionResult.APPROVED
    assert txn.amount == Decimal("7.00")
    assert txn.terminal_id != first.terminal_id
    sent = [pay.params for pay in payment_engine_sim.requests.values()]
    assert [body["orderid"] for body in sent] == ["TABLE-12", "TABLE-12"]
    assert sent[1]["comments"] == "window seat kinetic-ref:order-4"
    assert payment_engine_sim.money_requests() == 2
    assert [charge.amount for charge in payment_engine_sim.charges()] == [
        Decimal("9.00"),
        Decimal("7.00"),
    ]


async def test_device_service_post_timeout_while_busy_is_recovered(
    session: aiohttp.ClientSession,
) -> None:
    """The POST gives up while the customer still has the card; GET answers busy meanwhile."""
    sim = DeviceServiceSimulator(host="127.0.0.61", port=0, customer_delay=0, stable_wait=0.2)
    async with sim:
        terminal = _terminal(sim, session, blocking_request_timeout=0.2)
        task = asyncio.create_task(terminal.sale("9.99", timeout=10))
        await asyncio.sleep(0.8)  # the POST has timed out; recovery sees "busy"
        assert not task.done()
        await sim.customer("present")
        txn = await asyncio.wait_for(task, 10)
        assert txn.result is TransactionResult.APPROVED
        assert len(sim.charges()) == 1
        assert sim.money_requests() == 1


async def test_device_service_duplicate_uuid_is_recovered_not_reposted(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    first = await _terminal(device_service_sim, session).sale("3.00")
    # A fresh Terminal (e.g. another process) knows nothing, but the reference is reused:
    # it is looked up first and reported, never posted again.
    again = await _terminal(device_service_sim, session).sale("3.00", reference=first.reference)
    assert again.result is TransactionResult.APPROVED
    assert again.auth_code == first.auth_code
    assert device_service_sim.money_requests() == 1
    assert len(device_service_sim.charges()) == 1


async def test_payment_engine_request_timeout_is_final_timeout(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    txn = await _terminal(payment_engine_sim, session).sale("4.03", timeout=1)
    assert txn.result is TransactionResult.TIMEOUT
    assert txn.request_key is not None
    assert payment_engine_sim.money_requests() == 1
    assert payment_engine_sim.charges() == []


async def test_resume_with_same_reference_reports_first_transaction(
    any_sim: BaseSimulator, session: aiohttp.ClientSession
) -> None:
    sim = any_sim
    terminal = _terminal(sim, session)
    first = await terminal.sale("6.00")
    again = await terminal.sale("6.00", reference=first.reference)
    assert again.result is TransactionResult.APPROVED
    assert again.reference == first.reference
    assert again.auth_code == first.auth_code
    assert len(sim.charges()) == 1
    assert sim.money_requests() == 1


async def test_busy_terminal_refuses_and_nothing_starts(
    any_sim: BaseSimulator, session: aiohttp.ClientSession
) -> None:
    sim = any_sim
    sim.inject("busy", path=SALE_PATHS[sim.kind])
    with pytest.raises(KineticDeviceBusyError):
        await _terminal(sim, session).sale("2.00")
    await asyncio.sleep(0.2)
    assert sim.ledger == []


async def test_kinetic_go_unconfirmed_outcome_is_unknown_then_resumable(
    session: aiohttp.ClientSession,
) -> None:
    # Nobody presents a card until the test says so.
    async with make_sim("kinetic_go", customer_delay=0) as sim:
        terminal = _terminal(sim, session)
        txn = await terminal.sale("8.00", timeout=0.3)
        assert txn.result is TransactionResult.UNKNOWN
        assert txn.reference
        await sim.customer("present")
        resumed = await _terminal(sim, session).sale("8.00", reference=txn.reference, timeout=5)
        assert resumed.result is TransactionResult.APPROVED
        assert len(sim.charges()) == 1
        assert sim.money_requests() == 1


async def test_hanging_recovery_ends_unknown_at_the_deadline(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("drop_after_accept", path=SALE_PATHS[TerminalKind.KINETIC_GO])
    kinetic_go_sim.inject("hang", path="/api/v2/transactions/", times=100)
    loop = asyncio.get_running_loop()
    started = loop.time()
    txn = await _terminal(kinetic_go_sim, session).sale("8.00", timeout=0.5)
    assert txn.result is TransactionResult.UNKNOWN
    assert loop.time() - started < 2.0
    assert kinetic_go_sim.money_requests() == 1


async def test_answered_server_error_without_record_raises(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("error_500", path=SALE_PATHS[TerminalKind.KINETIC_GO])
    with pytest.raises(KineticDeviceError):
        await _terminal(kinetic_go_sim, session).sale("8.00")
    assert kinetic_go_sim.ledger == []


async def test_malformed_answer_is_recovered(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("malformed_json", path=SALE_PATHS[TerminalKind.KINETIC_GO])
    txn = await _terminal(kinetic_go_sim, session).sale("8.00")
    assert txn.result is TransactionResult.APPROVED
    assert len(kinetic_go_sim.charges()) == 1


async def test_unreachable_terminal_raises_before_anything_is_sent(
    session: aiohttp.ClientSession,
) -> None:
    sim = KineticGoSimulator(host="127.0.0.62", port=0)
    async with sim:
        config = config_for(sim)
    # The simulator is gone: the connection is refused, so nothing can have been charged.
    with pytest.raises(KineticConnectionError):
        await create_terminal(config, session).sale("1.00")


async def test_refund_reversal_and_reconciliation_on_kinetic_go(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    sale = await terminal.sale("10.00")
    refund = await terminal.refund("4.00")
    assert refund.result is TransactionResult.APPROVED
    assert refund.type is TransactionType.REFUND
    reversal = await terminal.reversal(sale.reference)
    assert reversal.type is TransactionType.REVERSAL
    assert reversal.result is TransactionResult.APPROVED
    reconciliation = await terminal.reconciliation()
    assert reconciliation.type is TransactionType.RECONCILIATION
    assert reconciliation.result.is_final


async def test_payment_engine_refund_and_tip(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(payment_engine_sim, session)
    sale = await terminal.sale("10.00", tip="1.50", table="12", clerk="Ann")
    assert sale.result is TransactionResult.APPROVED
    # As on the Kinetic Go, the tip comes on top of the amount.
    assert [entry.amount for entry in payment_engine_sim.charges()] == [Decimal("11.50")]
    assert sale.amount == Decimal("10.00")
    assert sale.tip == Decimal("1.50")
    assert sale.total == Decimal("11.50")
    refund = await terminal.refund("4.00")
    assert refund.result is TransactionResult.APPROVED
    assert refund.type is TransactionType.REFUND
    assert payment_engine_sim.money_requests() == 2


async def test_kinetic_go_tip_and_cashback(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    txn = await _terminal(kinetic_go_sim, session).sale("10.00", tip="1.00", cashback="5.00")
    assert txn.result is TransactionResult.APPROVED
    assert txn.tip == Decimal("1.00")
    assert txn.cashback == Decimal("5.00")
    assert txn.total == Decimal("16.00")


async def test_payment_engine_cancel_pending_request(session: aiohttp.ClientSession) -> None:
    async with make_sim("payment_engine", customer_delay=0) as sim:
        await _cancel_pending(sim, session)


async def _cancel_pending(sim: BaseSimulator, session: aiohttp.ClientSession) -> None:
    terminal = _terminal(sim, session)
    keys: list[str] = []

    class Listener:
        async def sending(self, operation: object) -> None:
            return None

        async def terminal_id_known(self, operation: object, terminal_id: str) -> None:
            keys.append(terminal_id)

        async def answered_error(self, operation: object, error: object) -> None:
            return None

    task = asyncio.create_task(terminal.sale("3.00", timeout=10, listener=Listener()))
    await wait_until(lambda: bool(keys))
    await terminal.cancel(keys[0])
    txn = await asyncio.wait_for(task, 10)
    assert txn.result is TransactionResult.CANCELLED
    assert sim.charges() == []


@pytest.mark.parametrize("kind", ["kinetic_go", "device_service"])
async def test_duplicate_reference_answer_is_recovered_not_charged_again(
    kind: str, session: aiohttp.ClientSession
) -> None:
    async with started_sim(kind) as sim:
        terminal = _terminal(sim, session)
        first = await terminal.sale("3.00")
        # A hand-built operation that skips the lookup: the terminal says "already
        # exists", and that is recovered, never taken as a reason to charge.
        operation = terminal.prepare(TransactionType.SALE, amount="3.00", reference=first.reference)
        blind = dataclasses.replace(operation, caller_reference=False)
        fresh = _terminal(sim, session)
        again = await fresh.execute(blind)
        assert again.result is TransactionResult.APPROVED
        assert again.auth_code == first.auth_code
        assert len(sim.charges()) == 1


async def test_payment_engine_refused_request_may_be_retried(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    payment_engine_sim.inject("busy", path=SALE_PATHS[TerminalKind.PAYMENT_ENGINE])
    terminal = _terminal(payment_engine_sim, session)
    with pytest.raises(KineticDeviceBusyError):
        await terminal.sale("2.00", reference="table-4")
    txn = await terminal.sale("2.00", reference="table-4")
    assert txn.result is TransactionResult.APPROVED
    assert len(payment_engine_sim.charges()) == 1


async def test_payment_engine_vanished_request_is_unknown_not_recreated(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(payment_engine_sim, session)
    txn = await terminal.sale(
        "2.00",
        reference="table-5",
        previous=PreviousAttempt(sent=True, terminal_id="pr_NoSuchRequest000000000000000"),
    )
    assert txn.result is TransactionResult.UNKNOWN
    assert payment_engine_sim.money_requests() == 0


async def test_payment_engine_rate_limit_is_respected(session: aiohttp.ClientSession) -> None:
    async with started_sim("payment_engine", rate_limit=3, rate_window=1.0) as sim:
        txn = await _terminal(sim, session).sale("6.00", timeout=10)
        assert txn.result is TransactionResult.APPROVED
        assert len(sim.charges()) == 1
        assert sim.money_requests() == 1


async def test_reference_of_another_transaction_is_refused(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    first = await terminal.sale("6.00")
    fresh = _terminal(kinetic_go_sim, session)
    with pytest.raises(KineticInputError, match="already names a sale"):
        await fresh.sale("7.00", reference=first.reference)
    with pytest.raises(KineticInputError, match="already names a sale"):
        await fresh.refund("6.00", reference=first.reference)
    assert kinetic_go_sim.money_requests() == 1


async def test_device_service_resume_while_the_first_post_still_runs(
    session: aiohttp.ClientSession,
) -> None:
    async with started_sim("device_service", customer_delay=0) as sim:
        first_terminal = _terminal(sim, session)
        reference = first_terminal.new_reference()
        first = asyncio.create_task(first_terminal.sale("4.00", reference=reference, timeout=10))
        await wait_until(lambda: sim.money_requests() == 1)
        # Another process resumes the same reference: the lookup answers busy (the POST
        # still runs), which for a reference already sent means "wait", never "post".
        resumed = asyncio.create_task(
            _terminal(sim, session).sale(
                "4.00", reference=reference, timeout=10, previous=PreviousAttempt(sent=True)
            )
        )
        await asyncio.sleep(0.3)
        await sim.customer("present")
        assert (await first).result is TransactionResult.APPROVED
        assert (await resumed).result is TransactionResult.APPROVED
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


async def test_payment_engine_create_rate_limited_is_retried_once_allowed(
    session: aiohttp.ClientSession,
) -> None:
    async with started_sim("payment_engine", rate_limit=1, rate_window=1.0) as sim:
        terminal = _terminal(sim, session)
        await terminal.status()  # uses up the window: the create gets a 429 first
        txn = await terminal.sale("6.00", timeout=10)
        assert txn.result is TransactionResult.APPROVED
        assert len(sim.ledger) == 1
        assert len(sim.charges()) == 1


async def test_payment_engine_structured_pass_through(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(payment_engine_sim, session)
    txn = await terminal.sale(
        "9.00",
        amount_detail={"tax": Decimal("1.00")},
        billing_address={"firstname": "Ada", "postalcode": "12345"},
        lineitems=[{"sku": "A1", "name": "Tea", "cost": Decimal("8.00"), "qty": 1}],
        orderid="order-12",
    )
    assert txn.result is TransactionResult.APPROVED
    with pytest.raises(KineticInputError):
        await terminal.sale("9.00", amount_detail={"bogus": 1})
    with pytest.raises(KineticInputError):
        await terminal.sale("9.00", invoice="much-too-long-invoice")
    assert payment_engine_sim.money_requests() == 1


async def test_payment_engine_21146_says_a_request_is_still_pending(
    session: aiohttp.ClientSession,
) -> None:
    """A new sale while a request (perhaps one whose answer was lost) still runs."""
    sim = PaymentEngineSimulator(host="127.0.0.65", port=0, customer_delay=0, rate_limit=0)
    async with sim:
        running = asyncio.create_task(_terminal(sim, session).sale("3.00", timeout=10))
        await wait_until(lambda: sim.money_requests() == 1)
        with pytest.raises(KineticDeviceBusyError, match="still pending on the device"):
            await _terminal(sim, session).sale("4.00")
        await sim.customer("present")
        assert (await running).result is TransactionResult.APPROVED
        assert len(sim.charges()) == 1
