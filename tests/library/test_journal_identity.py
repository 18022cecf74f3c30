"""Journal claims (only the run that wrote an intent may send it) and terminal identity.

Regression tests for the money-safety review, findings 3 and 5.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kinetic_integration.clients._http import new_session
from kinetic_integration.errors import UnresolvedTransactionError
from kinetic_integration.journal import (
    JournalClaimError,
    JournaledPayments,
    JournalRecord,
    JournalState,
    SqliteJournal,
)
from kinetic_integration.models.common import Transaction, TransactionResult, TransactionType
from kinetic_integration.simulator import PaymentEngineSimulator
from kinetic_integration.terminal import create_terminal
from tests.library.terminal.support import cli_target, config_for, run_cli, started_sim, wait_until


@pytest.fixture
def journal(tmp_path: Path) -> SqliteJournal:
    return SqliteJournal(tmp_path / "journal.sqlite3")


@pytest.fixture
async def resolving_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A session that resolves host names (as the CLI's does)."""
    async with new_session() as client_session:
        yield client_session


def _record(reference: str, claim: str, terminal: str = "kinetic-go:serial:X") -> JournalRecord:
    now = datetime.now(UTC)
    return JournalRecord(
        reference=reference,
        terminal=terminal,
        type=TransactionType.SALE,
        amount="1.00",
        state=JournalState.PENDING,
        created_at=now,
        updated_at=now,
        claim=claim,
    )


# --- finding 3: PENDING -> SENT is a compare-and-set on the claim ------------------------


async def test_only_the_claiming_run_may_mark_sent(journal: SqliteJournal) -> None:
    await journal.begin(_record("r", claim="first"))
    # Another run takes the never-sent intent over; the first may no longer send it.
    await journal.begin(_record("r", claim="second"))
    with pytest.raises(JournalClaimError):
        await journal.update(
            "r", state=JournalState.SENT, claim="first", expect_states=(JournalState.PENDING,)
        )
    sent = await journal.update(
        "r", state=JournalState.SENT, claim="second", expect_states=(JournalState.PENDING,)
    )
    assert sent.state is JournalState.SENT
    # Once sent, nobody may claim it again, nor send it a second time.
    with pytest.raises(Exception, match="already in use"):
        await journal.begin(_record("r", claim="third"))
    with pytest.raises(JournalClaimError):
        await journal.update(
            "r", state=JournalState.SENT, claim="second", expect_states=(JournalState.PENDING,)
        )


async def test_pending_of_another_terminal_is_not_taken_over(journal: SqliteJournal) -> None:
    await journal.begin(_record("r", claim="first"))
    with pytest.raises(Exception, match="already in use"):
        await journal.begin(_record("r", claim="second", terminal="kinetic-go:serial:Y"))


async def test_claims_survive_a_journal_written_before_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE intents (reference TEXT PRIMARY KEY, terminal TEXT NOT NULL, "
            "type TEXT NOT NULL, amount TEXT, state TEXT NOT NULL, result TEXT, "
            "terminal_id TEXT, message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
    journal = SqliteJournal(path)
    await journal.begin(_record("r", claim="c"))
    record = await journal.get("r")
    assert record is not None
    assert record.claim == "c"


class _TakeoverJournal(SqliteJournal):
    """Another process re-claims the intent right before this run marks it sent."""

    async def update(self, reference: str, **changes: Any) -> Any:
        if changes.get("state") is JournalState.SENT:
            await super().begin(_record(reference, claim="other-process", terminal=self.owner))
        return await super().update(reference, **changes)

    owner = ""


async def test_run_that_lost_its_claim_sends_nothing(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    journal = _TakeoverJournal(tmp_path / "journal.sqlite3")
    async with started_sim("payment_engine", host="127.0.0.94") as sim:
        terminal = create_terminal(config_for(sim), session)
        journal.owner = await terminal.resolve_identity()
        with pytest.raises(JournalClaimError):
            await JournaledPayments(terminal, journal).sale("10.00", reference="order-claim")
        assert sim.money_requests() == 0
        record = await journal.get("order-claim")
        assert record is not None
        # Still the other process's intent: not marked "not sent" by the loser.
        assert record.state is JournalState.PENDING
        assert record.claim == "other-process"


# --- finding 5: a terminal is one terminal however its address is written ----------------


@pytest.mark.parametrize("kind", ["kinetic_go", "device_service", "payment_engine"])
async def test_unresolved_record_blocks_the_terminal_under_another_address(
    kind: str, resolving_session: aiohttp.ClientSession, journal: SqliteJournal
) -> None:
    async with started_sim(kind, host="127.0.0.1", customer_delay=0) as sim:
        if kind == "payment_engine":
            # Every poll hangs: the request key is known but the outcome is not.
            sim.inject("hang", path="/api/v2/paymentengine/payrequests/pr_", times=1000)
            by_name = config_for(
                sim,
                base_url=f"http://localhost:{sim.port}/api/v2",
                recovery_grace=0.2,
                request_timeout=0.3,
            )
        else:
            by_name = config_for(sim, host="localhost", recovery_grace=0.2)
        unknown = await JournaledPayments(
            create_terminal(by_name, resolving_session), journal
        ).sale("8.00", timeout=0.3)
        assert unknown.result is TransactionResult.UNKNOWN
        sent = sim.money_requests()
        by_address = create_terminal(config_for(sim), resolving_session)
        with pytest.raises(UnresolvedTransactionError, match=unknown.reference):
            await JournaledPayments(by_address, journal).sale("9.00")
        assert sim.money_requests() == sent


# --- finding 6: a dead record can be released by a person ---------------------------------


async def lost_sale(sim: PaymentEngineSimulator, journal: str) -> Transaction:
    """Sell with reference ``order-lost`` through the library into the CLI's journal."""
    async with new_session() as session:
        terminal = create_terminal(config_for(sim, recovery_grace=0.3), session)
        payments = JournaledPayments(terminal, SqliteJournal(journal))
        return await payments.sale("4.03", reference="order-lost", orderid="TABLE-4", timeout=0.5)


async def test_abandon_releases_the_terminal_but_never_resends(
    payment_engine_sim: PaymentEngineSimulator, tmp_path: Path
) -> None:
    journal = str(tmp_path / "cli.sqlite3")
    target = [*cli_target(payment_engine_sim), "--journal", journal, "--json"]
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    # The customer never presents a card (.03) and the create answer is lost: the request
    # times out on its own and never shows in the open batch, so the outcome stays unknown
    # (the library with a short recovery grace writes the record; the CLI's is 30 s).
    await lost_sale(payment_engine_sim, journal)
    blocked = await run_cli(*target, "sale", "5.00")
    assert blocked.code == 2
    assert blocked.json["error"] == "unresolved_transaction"
    unconfirmed = await run_cli(*target, "abandon", "order-lost")
    assert unconfirmed.code == 2
    released = await run_cli(*target, "abandon", "order-lost", "--yes", "--note", "not charged")
    assert released.code == 0, released.stderr
    assert released.json["state"] == "abandoned"
    assert (await run_cli(*target, "abandon", "order-lost", "--yes")).code == 2
    # The abandoned reference is still never sent again; resuming only looks it up.
    again = await lost_sale(payment_engine_sim, journal)
    assert again.result is TransactionResult.UNKNOWN
    record = await SqliteJournal(journal).get("order-lost")
    assert record is not None
    assert record.state is JournalState.ABANDONED
    assert payment_engine_sim.money_requests() == 1
    # The terminal takes new sales again (once the lost request is done).
    await wait_until(
        lambda: all(r.final_status for r in payment_engine_sim.requests.values()), within=10
    )
    fresh = await run_cli(*target, "sale", "5.00")
    assert fresh.code == 0, fresh.stderr
    assert payment_engine_sim.money_requests() == 2
    # The lost request charged nothing (no card): only the fresh sale did.
    assert [charge.amount for charge in payment_engine_sim.charges()] == [Decimal("5.00")]
