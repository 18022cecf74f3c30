"""Once a reference may have reached the terminal, it is recovered, never sent again.

Regression tests for the money-safety review (findings 1, 2 and 3): every path that
knows an earlier request was sent recovers by the terminal's own id, and reports UNKNOWN
when it cannot confirm the outcome in time.
"""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from aiohttp import web

from kinetic_integration.errors import KineticInputError, KineticNotStartedError
from kinetic_integration.journal import JournaledPayments, JournalState, SqliteJournal
from kinetic_integration.models.common import TerminalKind, TransactionResult, TransactionType
from kinetic_integration.simulator import BaseSimulator, KineticGoSimulator
from kinetic_integration.simulator._json import read_json
from kinetic_integration.terminal import PreviousAttempt, Terminal, create_terminal
from tests.library.terminal.support import config_for, started_sim, wait_until

SALE_PATHS = {
    TerminalKind.KINETIC_GO: "/api/v2/transactions/sale",
    TerminalKind.DEVICE_SERVICE: "/DeviceService/Kinetic/Transaction",
    TerminalKind.PAYMENT_ENGINE: "/api/v2/paymentengine/payrequests",
}


def _terminal(sim: BaseSimulator, session: aiohttp.ClientSession, **overrides: Any) -> Terminal:
    return create_terminal(config_for(sim, **overrides), session)


@pytest.fixture
def go_ignores_our_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kinetic Go firmware that drops the client's id (the seed: "If omitted, a UUID is
    generated") and names every transaction itself."""

    async def without_id(request: web.Request) -> Any:
        data = await read_json(request)
        if request.method == "POST" and isinstance(data, dict):
            data.pop("id", None)
        return data

    monkeypatch.setattr("kinetic_integration.simulator.kinetic_go.read_json", without_id)


# --- finding 1: a terminal that names the transaction itself --------------------------


@pytest.mark.usefixtures("go_ignores_our_id")
async def test_go_that_ignores_our_id_is_recovered_by_its_own_id_in_process(
    session: aiohttp.ClientSession,
) -> None:
    async with started_sim("kinetic_go", host="127.0.0.81") as sim:
        terminal = _terminal(sim, session)
        reference = terminal.new_reference()
        for _ in range(3):
            txn = await terminal.sale("10.00", reference=reference, timeout=2)
            assert txn.result is TransactionResult.APPROVED
            assert txn.reference == reference
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1
        assert sim.charges()[0].reference != reference  # the terminal's own id


@pytest.mark.usefixtures("go_ignores_our_id")
async def test_go_that_ignores_our_id_is_journaled_by_its_id_and_resumed(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    async with started_sim("kinetic_go", host="127.0.0.82") as sim:
        first = await JournaledPayments(_terminal(sim, session), journal).sale("10.00", timeout=2)
        assert first.result is TransactionResult.APPROVED
        record = await journal.get(first.reference)
        assert record is not None
        assert record.terminal_id == sim.charges()[0].reference
        # A new process resumes the same reference: recovered, never charged again.
        again = await JournaledPayments(_terminal(sim, session), journal).sale(
            "10.00", reference=first.reference, timeout=2
        )
        assert again.result is TransactionResult.APPROVED
        assert again.auth_code == first.auth_code
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


# --- finding 1 and 2: a sent reference is never posted again ---------------------------


@pytest.mark.parametrize("kind", ["kinetic_go", "device_service"])
async def test_sent_reference_unknown_to_the_terminal_is_never_posted_again(
    kind: str, session: aiohttp.ClientSession
) -> None:
    host = {"kinetic_go": "127.0.0.83", "device_service": "127.0.0.84"}[kind]
    async with started_sim(kind, host=host) as sim:
        terminal = _terminal(sim, session, recovery_grace=0.2)
        reference = terminal.new_reference()
        # The journal says it was sent; the terminal has no record (yet): the request
        # may still be on its way, so the only safe answer is UNKNOWN.
        txn = await terminal.sale(
            "10.00", reference=reference, timeout=0.4, previous=PreviousAttempt(sent=True)
        )
        assert txn.result is TransactionResult.UNKNOWN
        assert txn.reference == reference
        assert sim.money_requests() == 0
        assert sim.ledger == []


@pytest.mark.parametrize("kind", ["kinetic_go", "device_service"])
async def test_sent_reference_the_terminal_never_started_is_not_charged(
    kind: str, session: aiohttp.ClientSession
) -> None:
    """Not found, again and again over a while, and nothing in progress: never started.

    Both documents allow that conclusion (the terminal's transaction database by the
    id we chose, and its "in progress" endpoint); the outcome is final, not unknown.
    """
    host = {"kinetic_go": "127.0.0.87", "device_service": "127.0.0.88"}[kind]
    async with started_sim(kind, host=host) as sim:
        terminal = _terminal(sim, session)
        reference = terminal.new_reference()
        with pytest.raises(KineticNotStartedError, match="never started"):
            await terminal.sale(
                "10.00", reference=reference, timeout=5, previous=PreviousAttempt(sent=True)
            )
        assert sim.money_requests() == 0
        assert sim.ledger == []


@pytest.mark.parametrize("kind", ["kinetic_go", "device_service"])
async def test_not_found_while_another_transaction_runs_stays_unknown(
    kind: str, session: aiohttp.ClientSession
) -> None:
    """With a transaction in progress, "not found" proves nothing: UNKNOWN."""
    host = {"kinetic_go": "127.0.0.89", "device_service": "127.0.0.90"}[kind]
    async with started_sim(kind, host=host, customer_delay=0) as sim:
        running = asyncio.create_task(_terminal(sim, session).sale("3.00", timeout=10))
        await wait_until(lambda: sim.money_requests() == 1)
        terminal = _terminal(sim, session, recovery_grace=0.2)
        reference = terminal.new_reference()
        txn = await terminal.sale(
            "10.00", reference=reference, timeout=2.5, previous=PreviousAttempt(sent=True)
        )
        assert txn.result is TransactionResult.UNKNOWN
        await sim.customer("present")
        assert (await running).result is TransactionResult.APPROVED
        assert sim.money_requests() == 1


@pytest.mark.parametrize("fault", ["malformed_json", "error_500", "busy", "hang"])
async def test_resume_lookup_errors_are_unknown_never_raised(
    fault: str, session: aiohttp.ClientSession
) -> None:
    async with started_sim("kinetic_go", host="127.0.0.85", customer_delay=0) as sim:
        terminal = _terminal(sim, session, request_timeout=0.3)
        first = await terminal.sale("10.00", timeout=0.3)
        assert first.result is TransactionResult.UNKNOWN
        sim.inject(fault, path=f"/api/v2/transactions/{first.reference}", times=1000)
        # Another process resumes: whatever the look-up answers, the earlier request may
        # have charged, so nothing short of a final answer is reported but UNKNOWN.
        resumed = await _terminal(sim, session, request_timeout=0.3).sale(
            "10.00",
            reference=first.reference,
            timeout=0.5,
            previous=PreviousAttempt(sent=True),
        )
        assert resumed.result is TransactionResult.UNKNOWN
        assert sim.money_requests() == 1
        sim.clear_faults()
        await sim.customer("present")
        final = await _terminal(sim, session).sale(
            "10.00", reference=first.reference, timeout=5, previous=PreviousAttempt(sent=True)
        )
        assert final.result is TransactionResult.APPROVED
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


async def test_resume_with_wrong_credentials_is_unknown(session: aiohttp.ClientSession) -> None:
    async with started_sim("kinetic_go", host="127.0.0.86", customer_delay=0) as sim:
        first = await _terminal(sim, session).sale("10.00", timeout=0.3)
        wrong = _terminal(sim, session, password="not-the-password")
        resumed = await wrong.sale(
            "10.00", reference=first.reference, timeout=0.5, previous=PreviousAttempt(sent=True)
        )
        assert resumed.result is TransactionResult.UNKNOWN
        assert sim.money_requests() == 1


async def test_resume_of_unreachable_terminal_is_unknown(session: aiohttp.ClientSession) -> None:
    sim = started_sim("kinetic_go", host="127.0.0.87", customer_delay=0)
    async with sim as running:
        config = config_for(running)
        first = await create_terminal(config, session).sale("10.00", timeout=0.3)
    # The terminal is gone: the connection is refused, but the earlier request may have
    # charged. Refused is not "nothing was charged" for a reference already sent.
    resumed = await create_terminal(config, session).sale(
        "10.00", reference=first.reference, timeout=0.3, previous=PreviousAttempt(sent=True)
    )
    assert resumed.result is TransactionResult.UNKNOWN


class _LateRecordingGo(KineticGoSimulator):
    """A Kinetic Go that records a POST late, after the client gave up on it.

    (A slow terminal keeps processing a request whose client went away.)
    """

    _late: ClassVar[set[asyncio.Task[web.Response]]] = set()

    async def _start(self, request: web.Request) -> web.Response:
        await request.read()  # the whole request arrived

        async def record_late() -> web.Response:
            await asyncio.sleep(0.6)
            return await KineticGoSimulator._start(self, request)

        task = asyncio.ensure_future(record_late())
        self._late.add(task)
        task.add_done_callback(self._late.discard)
        return await asyncio.shield(task)


async def test_late_recorded_post_is_not_reposted_nor_forgotten(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """R2: resume after a lost POST must not post again (a busy answer to that second
    POST used to mark the record "not sent" and let a new sale charge again)."""
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    sim = _LateRecordingGo(
        host="127.0.0.88", port=0, customer_delay=0.2, processing_delay=0.02, password="pw-88"
    )
    async with sim:
        config = config_for(sim, request_timeout=0.3)
        first = await JournaledPayments(create_terminal(config, session), journal).sale(
            "10.00", timeout=0.3
        )
        assert first.result is TransactionResult.UNKNOWN
        sim.inject("busy", path=SALE_PATHS[TerminalKind.KINETIC_GO], times=100)
        resumed = await JournaledPayments(create_terminal(config, session), journal).sale(
            "10.00", reference=first.reference, timeout=2
        )
        assert resumed.result is TransactionResult.APPROVED
        record = await journal.get(first.reference)
        assert record is not None
        assert record.state is JournalState.FINAL
        assert sim.money_requests(SALE_PATHS[TerminalKind.KINETIC_GO]) == 1
        assert len(sim.charges()) == 1


async def test_sent_record_is_never_downgraded_to_not_sent(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    async with started_sim("kinetic_go", host="127.0.0.89", customer_delay=0) as sim:
        payments = JournaledPayments(_terminal(sim, session), journal)
        first = await payments.sale("10.00", timeout=0.3)
        sim.inject("error_500", times=1000)  # every request fails
        again = await JournaledPayments(_terminal(sim, session), journal).sale(
            "10.00", reference=first.reference, timeout=0.3
        )
        assert again.result is TransactionResult.UNKNOWN
        record = await journal.get(first.reference)
        assert record is not None
        assert record.state is JournalState.SENT
        assert sim.money_requests() == 1


# --- finding 3: one reference, two calls at once -----------------------------------------


class _SlowJournal(SqliteJournal):
    """A store whose writes take 0.3 s (a busy disk, or another process's store)."""

    async def update(self, reference: str, **changes: Any) -> Any:
        await asyncio.sleep(0.3)
        return await super().update(reference, **changes)


async def test_concurrent_journaled_calls_with_one_reference_charge_once(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    async with started_sim("payment_engine", host="127.0.0.90") as sim:
        payments = JournaledPayments(
            _terminal(sim, session), _SlowJournal(tmp_path / "journal.sqlite3")
        )
        reference = "order-r3"

        async def second() -> Any:
            await asyncio.sleep(0.25)  # e.g. an automation retried the same call
            return await payments.sale("10.00", reference=reference, timeout=3)

        results = await asyncio.gather(
            payments.sale("10.00", reference=reference, timeout=3), second()
        )
        assert [txn.result for txn in results] == [TransactionResult.APPROVED] * 2
        assert results[0].request_key == results[1].request_key
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


@pytest.mark.parametrize("kind", ["kinetic_go", "payment_engine"])
async def test_concurrent_terminal_calls_with_one_reference_charge_once(
    kind: str, session: aiohttp.ClientSession
) -> None:
    host = {"kinetic_go": "127.0.0.91", "payment_engine": "127.0.0.92"}[kind]
    async with started_sim(kind, host=host) as sim:
        terminal = _terminal(sim, session)
        reference = terminal.new_reference()
        results = await asyncio.gather(
            *(terminal.sale("10.00", reference=reference, timeout=3) for _ in range(3))
        )
        assert {txn.result for txn in results} == {TransactionResult.APPROVED}
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


# --- finding 6: "already exists" is checked before it is reported ------------------------


async def test_already_exists_for_another_amount_is_refused_not_reported(
    session: aiohttp.ClientSession,
) -> None:
    async with started_sim("kinetic_go", host="127.0.0.93") as sim:
        first = await _terminal(sim, session).sale("3.00")
        fresh = _terminal(sim, session)
        operation = fresh.prepare(TransactionType.SALE, amount="4.00", reference=first.reference)
        # Skip the look-up: the terminal answers "already exists" for a 3.00 sale.
        with pytest.raises(KineticInputError, match=r"already names a sale of 3\.00"):
            await fresh.execute(dataclasses.replace(operation, caller_reference=False))
        assert [entry.amount for entry in sim.charges()] == [Decimal("3.00")]


class _ErrorThenRecordsGo(KineticGoSimulator):
    """Answers a sale with HTTP 500, yet records (and runs) it a moment later."""

    _late: ClassVar[set[asyncio.Task[web.Response]]] = set()

    async def _start(self, request: web.Request) -> web.Response:
        await request.read()

        async def record_late() -> web.Response:
            await asyncio.sleep(0.3)
            return await KineticGoSimulator._start(self, request)

        task = asyncio.ensure_future(record_late())
        self._late.add(task)
        task.add_done_callback(self._late.discard)
        return web.json_response({"success": False, "description": "Internal error"}, status=500)


async def test_one_not_found_after_a_server_error_is_no_proof_of_no_charge(
    session: aiohttp.ClientSession,
) -> None:
    sim = _ErrorThenRecordsGo(host="127.0.0.99", port=0, customer_delay=0.05, password="pw-99")
    async with sim:
        txn = await _terminal(sim, session).sale("10.00", timeout=5)
        # The first look-up found nothing, the next ones found the charge.
        assert txn.result is TransactionResult.APPROVED
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1
