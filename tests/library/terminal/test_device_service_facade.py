"""DeviceService behind the Terminal facade, field by field as its seed (001) describes.

Issue 14 (contradictions 1 and 5, the Offline flag, ``SupportOfflineTransaction``, the
response fields) and issue 15 point 12 (``unknown`` and ``void``), over loopback.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from kinetic_integration import (
    Capability,
    JournaledPayments,
    JournalState,
    SqliteJournal,
    TransactionResult,
    TransactionType,
    UnsupportedOperationError,
    transaction_receipt,
)
from kinetic_integration.simulator import DeviceServiceSimulator
from kinetic_integration.terminal import Terminal, create_terminal
from tests.library.terminal.support import config_for, started_sim

SALE_PATH = "/DeviceService/Kinetic/Transaction"
LOOKUP_PATH = "/DeviceService/Kinetic/Transaction/"


def _terminal(sim: DeviceServiceSimulator, session: aiohttp.ClientSession) -> Terminal:
    # Polling as the CLI does by default (1 s): a poll-until-deadline would be obvious.
    return create_terminal(config_for(sim, poll_interval=1.0), session)


async def test_terminal_id_is_the_readers_and_the_transaction_id_is_its_own(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """Contradiction 1: ``TerminalId`` names the reader; ``TransactionId`` the transaction.

    Before the fix every sale reported the reader's "22001111" as the transaction's id.
    """
    terminal = _terminal(device_service_sim, session)
    first = await terminal.sale("2.23")
    second = await terminal.sale("3.00")
    for txn in (first, second):
        assert txn.terminal_id == txn.reference  # the TransactionId (our uuid4, echoed)
        assert txn.reader_terminal_id == device_service_sim.terminal_id == "22001111"
        assert txn.request_key is None
    assert first.terminal_id != second.terminal_id


async def test_message_and_times_are_filled(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """Contradiction 5 (DeviceService): no bare "Transaction found", no null times."""
    terminal = _terminal(device_service_sim, session)
    before = datetime.now(UTC)
    txn = await terminal.sale("2.23")
    after = datetime.now(UTC)
    assert txn.result is TransactionResult.APPROVED
    assert txn.message == "The transaction was approved"
    assert txn.started_at is not None
    assert txn.ended_at is not None
    assert before <= txn.started_at <= txn.ended_at <= after
    # A later lookup in this process reports the same times.
    again = await terminal.transaction(txn.reference)
    assert (again.started_at, again.ended_at) == (txn.started_at, txn.ended_at)
    declined = await terminal.sale("2.01")
    assert declined.message == "The transaction was declined"


async def test_response_fields_reach_the_shared_transaction(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """SignatureRequired, VerifiedByPin, IsContactless, VerifiedByOdcvm, DataSource, ..."""
    terminal = _terminal(device_service_sim, session)
    tapped = await terminal.sale("1.00")
    assert (tapped.is_contactless, tapped.verified_by_pin, tapped.signature_required) == (
        True,
        False,
        False,
    )
    assert tapped.verified_on_device is False
    assert tapped.entry_mode == "tap"
    assert tapped.card_network == "visa"
    assert tapped.total == tapped.amount == Decimal("1.00")
    assert tapped.status == "approved"
    pin = await terminal.sale("1.02")  # inserted, PIN entered
    assert (pin.is_contactless, pin.verified_by_pin, pin.entry_mode) == (False, True, "chip")
    signed = await terminal.sale("1.06")  # swiped, signature on the merchant receipt
    assert (signed.signature_required, signed.entry_mode) == (True, "swipe")
    assert signed.is_offline is None  # online sales do not carry IsOffline
    assert signed.response_code is None


async def test_unknown_is_final_and_reported_at_once(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """Issue 15 point 12: ``Result: unknown`` ends the wait; it stays UNKNOWN.

    Before the fix the facade polled ``GET Transaction`` until its deadline (199 s in
    the report) and then said "No final result before the deadline".
    """
    device_service_sim.report_unknown = True
    terminal = _terminal(device_service_sim, session)
    started = time.monotonic()
    txn = await terminal.sale("4.00", timeout=20)
    elapsed = time.monotonic() - started
    assert txn.result is TransactionResult.UNKNOWN
    assert elapsed < 5, f"polled for {elapsed:.1f} s"
    assert device_service_sim.money_requests(SALE_PATH) == 1
    assert "unknown" in (txn.message or "")
    assert "deadline" not in (txn.message or "")
    assert txn.ended_at is not None
    # The service really charged: unknown is never declined, never charged again.
    assert len(device_service_sim.charges()) == 1


async def test_unknown_stays_unresolved_in_the_journal(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The journal keeps an unknown outcome open (no new charge for that terminal)."""
    device_service_sim.report_unknown = True
    terminal = _terminal(device_service_sim, session)
    journal = SqliteJournal(f"{tmp_path}/journal.sqlite3")
    payments = JournaledPayments(terminal, journal)
    operation = terminal.prepare(TransactionType.SALE, amount="4.00")
    txn = await payments.run(operation, timeout=20)
    assert txn.result is TransactionResult.UNKNOWN
    record = await journal.get(operation.reference)
    assert record is not None
    assert record.state is JournalState.SENT
    assert record.state.is_unresolved
    # Resuming asks again, once, and still reports unknown (nothing sent again).
    again = await payments.run(operation, timeout=20)
    assert again.result is TransactionResult.UNKNOWN
    assert device_service_sim.money_requests(SALE_PATH) == 1


async def test_void_is_reported_as_void(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """Issue 15 point 12: ``void`` ("aborted or timed out") is not "cancelled"."""
    device_service_sim.card_timeout = 0.2
    terminal = _terminal(device_service_sim, session)
    txn = await terminal.sale("1.03")
    assert txn.result is TransactionResult.VOID
    assert txn.status == "void"
    assert device_service_sim.charges() == []
    device_service_sim.card_timeout = None
    cancelled = await terminal.sale("1.04")  # the customer presses cancel
    assert cancelled.result is TransactionResult.CANCELLED


async def test_offline_sale_is_stored_counted_and_sent(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """The ``Offline`` flag, ``IsOffline``, ``ResponseCode`` and the offline endpoints."""
    terminal = _terminal(device_service_sim, session)
    status = await terminal.status()
    assert status.supports_offline is True
    assert terminal.supports(Capability.OFFLINE_TRANSACTIONS)
    txn = await terminal.sale("5.00", offline=True)
    assert txn.result is TransactionResult.APPROVED
    assert txn.is_offline is True
    assert txn.response_code is None  # not synced yet
    assert await terminal.offline_count() == 1
    assert (await terminal.status()).offline_count == 1
    await terminal.send_offline()
    assert await terminal.offline_count() == 0
    synced = await terminal.transaction(txn.reference)
    assert (synced.is_offline, synced.response_code) == (True, "00")
    assert synced.result is TransactionResult.APPROVED


async def test_offline_only_where_the_terminal_supports_it(
    session: aiohttp.ClientSession,
) -> None:
    """``SupportOfflineTransaction: false``: no offline sale, count or send; nothing sent."""
    async with started_sim("device_service", support_offline=False) as sim:
        assert isinstance(sim, DeviceServiceSimulator)
        # Not yet asked: the offline sale asks Status first, and refuses before sending.
        fresh = _terminal(sim, session)
        with pytest.raises(UnsupportedOperationError):
            await fresh.sale("5.00", offline=True)
        assert sim.money_requests() == 0
        terminal = _terminal(sim, session)
        status = await terminal.status()
        assert status.supports_offline is False
        assert status.offline_count is None
        assert not terminal.supports(Capability.OFFLINE_TRANSACTIONS)
        with pytest.raises(UnsupportedOperationError):
            terminal.prepare(TransactionType.SALE, amount="5.00", offline=True)
        with pytest.raises(UnsupportedOperationError):
            await terminal.offline_count()
        with pytest.raises(UnsupportedOperationError):
            await terminal.send_offline()
        assert sim.money_requests() == 0
        # An ordinary sale still works.
        assert (await terminal.sale("5.00")).result is TransactionResult.APPROVED


async def test_receipt_names_the_reader_and_asks_for_a_signature(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """The receipt built for a DeviceService sale: its time, TID and signature line."""
    terminal = _terminal(device_service_sim, session)
    signed = await terminal.sale("1.06")  # signature required
    lines = transaction_receipt(signed, merchant="Cafe")
    assert "TID: 22001111" in lines
    assert "SIGNATURE: ____________________" in lines
    # The transaction's id is the reference: not printed twice.
    assert not any(line.startswith("TERMINAL REF:") for line in lines)
    assert signed.ended_at is not None
    assert lines[1] == signed.ended_at.strftime("%Y-%m-%d %H:%M:%S %Z")
    tapped = transaction_receipt(await terminal.sale("1.00"), merchant="Cafe")
    assert not any(line.startswith("SIGNATURE") for line in tapped)
