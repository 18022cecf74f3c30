"""The journal: intent before sending, resume instead of charging, refuse while unresolved."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kinetic_integration.errors import (
    KineticConnectionError,
    KineticInputError,
    UnresolvedTransactionError,
)
from kinetic_integration.journal import (
    JournaledPayments,
    JournalError,
    JournalRecord,
    JournalState,
    SqliteJournal,
)
from kinetic_integration.models.common import Transaction, TransactionResult, TransactionType
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.terminal import Operation, create_terminal
from tests.library.terminal.support import config_for, make_sim


@pytest.fixture
def journal(tmp_path: Path) -> SqliteJournal:
    return SqliteJournal(tmp_path / "state" / "journal.sqlite3")


def _record(reference: str, terminal: str = "kinetic-go:127.0.0.9:8080") -> JournalRecord:
    now = datetime.now(UTC)
    return JournalRecord(
        reference=reference,
        terminal=terminal,
        type=TransactionType.SALE,
        amount="1.00",
        state=JournalState.PENDING,
        created_at=now,
        updated_at=now,
    )


async def test_store_round_trip_and_unresolved_blocking(journal: SqliteJournal) -> None:
    assert await journal.get("a") is None
    await journal.begin(_record("a"))
    stored = await journal.get("a")
    assert stored is not None
    assert stored.state is JournalState.PENDING
    assert stored.amount == "1.00"
    assert journal.path.exists()
    # Another transaction on the same terminal is refused, naming the open one.
    with pytest.raises(UnresolvedTransactionError) as caught:
        await journal.begin(_record("b"))
    assert caught.value.reference == "a"
    # Another terminal is independent.
    await journal.begin(_record("c", terminal="kinetic-go:127.0.0.10:8080"))
    updated = await journal.update(
        "a", state=JournalState.FINAL, result=TransactionResult.APPROVED, terminal_id="t-1"
    )
    assert updated.state is JournalState.FINAL
    assert updated.result is TransactionResult.APPROVED
    assert updated.terminal_id == "t-1"
    assert updated.updated_at >= updated.created_at
    assert [r.reference for r in await journal.unresolved("kinetic-go:127.0.0.9:8080")] == []
    await journal.begin(_record("b"))
    # A reference in use cannot be begun again; a not-sent one can.
    with pytest.raises(KineticInputError):
        await journal.begin(_record("a", terminal="kinetic-go:127.0.0.11:8080"))
    await journal.update("b", state=JournalState.NOT_SENT)
    await journal.begin(_record("b"))
    assert (await journal.get("b")).state is JournalState.PENDING  # type: ignore[union-attr]


async def test_sale_is_journaled_before_and_after(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession, journal: SqliteJournal
) -> None:
    terminal = create_terminal(config_for(kinetic_go_sim), session)
    seen_states: list[JournalState] = []
    real_execute = terminal.execute

    async def spy(operation: Operation, **kwargs: Any) -> Transaction:
        record = await journal.get(operation.reference)
        assert record is not None  # the intent exists before anything is sent
        seen_states.append(record.state)
        assert kinetic_go_sim.money_requests() == 0
        return await real_execute(operation, **kwargs)

    terminal.execute = spy  # type: ignore[method-assign]
    txn = await JournaledPayments(terminal, journal).sale("12.34")
    assert seen_states == [JournalState.PENDING]
    record = await journal.get(txn.reference)
    assert record is not None
    assert record.state is JournalState.FINAL
    assert record.result is TransactionResult.APPROVED
    assert record.amount == "12.34"
    assert record.terminal == terminal.identity
    assert record.terminal_id == txn.reference


async def test_resume_reports_the_first_transaction_without_charging(
    device_service_sim: DeviceServiceSimulator,
    session: aiohttp.ClientSession,
    journal: SqliteJournal,
) -> None:
    payments = JournaledPayments(create_terminal(config_for(device_service_sim), session), journal)
    first = await payments.sale("5.00")
    # A new process: fresh Terminal, same journal.
    again = await JournaledPayments(
        create_terminal(config_for(device_service_sim), session), journal
    ).sale("5.00", reference=first.reference)
    assert again.result is TransactionResult.APPROVED
    assert again.auth_code == first.auth_code
    assert device_service_sim.money_requests() == 1
    assert len(device_service_sim.charges()) == 1
    with pytest.raises(KineticInputError, match=r"5\.00"):
        await payments.sale("6.00", reference=first.reference)


async def test_unresolved_blocks_new_sales_until_resumed(
    session: aiohttp.ClientSession, journal: SqliteJournal
) -> None:
    async with make_sim("kinetic_go", customer_delay=0) as sim:
        payments = JournaledPayments(create_terminal(config_for(sim), session), journal)
        unknown = await payments.sale("8.00", timeout=0.3)
        assert unknown.result is TransactionResult.UNKNOWN
        record = await journal.get(unknown.reference)
        assert record is not None
        assert record.state is JournalState.SENT
        with pytest.raises(UnresolvedTransactionError, match=unknown.reference):
            await payments.sale("9.00")
        assert sim.money_requests() == 1
        await sim.customer("present")
        resumed = await payments.sale("8.00", reference=unknown.reference, timeout=5)
        assert resumed.result is TransactionResult.APPROVED
        assert (await journal.get(unknown.reference)).state is JournalState.FINAL  # type: ignore[union-attr]
        # Resolved: a new sale may start.
        task = asyncio.create_task(payments.sale("9.00", timeout=5))
        await sim.customer("present")  # waits for the prompt
        assert (await task).result is TransactionResult.APPROVED
        assert len(sim.charges()) == 2
        assert sim.money_requests() == 2


async def test_payment_engine_key_is_journaled_and_used_to_resume(
    payment_engine_sim: PaymentEngineSimulator,
    session: aiohttp.ClientSession,
    journal: SqliteJournal,
) -> None:
    # Every poll hangs: the outcome cannot be confirmed in time, but the key is kept.
    payment_engine_sim.inject("hang", path="/api/v2/paymentengine/payrequests/pr_", times=1000)
    terminal = create_terminal(
        config_for(payment_engine_sim, recovery_grace=0.2, request_timeout=0.3), session
    )
    unknown = await JournaledPayments(terminal, journal).sale("4.00", timeout=1)
    assert unknown.result is TransactionResult.UNKNOWN
    record = await journal.get(unknown.reference)
    assert record is not None
    assert record.state is JournalState.SENT
    assert record.terminal_id
    assert record.terminal_id.startswith("pr_")
    payment_engine_sim.clear_faults()
    fresh = create_terminal(config_for(payment_engine_sim), session)
    resumed = await JournaledPayments(fresh, journal).sale("4.00", reference=unknown.reference)
    assert resumed.result is TransactionResult.APPROVED
    assert resumed.request_key == record.terminal_id
    assert payment_engine_sim.money_requests() == 1
    assert len(payment_engine_sim.charges()) == 1


async def test_payment_engine_lost_create_is_found_never_recreated(
    payment_engine_sim: PaymentEngineSimulator,
    session: aiohttp.ClientSession,
    journal: SqliteJournal,
) -> None:
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    terminal = create_terminal(config_for(payment_engine_sim), session)
    found = await JournaledPayments(terminal, journal).sale("4.00", reference="order-77")
    assert found.result is TransactionResult.APPROVED
    record = await journal.get("order-77")
    assert record is not None
    assert record.state is JournalState.FINAL
    # Another process asks again: the final record answers, no second request.
    fresh = create_terminal(config_for(payment_engine_sim), session)
    again = await JournaledPayments(fresh, journal).sale("4.00", reference="order-77")
    assert again.result is TransactionResult.APPROVED
    assert payment_engine_sim.money_requests() == 1
    assert len(payment_engine_sim.charges()) == 1


async def test_not_sent_frees_the_reference(
    session: aiohttp.ClientSession, journal: SqliteJournal
) -> None:
    sim = make_sim("kinetic_go", host="127.0.0.63")
    async with sim:
        config = config_for(sim)
    payments = JournaledPayments(create_terminal(config, session), journal)
    with pytest.raises(KineticConnectionError):
        await payments.sale("1.00", reference="retry-me")
    record = await journal.get("retry-me")
    # Nothing was sent: the reference stays free. (The Kinetic Go is named by its serial,
    # asked before the intent is written, so an unreachable one leaves no record at all.)
    assert record is None or record.state is JournalState.NOT_SENT
    # Nothing blocks: a different sale may be attempted (and fails the same way).
    with pytest.raises(KineticConnectionError):
        await payments.sale("1.00")
    # Once the terminal is back, the same reference goes through, once.
    sim2 = make_sim("kinetic_go", host="127.0.0.63", port=config.port)
    async with sim2:
        txn = await payments.sale("1.00", reference="retry-me")
        assert txn.result is TransactionResult.APPROVED
        assert sim2.money_requests() == 1


async def test_final_record_is_reported_when_terminal_is_gone(
    session: aiohttp.ClientSession, journal: SqliteJournal
) -> None:
    sim = make_sim("kinetic_go", host="127.0.0.64")
    async with sim:
        terminal = create_terminal(config_for(sim), session)
        first = await JournaledPayments(terminal, journal).sale("2.50")
    again = await JournaledPayments(terminal, journal).sale("2.50", reference=first.reference)
    assert again.result is TransactionResult.APPROVED
    assert again.amount == Decimal("2.50")


async def test_concurrent_begins_let_only_one_through(journal: SqliteJournal) -> None:
    results = await asyncio.gather(
        *(journal.begin(_record(f"r{i}")) for i in range(5)), return_exceptions=True
    )
    assert sum(1 for r in results if isinstance(r, JournalRecord)) == 1
    assert all(isinstance(r, (JournalRecord, UnresolvedTransactionError)) for r in results), results


class _FlakyJournal(SqliteJournal):
    """Fails every write after the request went out (a full disk, say)."""

    async def update(self, reference: str, **changes: Any) -> JournalRecord:
        if changes.get("state") is not JournalState.SENT:
            raise JournalError("disk full")
        return await super().update(reference, **changes)


async def test_journal_failure_after_sending_still_reports_the_result(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    journal = _FlakyJournal(tmp_path / "flaky.sqlite3")
    terminal = create_terminal(config_for(payment_engine_sim), session)
    txn = await JournaledPayments(terminal, journal).sale("3.00")
    assert txn.result is TransactionResult.APPROVED
    record = await journal.get(txn.reference)
    assert record is not None
    assert record.state is JournalState.SENT  # unresolved: the next run resumes it


async def test_journal_that_cannot_record_intent_sends_nothing(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    (tmp_path / "blocked").write_text("not a directory")
    journal = SqliteJournal(tmp_path / "blocked" / "journal.sqlite3")
    terminal = create_terminal(config_for(kinetic_go_sim), session)
    with pytest.raises(JournalError):
        await JournaledPayments(terminal, journal).sale("3.00")
    assert kinetic_go_sim.money_requests() == 0


async def test_refund_reversal_and_reconciliation_are_journaled(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession, journal: SqliteJournal
) -> None:
    payments = JournaledPayments(create_terminal(config_for(kinetic_go_sim), session), journal)
    sale = await payments.sale("5.00")
    refund = await payments.refund("1.00")
    reversal = await payments.reversal(sale.reference)
    reconciliation = await payments.reconciliation()
    for txn, type_ in (
        (refund, TransactionType.REFUND),
        (reversal, TransactionType.REVERSAL),
        (reconciliation, TransactionType.RECONCILIATION),
    ):
        record = await journal.get(txn.reference)
        assert record is not None
        assert record.type is type_
        assert record.state is JournalState.FINAL
    sent = kinetic_go_sim.money_requests()
    again = await payments.refund("1.00", reference=refund.reference)
    assert again.auth_code == refund.auth_code
    assert kinetic_go_sim.money_requests() == sent


async def test_outcome_details_land_with_the_outcome(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The caller's details of an outcome are written in the change that records it.

    One update: the record is never final without them (they are in the same UPDATE,
    and a run that lost its claim writes neither).
    """
    updates: list[dict[str, Any]] = []

    class _Watched(SqliteJournal):
        async def update(self, reference: str, **changes: Any) -> JournalRecord:
            updates.append(changes)
            return await super().update(reference, **changes)

    journal = _Watched(tmp_path / "j.sqlite3", wal=True)
    terminal = create_terminal(config_for(kinetic_go_sim), session)

    def details(operation: Operation, txn: Transaction) -> dict[str, Any]:
        return {"asked": str(operation.amount), "took": str(txn.total), "table": None}

    payments = JournaledPayments(terminal, journal, outcome_details=details)
    await journal.begin_with_details(_record("r-1", terminal.identity), {"table": "4"})
    await journal.update("r-1", state=JournalState.NOT_SENT)
    txn = await payments.sale("1.00", reference="r-1")
    final = [changes for changes in updates if changes.get("state") is JournalState.FINAL]
    assert [changes["details"] for changes in final] == [
        {"asked": "1.00", "took": "1.00", "table": None}
    ]
    found = await journal.get_with_details(txn.reference)
    assert found is not None
    # Merged into what the record had; a null removes a detail (JSON merge patch).
    assert found[1] == {"asked": "1.00", "took": "1.00"}
    await journal.close()
