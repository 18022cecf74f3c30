"""The transaction journal of the whole integration: the library's SQLite journal.

It is the library's :class:`~kinetic_integration.journal.SqliteJournal` in
``.storage/kinetic_journal.db`` (WAL mode, each commit fsynced), so the claim rules and
the compare-and-set are the library's, written once; the journal logic itself (resume,
never send twice) stays in :class:`~kinetic_integration.journal.JournaledPayments`.
Records are keyed by reference and carry the terminal's identity, so every terminal
shares one file. Each change writes only its own record, before the call returns: an
intent is on disk before its request can leave. Every database call runs in the
executor.

Next to each record the integration keeps its own details (config entry, table, order,
clerk, masked PAN of the outcome) in the record's JSON details; they are staged before
``begin`` and written with it. One of them, ``announced``, says whether a final outcome
has been announced (bus event, event entity, Sales today): startup announces every final
record that was not.

What the integration reads without waiting (duplicate checks, Sales today, the
announcements owed) is kept in memory: every unresolved record, every record of today
(and the last hour), every final record never announced, and the sales today's
reversals void. Startup reads only those (three indexed queries), never the whole
retention; records older than each terminal's retention are deleted in the background
(first once Home Assistant has started: its entries have said their retention by then).

A write, once started, finishes even if the transaction's task is cancelled (Home
Assistant stopping cancels it): each write runs in a task of its own, shielded, and the
stop event waits a bounded time for writes under way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection, Coroutine, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util import dt as dt_util

from kinetic_integration import (
    JournalError,
    JournalRecord,
    JournalState,
    SqliteJournal,
    TransactionType,
)

from .const import DOMAIN, LOGGER
from .journal_legacy import async_migrate

_T = TypeVar("_T")

#: The journal's file in ``.storage``: Home Assistant's own data lives there, backups
#: include it, and the name says what it is (the Store journal was ``kinetic.journal``).
JOURNAL_FILE = f"{DOMAIN}_journal.db"
#: The option (days) and its default: final records older than this are deleted.
CONF_RETENTION_DAYS = "journal_retention_days"
DEFAULT_RETENTION_DAYS = 90
DEFAULT_RETENTION = timedelta(days=DEFAULT_RETENTION_DAYS)
#: How often old records are deleted and memory trimmed (also once after startup).
MAINTENANCE_INTERVAL = timedelta(hours=6)
#: Resolved records kept in memory besides today's (duplicate checks across midnight).
RECENT = timedelta(hours=1)
#: How long a write waits for another writer of the file (someone's SQLite browser).
JOURNAL_BUSY_TIMEOUT = 30.0
#: How long Home Assistant's stop waits for journal writes under way.
STOP_WRITE_TIMEOUT = 10.0
#: The detail that says whether a final outcome was announced. Records from before it
#: existed have no such detail and count as announced.
ANNOUNCED = "announced"
#: The details that name another transaction: the sale a refund returns, the original a
#: reversal voids. The refund rules look records up by them, at any age (indexed).
ORIGINAL_REFERENCE = "original_reference"
ORIGINAL_ID = "original_id"


def journal_path(hass: HomeAssistant) -> Path:
    """Return where the journal of this Home Assistant lives."""
    return Path(hass.config.path(STORAGE_DIR, JOURNAL_FILE))


class HomeAssistantJournal:
    """A JournalStore in ``.storage/kinetic_journal.db``, plus the integration's details."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        path: Path | None = None,
    ) -> None:
        """Prepare the journal (at ``path``, else in ``.storage``); :meth:`async_load` opens it."""
        self._hass = hass
        self.database = SqliteJournal(
            path or journal_path(hass),
            wal=True,
            timeout=JOURNAL_BUSY_TIMEOUT,
            flags=(ANNOUNCED,),
            lookups=(ORIGINAL_REFERENCE, ORIGINAL_ID),
        )
        self._writes: set[asyncio.Task[Any]] = set()
        #: Final records older than this are deleted (terminals without their own).
        self.retention = retention
        self._retention: dict[str, timedelta] = {}
        self._records: dict[str, JournalRecord] = {}
        self._details: dict[str, dict[str, Any]] = {}
        # Details of transactions about to begin (written with their intent).
        self._staged: dict[str, dict[str, Any]] = {}
        # Staged references we made up ourselves (a fresh uuid4): no record can exist.
        self._fresh: set[str] = set()
        self._stop_maintaining: Callable[[], None] | None = None

    async def async_load(self) -> None:
        """Open the journal (moving the Store journal in once) and read what is at hand."""
        await async_migrate(self._hass, self.database)
        since = self._window_start() - timedelta(days=1)
        for record, details in await self.database.load(created_since=since, flag=ANNOUNCED):
            self._keep(record, details)
        await self._async_keep_originals(list(self._records.values()))
        self._stop_maintaining = async_track_time_interval(
            self._hass, self._async_maintain, MAINTENANCE_INTERVAL, name=f"{DOMAIN} journal"
        )
        self._hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_stop)

        @callback
        def _started(hass: HomeAssistant) -> None:
            # Once Home Assistant has started: its entries are set up and have said
            # their terminals' retention by then.
            hass.async_create_background_task(
                self._async_maintain(dt_util.utcnow()), f"{DOMAIN} journal maintenance"
            )

        async_at_started(self._hass, _started)

    def set_retention(self, terminal: str, retention: timedelta) -> None:
        """Keep the final records of ``terminal`` this long (its entry's option)."""
        self._retention[terminal] = retention

    async def async_maintain(self) -> int:
        """Delete records past their retention, trim memory; return how many went.

        A refund or a reversal stays as long as the record it names (the refund limits
        count them, whichever terminal's retention is shorter). Terminals without a
        retention of their own (their entry removed) go by the default, but only while
        every entry is loaded: one not set up (yet) has not said its retention, and its
        terminal's identity is unknown until it is.
        """
        now = dt_util.utcnow()
        removed = 0
        linked = (ORIGINAL_REFERENCE, ORIGINAL_ID)
        # A copy: an entry set up meanwhile (the first run is at Home Assistant's start)
        # adds its retention while a prune is awaited.
        for terminal, retention in list(self._retention.items()):
            removed += await self.database.prune(now - retention, terminal=terminal, linked=linked)
        if self._every_entry_loaded():
            removed += await self.database.prune(
                now - self.retention, keep=tuple(self._retention), linked=linked
            )
        self._trim(now)
        if removed:
            LOGGER.debug("Deleted %d journal records past their retention", removed)
        return removed

    def _every_entry_loaded(self) -> bool:
        entries = self._hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        return all(entry.state is ConfigEntryState.LOADED for entry in entries)

    async def _async_maintain(self, _now: datetime) -> None:
        try:
            await self.async_maintain()
        except JournalError as err:
            LOGGER.warning("Could not delete old journal records: %s", err)

    async def _async_stop(self, _event: Event) -> None:
        if self._stop_maintaining is not None:
            self._stop_maintaining()
            self._stop_maintaining = None
        await self.async_wait_for_writes()
        await self.database.close()

    async def async_wait_for_writes(self, timeout: float = STOP_WRITE_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait (bounded) for the writes under way; Home Assistant's stop calls it."""
        if self._writes:
            await asyncio.wait(set(self._writes), timeout=timeout)

    # --- memory --------------------------------------------------------------------

    @staticmethod
    def _window_start() -> datetime:
        return min(dt_util.start_of_local_day(), dt_util.utcnow() - RECENT)

    def _keep(self, record: JournalRecord, details: Mapping[str, Any]) -> None:
        self._records[record.reference] = record
        self._details[record.reference] = dict(details)

    def _owed(self, record: JournalRecord) -> bool:
        """Whether memory must keep this record whatever its age."""
        return record.state.is_unresolved or (
            record.state is JournalState.FINAL
            and self._details.get(record.reference, {}).get(ANNOUNCED) is False
        )

    def _trim(self, now: datetime) -> None:
        """Forget what the database deleted, and resolved records of earlier days."""
        start = self._window_start()
        kept = {
            reference
            for reference, record in self._records.items()
            if record.state.is_unresolved
            or (
                record.updated_at >= now - self._retention.get(record.terminal, self.retention)
                and (self._owed(record) or record.updated_at >= start)
            )
        }
        kept |= {str(self._details[reference].get("original_id")) for reference in kept}
        for reference in set(self._records) - kept:
            del self._records[reference]
            self._details.pop(reference, None)

    async def _async_keep_originals(self, records: Collection[JournalRecord]) -> None:
        """Keep the sales these reversals void at hand (Sales today subtracts them)."""
        wanted = {
            str(self._details.get(record.reference, {}).get("original_id"))
            for record in records
            if record.type is TransactionType.REVERSAL
        } - set(self._records)
        if wanted:
            for record, details in await self.database.records(wanted):
                self._keep(record, details)

    async def _write(self, job: Coroutine[Any, Any, _T]) -> _T:
        """Run one write in a task of Home Assistant's own, shielded from cancellation.

        Cancelling the transaction that asked for it must not cancel the write (nor what
        memory learns from it); stop waits for such tasks.
        """
        task = self._hass.async_create_task(job, f"{DOMAIN} journal write")
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return await asyncio.shield(task)

    # --- the integration's own details ----------------------------------------------

    def stage(self, reference: str, details: Mapping[str, Any], *, fresh: bool = False) -> None:
        """Remember details to write together with the intent of ``reference``.

        ``fresh``: the reference was just made up (a new uuid4, not the caller's), so
        the journal cannot hold it and :meth:`get` answers without reading the file.
        """
        self._staged[reference] = dict(details)
        if fresh:
            self._fresh.add(reference)

    def unstage(self, reference: str) -> None:
        """Forget staged details (the transaction never began)."""
        self._staged.pop(reference, None)
        self._fresh.discard(reference)

    def staged(self) -> Mapping[str, Mapping[str, Any]]:
        """Details of transactions about to begin, by reference."""
        return self._staged

    def details(self, reference: str) -> dict[str, Any]:
        """Return the details kept with a record at hand (every one ``get`` returned)."""
        return dict(self._details.get(reference, {}))

    async def async_set_details(self, reference: str, details: Mapping[str, Any]) -> None:
        """Add details to an existing record and write them."""

        async def job() -> None:
            written = await self.database.set_details(reference, details)
            if written is not None and reference in self._records:
                # Into memory, not memory replaced by what was read: a change made
                # meanwhile (set_details_soon, still being written) stays.
                self._merge_details(reference, details)

        await self._write(job())

    def set_details_soon(self, reference: str, details: Mapping[str, Any]) -> None:
        """Add details at once in memory and write them in the background.

        For what may be lost in a crash without harm (that an outcome was announced: it
        is announced again at the next start), so that no sale waits for its commit.
        Stop waits for it like any write; a failed write is logged.
        """
        if reference in self._details:
            self._merge_details(reference, details)

        async def job() -> None:
            try:
                await self.database.set_details(reference, details)
            except JournalError as err:
                LOGGER.warning("Could not write the details of %s: %s", reference, err)

        task = self._hass.async_create_task(job(), f"{DOMAIN} journal write")
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def _merge_details(self, reference: str, details: Mapping[str, Any]) -> None:
        """Merge details into memory as the file merges them: ``None`` removes a key."""
        kept = self._details.setdefault(reference, {})
        for key, value in details.items():
            if value is None:
                kept.pop(key, None)
            else:
                kept[key] = value

    def records(self) -> list[JournalRecord]:
        """Return the records at hand, oldest first.

        Every unresolved one, today's and recent ones, final ones never announced, and
        the sales today's reversals void.
        """
        return sorted(self._records.values(), key=lambda record: record.created_at)

    def unannounced(self, terminal: str) -> list[JournalRecord]:
        """Return the final records of one terminal never announced, oldest first."""
        return [
            record
            for record in self.records()
            if record.terminal == terminal
            and record.state is JournalState.FINAL
            and self._details.get(record.reference, {}).get(ANNOUNCED) is False
        ]

    # --- JournalStore ------------------------------------------------------------------

    async def get(self, reference: str) -> JournalRecord | None:
        """Return the record of ``reference``, if any (and keep it at hand)."""
        if reference in self._records:
            return self._records[reference]
        if reference in self._fresh:
            return None
        found = await self.database.get_with_details(reference)
        if found is None:
            return None
        self._keep(*found)
        return found[0]

    async def begin(self, record: JournalRecord) -> JournalRecord:
        """Write a new intent (the library's rules); on disk before returning."""
        reference = record.reference

        async def job() -> None:
            staged = {**self._staged.get(reference, {}), ANNOUNCED: False}
            details = await self.database.begin_with_details(record, staged)
            # In one step with the unstaging: duplicate checks always see one of them.
            self._keep(record, details)
            self._staged.pop(reference, None)
            self._fresh.discard(reference)

        await self._write(job())
        with contextlib.suppress(JournalError):
            await self._async_keep_originals([record])
        return record

    async def update(self, reference: str, **changes: Any) -> JournalRecord:
        """Change a record: the library's ``update`` (compare-and-set and all); written.

        Details passed along (an outcome's, see payments.py) are written in the same
        change, and memory learns both at once.
        """

        async def job() -> JournalRecord:
            changed = await self.database.update(reference, **changes)
            self._records[reference] = changed
            self._merge_details(reference, changes.get("details") or {})
            return changed

        return await self._write(job())

    async def unresolved(self, terminal: str) -> list[JournalRecord]:
        """Return the unresolved records of one terminal, oldest first."""
        return await self.database.unresolved(terminal)
