"""The transaction journal in Home Assistant's storage (one for the whole integration).

It implements the library's :class:`~kinetic_integration.journal.JournalStore`, so the
journal logic itself (claims, resume, never send twice) stays in
:class:`~kinetic_integration.journal.JournaledPayments`. Records are keyed by reference
and carry the terminal's identity, so every terminal shares one store. Each change is
saved before the call returns: an intent is on disk before its request can leave.

Next to each record the integration keeps its own details (config entry, table, order,
clerk, masked PAN of the outcome); they are staged before ``begin`` and written with it.
One of them, ``announced``, says whether a final outcome has been announced (bus event,
event entity, Sales today): startup announces every final record that was not.

A write, once started, finishes even if the transaction's task is cancelled (Home
Assistant stopping cancels it): each save runs in a task of its own, shielded, and the
stop event waits a bounded time for saves under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from kinetic_integration.errors import KineticInputError, UnresolvedTransactionError
from kinetic_integration.journal import (
    JournalClaimError,
    JournalError,
    JournalRecord,
    JournalState,
)
from kinetic_integration.models.common import TransactionResult, TransactionType

from .const import DOMAIN

STORAGE_KEY = f"{DOMAIN}.journal"
STORAGE_VERSION = 1
DEFAULT_RETENTION = timedelta(days=90)

_FIELDS = ("reference", "terminal", "amount", "terminal_id", "message", "claim", "answered_error")
#: How long Home Assistant's stop waits for journal writes under way.
STOP_WRITE_TIMEOUT = 10.0
#: The detail that says whether a final outcome was announced. Records from before it
#: existed have no such detail and count as announced.
ANNOUNCED = "announced"


def _now() -> datetime:
    return datetime.now(UTC)


def _to_json(record: JournalRecord, details: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(record, name) for name in _FIELDS}
    data["type"] = record.type.value
    data["state"] = record.state.value
    data["result"] = record.result.value if record.result else None
    data["created_at"] = record.created_at.isoformat()
    data["updated_at"] = record.updated_at.isoformat()
    data["details"] = dict(details)
    return data


def _from_json(data: Mapping[str, Any]) -> JournalRecord:
    return JournalRecord(
        reference=data["reference"],
        terminal=data["terminal"],
        type=TransactionType(data["type"]),
        amount=data["amount"],
        state=JournalState(data["state"]),
        result=TransactionResult(data["result"]) if data["result"] else None,
        terminal_id=data["terminal_id"],
        message=data["message"],
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        claim=data["claim"],
        answered_error=data.get("answered_error"),
    )


class HomeAssistantJournal:
    """A JournalStore in ``.storage/kinetic.journal``, plus the integration's details."""

    def __init__(self, hass: HomeAssistant, *, retention: timedelta = DEFAULT_RETENTION) -> None:
        """Prepare the store; :meth:`async_load` reads it."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY, private=True, atomic_writes=True
        )
        self._writes: set[asyncio.Task[None]] = set()
        self.retention = retention
        self._records: dict[str, JournalRecord] = {}
        self._details: dict[str, dict[str, Any]] = {}
        # Details of transactions about to begin (written with their intent).
        self._staged: dict[str, dict[str, Any]] = {}

    async def async_load(self) -> None:
        """Read the stored records and forget final ones older than the retention."""
        data = await self._store.async_load() or {}
        for item in data.get("records", []):
            record = _from_json(item)
            self._records[record.reference] = record
            self._details[record.reference] = dict(item.get("details") or {})
        if self._prune():
            await self._save()

    def _prune(self) -> bool:
        cutoff = _now() - self.retention
        old = [
            reference
            for reference, record in self._records.items()
            if not record.state.is_unresolved and record.updated_at < cutoff
        ]
        for reference in old:
            del self._records[reference]
            self._details.pop(reference, None)
        return bool(old)

    async def _save(self) -> None:
        data = {
            "records": [
                _to_json(record, self._details.get(reference, {}))
                for reference, record in self._records.items()
            ]
        }
        # A task of Home Assistant's own (stop waits for those), shielded: cancelling
        # the transaction that asked for this write must not cancel the write.
        write = self._hass.async_create_task(self._store.async_save(data), f"{STORAGE_KEY} save")
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        try:
            await asyncio.shield(write)
        except Exception as err:
            raise JournalError(f"Cannot write the journal: {type(err).__name__}") from err

    async def async_wait_for_writes(self, timeout: float = STOP_WRITE_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait (bounded) for the writes under way; Home Assistant's stop calls it."""
        if self._writes:
            await asyncio.wait(set(self._writes), timeout=timeout)

    # --- the integration's own details ----------------------------------------------

    def stage(self, reference: str, details: Mapping[str, Any]) -> None:
        """Remember details to write together with the intent of ``reference``."""
        self._staged[reference] = dict(details)

    def unstage(self, reference: str) -> None:
        """Forget staged details (the transaction never began)."""
        self._staged.pop(reference, None)

    def staged(self) -> Mapping[str, Mapping[str, Any]]:
        """Details of transactions about to begin, by reference."""
        return self._staged

    def details(self, reference: str) -> dict[str, Any]:
        """Return the details kept with a record (empty if none)."""
        return dict(self._details.get(reference, {}))

    async def async_set_details(self, reference: str, details: Mapping[str, Any]) -> None:
        """Add details to an existing record and save."""
        if reference not in self._records:
            return
        self._details.setdefault(reference, {}).update(details)
        await self._save()

    def records(self) -> list[JournalRecord]:
        """Every record kept, oldest first."""
        return sorted(self._records.values(), key=lambda record: record.created_at)

    def unannounced(self, terminal: str) -> list[JournalRecord]:
        """Return the final records of one terminal never announced, oldest first."""
        return sorted(
            (
                record
                for reference, record in self._records.items()
                if record.terminal == terminal
                and record.state is JournalState.FINAL
                and self._details.get(reference, {}).get(ANNOUNCED) is False
            ),
            key=lambda record: record.created_at,
        )

    # --- JournalStore ------------------------------------------------------------------

    async def get(self, reference: str) -> JournalRecord | None:
        """Return the record of ``reference``, if any."""
        return self._records.get(reference)

    async def begin(self, record: JournalRecord) -> JournalRecord:
        """Write a new intent (see the library's JournalStore); saved before returning."""
        # Checked and written without awaiting in between: the event loop makes it atomic.
        for other in self._records.values():
            if (
                other.terminal == record.terminal
                and other.state.is_unresolved
                and other.reference != record.reference
            ):
                raise UnresolvedTransactionError(
                    f"Transaction {other.reference} on this terminal has no confirmed outcome",
                    reference=other.reference,
                )
        existing = self._records.get(record.reference)
        reclaimable = existing is None or existing.state is JournalState.NOT_SENT
        if existing is not None and existing.state is JournalState.PENDING:
            reclaimable = existing.terminal == record.terminal
        if not reclaimable:
            raise KineticInputError(f"Reference {record.reference} is already in use")
        previous_details = self._details.get(record.reference)
        self._records[record.reference] = record
        details = dict(previous_details or {})
        details.update(self._staged.pop(record.reference, {}))
        details[ANNOUNCED] = False
        self._details[record.reference] = details
        self._prune()
        try:
            await self._save()
        except JournalError:
            # Not on disk, so not begun: nothing may be sent for it.
            if existing is None:
                self._records.pop(record.reference, None)
                self._details.pop(record.reference, None)
            else:
                self._records[record.reference] = existing
            raise
        return record

    async def update(
        self,
        reference: str,
        *,
        state: JournalState | None = None,
        result: TransactionResult | None = None,
        terminal_id: str | None = None,
        message: str | None = None,
        claim: str | None = None,
        expect_states: Collection[JournalState] | None = None,
        answered_error: str | None = None,
    ) -> JournalRecord:
        """Change a record (a compare-and-set with ``claim``/``expect_states``); saved."""
        current = self._records.get(reference)
        if current is None:
            if claim is not None or expect_states is not None:
                raise JournalClaimError(f"Reference {reference} is not in the journal")
            raise KineticInputError(f"No journal record for {reference}")
        if (claim is not None and current.claim != claim) or (
            expect_states is not None and current.state not in expect_states
        ):
            raise JournalClaimError(f"Reference {reference} was taken over by another run")
        changed = JournalRecord(
            reference=current.reference,
            terminal=current.terminal,
            type=current.type,
            amount=current.amount,
            state=state or current.state,
            result=result or current.result,
            terminal_id=terminal_id or current.terminal_id,
            message=message or current.message,
            created_at=current.created_at,
            updated_at=_now(),
            claim=current.claim,
            answered_error=answered_error or current.answered_error,
        )
        self._records[reference] = changed
        try:
            await self._save()
        except JournalError:
            if state is JournalState.SENT:
                # "sent" must be on disk before the request leaves: refuse to send.
                self._records[reference] = current
            raise
        return changed

    async def unresolved(self, terminal: str) -> list[JournalRecord]:
        """Return the unresolved records of one terminal, oldest first."""
        return [
            record
            for record in self.records()
            if record.terminal == terminal and record.state.is_unresolved
        ]
