"""The caller's outcome-details hook never costs the record of a charge."""

from __future__ import annotations

import logging
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kinetic_integration.journal import (
    JournaledPayments,
    JournalRecord,
    JournalState,
    SqliteJournal,
)
from kinetic_integration.models.common import Transaction, TransactionResult
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.terminal import Operation, create_terminal
from tests.library.terminal.support import config_for

#: What a hook's error may carry (say, from the transaction): never logged.
_SECRET = "4111111111111111"


class _OldStore(SqliteJournal):
    """A store written before ``update`` took ``details``: it refuses the argument."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, wal=True)
        self.updates: list[dict[str, Any]] = []

    async def update(self, reference: str, **changes: Any) -> JournalRecord:
        if "details" in changes:
            raise TypeError("update() got an unexpected keyword argument 'details'")
        self.updates.append(changes)
        return await super().update(reference, **changes)


async def test_a_failing_hook_still_records_the_outcome(
    kinetic_go_sim: KineticGoSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The charge is reported and final; the hook's error is logged, its text is not."""
    journal = _OldStore(tmp_path / "j.sqlite3")

    def details(operation: Operation, txn: Transaction) -> dict[str, Any]:
        raise InvalidOperation(f"cannot format {_SECRET}")

    terminal = create_terminal(config_for(kinetic_go_sim), session)
    payments = JournaledPayments(terminal, journal, outcome_details=details)
    with caplog.at_level(logging.DEBUG):
        txn = await payments.sale("1.00")
    assert txn.result is TransactionResult.APPROVED
    found = await journal.get_with_details(txn.reference)
    assert found is not None
    assert found[0].state is JournalState.FINAL
    assert found[0].result is TransactionResult.APPROVED
    assert "details" not in journal.updates[-1]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"Could not gather the outcome details of {txn.reference}: InvalidOperation"
    ]
    assert _SECRET not in caplog.text
    # Resuming it reports the final record again: one charge, nothing sent twice.
    sent = kinetic_go_sim.money_requests()
    again = await payments.sale("1.00", reference=txn.reference)
    assert again.result is TransactionResult.APPROVED
    assert kinetic_go_sim.money_requests() == sent
    await journal.close()


@pytest.mark.parametrize("hook", [None, lambda operation, txn: {}])
async def test_a_store_without_details_gets_none(
    kinetic_go_sim: KineticGoSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    hook: Any,
) -> None:
    """No details to write (no hook, or an empty answer): ``update`` is not given any."""
    journal = _OldStore(tmp_path / "j.sqlite3")
    terminal = create_terminal(config_for(kinetic_go_sim), session)
    payments = JournaledPayments(terminal, journal, outcome_details=hook)
    txn = await payments.sale("1.00")
    assert txn.result is TransactionResult.APPROVED
    record = await journal.get(txn.reference)
    assert record is not None
    assert record.state is JournalState.FINAL
    assert journal.updates[-1]["state"] is JournalState.FINAL
    await journal.close()
