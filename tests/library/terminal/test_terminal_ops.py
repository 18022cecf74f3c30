"""Capabilities, input checks and the non-payment operations of the Terminal facade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration.errors import (
    AmountAboveCapError,
    InvalidAmountError,
    KineticConnectionError,
    KineticInputError,
    UnsupportedOperationError,
)
from kinetic_integration.models.common import ReceiptCopy, TerminalKind, TransactionResult
from kinetic_integration.simulator import (
    BaseSimulator,
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.terminal import (
    Capability,
    DeviceServiceTerminal,
    KineticGoTerminal,
    PaymentEngineTerminal,
    Terminal,
    TerminalConfig,
    create_terminal,
)
from kinetic_integration.terminal.kinetic_go import text_instructions
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


def _terminal(sim: BaseSimulator, session: aiohttp.ClientSession, **overrides: object) -> Terminal:
    return create_terminal(config_for(sim, **overrides), session)


def test_factory_picks_the_adapter_per_kind() -> None:
    assert isinstance(create_terminal(TerminalConfig()), KineticGoTerminal)
    ds = create_terminal(TerminalConfig(kind=TerminalKind.DEVICE_SERVICE))
    assert isinstance(ds, DeviceServiceTerminal)
    assert ds.client.port == 8526
    pe = create_terminal(TerminalConfig(kind=TerminalKind.PAYMENT_ENGINE, device_key="sa_x"))
    assert isinstance(pe, PaymentEngineTerminal)
    assert pe.identity == "payment-engine:sa_x"


def test_capabilities_are_honest_per_kind() -> None:
    go = create_terminal(TerminalConfig())
    ds = create_terminal(TerminalConfig(kind=TerminalKind.DEVICE_SERVICE))
    pe = create_terminal(TerminalConfig(kind=TerminalKind.PAYMENT_ENGINE))
    for cap in (Capability.REFUND, Capability.REVERSAL, Capability.RECEIPTS, Capability.PRINT):
        assert go.supports(cap)
        assert not ds.supports(cap)
    assert not go.supports(Capability.CANCEL)
    assert not go.supports(Capability.OFFLINE_TRANSACTIONS)
    assert ds.supports(Capability.OFFLINE_TRANSACTIONS)
    assert not ds.supports(Capability.TIP)
    assert pe.supports(Capability.CANCEL)
    assert pe.supports(Capability.TIP)
    assert pe.supports(Capability.REFUND)
    for cap in (Capability.PRINT, Capability.RECEIPTS, Capability.RECONCILIATION):
        assert not pe.supports(cap)
    assert "password" not in repr(TerminalConfig(password="hunter2-secret"))
    assert "hunter2-secret" not in repr(TerminalConfig(password="hunter2-secret"))


@pytest.mark.parametrize("amount", ["0", "-1", "1.234", "abc", "500.01", 1.5, "", "1e3"])
async def test_invalid_amounts_are_refused_before_sending(
    any_sim: BaseSimulator, session: aiohttp.ClientSession, amount: object
) -> None:
    with pytest.raises(InvalidAmountError):
        await _terminal(any_sim, session).sale(amount)
    assert any_sim.money_requests() == 0


async def test_cap_is_configurable_and_covers_the_tip(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session, max_amount=Decimal("20.00"))
    with pytest.raises(AmountAboveCapError):
        await terminal.sale("20.01")
    with pytest.raises(KineticInputError, match="cap"):
        await terminal.sale("15.00", tip="6.00")
    assert kinetic_go_sim.money_requests() == 0


async def test_unsupported_operations_name_the_kind_and_send_nothing(
    device_service_sim: DeviceServiceSimulator,
    payment_engine_sim: PaymentEngineSimulator,
    session: aiohttp.ClientSession,
) -> None:
    ds = _terminal(device_service_sim, session)
    with pytest.raises(
        UnsupportedOperationError, match=r"^The DeviceService \(Castles MP200\) cannot do a refund$"
    ) as refund:
        await ds.refund("1.00")
    assert refund.value.capability == "refund"
    with pytest.raises(UnsupportedOperationError, match=r"DeviceService \(Castles MP200\)"):
        await ds.sale("1.00", tip="1.00")
    with pytest.raises(UnsupportedOperationError):
        await ds.reversal("f2b5d0de-3b0a-4a35-8a43-6b7c2e9ae0a1")
    with pytest.raises(UnsupportedOperationError):
        await ds.receipt("f2b5d0de-3b0a-4a35-8a43-6b7c2e9ae0a1")
    with pytest.raises(UnsupportedOperationError):
        await ds.cancel("pr_x")
    with pytest.raises(UnsupportedOperationError):
        await ds.sale("1.00", table="4")
    assert device_service_sim.money_requests() == 0
    pe = _terminal(payment_engine_sim, session)
    with pytest.raises(UnsupportedOperationError, match="USAePay Payment Engine cannot print"):
        await pe.print_text(["x"])
    with pytest.raises(UnsupportedOperationError):
        await pe.reconciliation()
    with pytest.raises(UnsupportedOperationError):
        await pe.offline_count()
    with pytest.raises(UnsupportedOperationError):
        await pe.sale("1.00", cashback="1.00")
    with pytest.raises(KineticInputError, match="Unknown pay request fields"):
        await pe.sale("1.00", colour="red")
    assert payment_engine_sim.money_requests() == 0


async def test_device_service_references_must_be_uuid4(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(device_service_sim, session)
    for bad in ("order-1", "d9c95df1-b52c-1a44-aa52-ed4b3fd61cee"):  # the second is a uuid1
        with pytest.raises(KineticInputError, match="uuid4"):
            await terminal.sale("1.00", reference=bad)
    assert device_service_sim.money_requests() == 0


@pytest.mark.parametrize("reference", ["", " ", "a b", "x" * 65, "-leading", "ä"])
async def test_bad_references_are_refused(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession, reference: str
) -> None:
    with pytest.raises(KineticInputError):
        await _terminal(kinetic_go_sim, session).sale("1.00", reference=reference)
    assert kinetic_go_sim.money_requests() == 0


async def test_status_of_each_kind(any_sim: BaseSimulator, session: aiohttp.ClientSession) -> None:
    status = await _terminal(any_sim, session).status()
    assert status.kind is any_sim.kind
    assert status.online is True
    assert status.busy is False
    assert status.screen
    if any_sim.kind is TerminalKind.KINETIC_GO:
        assert status.serial == any_sim.serial
    if any_sim.kind is TerminalKind.DEVICE_SERVICE:
        assert status.offline_count == 0
        assert status.stored_records == 0
    else:
        assert status.stored_records is None


async def test_latest_transaction_where_the_kind_reports_it(
    any_sim: BaseSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(any_sim, session)
    if not terminal.supports(Capability.LATEST_TRANSACTION):
        with pytest.raises(UnsupportedOperationError):
            await terminal.latest_transaction()
        return
    assert await terminal.latest_transaction() is None
    sale = await terminal.sale("4.56")
    latest = await terminal.latest_transaction()
    assert latest is not None
    assert latest.reference == sale.reference
    assert latest.result is TransactionResult.APPROVED
    assert latest.amount == Decimal("4.56")


def test_status_interval_respects_the_cloud_rate_limit() -> None:
    assert PaymentEngineTerminal.min_status_interval * 45 >= 60 * 2  # half the budget at most
    assert KineticGoTerminal.min_status_interval == 0
    assert DeviceServiceTerminal.min_status_interval == 0


async def test_status_while_busy_skips_the_offline_count(session: aiohttp.ClientSession) -> None:
    async with make_sim("device_service", customer_delay=0) as sim:
        terminal = _terminal(sim, session)
        task = asyncio.create_task(terminal.sale("2.00", timeout=10))
        await wait_until(lambda: _busy(terminal))
        status = await terminal.status()
        assert status.busy
        assert status.offline_count is None
        assert status.stored_records is None
        await sim.customer("present")
        assert (await task).result is TransactionResult.APPROVED


async def test_kinetic_go_busy_status_during_a_sale(session: aiohttp.ClientSession) -> None:
    async with make_sim("kinetic_go", customer_delay=0) as sim:
        terminal = _terminal(sim, session)
        task = asyncio.create_task(terminal.sale("2.00", timeout=10))
        await wait_until(lambda: _busy(terminal))
        await sim.customer("present")
        assert (await task).result is TransactionResult.APPROVED
        assert (await terminal.status()).busy is False


async def test_receipts_and_printing_on_kinetic_go(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    sale = await terminal.sale("12.34")
    lines = await terminal.receipt(sale.reference, ReceiptCopy.CARDHOLDER)
    assert any("12.34" in line for line in lines)
    await terminal.print_text(lines)
    assert kinetic_go_sim.printed[-1] == lines
    await terminal.print_text(["Hello", "World"])
    assert kinetic_go_sim.printed[-1] == ["Hello", "World"]


def test_text_instructions_batch_and_validate() -> None:
    many = [f"line {i}" for i in range(45)]
    instructions = text_instructions(many)
    assert sum(1 for i in instructions if i["command"] == "flush") == 2
    assert instructions[-1] == {"command": "scroll", "amount": 100}
    for bad in ([], ["bell\x07"], ["x" * 201], "not a list"):
        with pytest.raises(KineticInputError):
            text_instructions(bad)


async def test_transaction_lookup(any_sim: BaseSimulator, session: aiohttp.ClientSession) -> None:
    terminal = _terminal(any_sim, session)
    sale = await terminal.sale("3.21")
    found = await terminal.transaction(sale.reference)
    assert found.result is TransactionResult.APPROVED
    assert found.reference == sale.reference
    assert found.amount == Decimal("3.21")


async def test_offline_transactions_on_device_service(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(device_service_sim, session)
    assert await terminal.offline_count() == 0
    await terminal.send_offline()
    assert (await terminal.status()).offline_count == 0


async def _busy(terminal: Terminal) -> bool:
    return (await terminal.status()).busy


async def test_kinetic_go_reads_device_info_once_until_the_terminal_goes_away(
    session: aiohttp.ClientSession,
) -> None:
    async with make_sim("kinetic_go") as sim:
        terminal = _terminal(sim, session)
        first = sim.serial
        assert (await terminal.status()).serial == first
        # Polling does not ask again for what a device cannot change while it stays up...
        sim.serial = "KG2SWAPPED1"
        assert (await terminal.status()).serial == first
        # ...but whatever answers after an outage may be another device.
        reboot = asyncio.create_task(sim.reboot(downtime=0.5))
        await asyncio.sleep(0.2)
        with pytest.raises(KineticConnectionError):
            await terminal.status()
        await reboot
        assert (await terminal.status()).serial == "KG2SWAPPED1"
