"""Payments of one terminal: journaled, recovered on startup, announced as events.

Every money-moving call goes through the library's ``JournaledPayments`` over the
integration's journal, in a background task of the config entry: unloading the entry
(or stopping Home Assistant) cancels it, and the next setup recovers the outcome by the
terminal's own id before the entry reports ready. Nothing here ever sends a reference
twice; that rule lives in the library.

Every final outcome is announced at least once (bus event, event entity, Sales today):
the journal notes when it was, and setup announces, marked ``recovered``, every final
record that was not (a stop between the answer and the announcement). Announcing twice
after a crash is possible; never announcing is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started

from kinetic_integration import (
    JournalClaimError,
    JournaledPayments,
    JournalRecord,
    JournalState,
    KineticError,
    Operation,
    Terminal,
    Transaction,
)

from .activity import async_finished, async_started
from .audit import STARTED_BY, Caller, recorded_caller
from .const import DOMAIN, LOGGER
from .duplicates import check_duplicate
from .journal import ANNOUNCED, CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, HomeAssistantJournal
from .logbook_entry import async_log_transaction
from .money import outcome_details
from .outcome import Outcome, event_data, transaction_signal

EVENT_TRANSACTION_COMPLETED = "kinetic_transaction_completed"
#: One lock per reference: calls with the same reference run (and are told) in turn.
_REFERENCE_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
#: How long setup waits for the outcome of a transaction left open (then: a repair issue).
STARTUP_RECOVERY_TIMEOUT = 30.0
#: How often a transaction whose outcome is still unknown is asked about again.
RETRY_INTERVAL = timedelta(minutes=5)
ISSUE_PREFIX = "unknown_outcome_"
#: How long an announcement recovered at startup waits for Home Assistant to settle
#: after it started (automations attach their triggers then).
ANNOUNCE_SETTLE_TIMEOUT = 30.0


def _reference_lock(reference: str) -> asyncio.Lock:
    lock = _REFERENCE_LOCKS.get(reference)
    if lock is None:
        lock = _REFERENCE_LOCKS[reference] = asyncio.Lock()
    return lock


class KineticPayments:
    """The money-moving side of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        terminal: Terminal,
        journal: HomeAssistantJournal,
    ) -> None:
        """Wrap the entry's terminal with the shared journal."""
        self.hass = hass
        self.entry = entry
        self.terminal = terminal
        self.journal = journal
        days = entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
        journal.set_retention(terminal.identity, timedelta(days=days))
        # What an outcome moved is written with the outcome itself: a final record
        # always says it (the refund limits rely on it).
        self.journaled = JournaledPayments(terminal, journal, outcome_details=outcome_details)
        self._retrying: asyncio.Task[list[Outcome]] | None = None
        #: The transaction of the latest outcome announced (read by the receipt image
        #: when the transaction signal arrives; the signal itself carries plain data).
        self.last_transaction: Transaction | None = None

    @property
    def device_id(self) -> str | None:
        """The device registry id of this terminal."""
        identifier = (DOMAIN, self.entry.unique_id or self.entry.entry_id)
        # Looked up among this entry's own devices: the same call on every supported Home
        # Assistant (2026.x deprecates async_get_device; 2025.4 lacks its successors).
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            if identifier in device.identifiers:
                return device.id
        return None

    # --- before anything is sent ------------------------------------------------------

    def check_duplicate(self, reference: str, details: Mapping[str, Any]) -> None:
        """Refuse a sale for a table, order or reference that is open or just approved."""
        check_duplicate(self.journal, reference, details)

    # --- running --------------------------------------------------------------------

    async def async_start(
        self,
        operation: Operation,
        details: Mapping[str, Any],
        *,
        wait: bool,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        caller: Caller | None = None,
    ) -> Outcome | None:
        """Journal and run ``operation`` in the entry's background; wait for it if asked.

        The details are staged at once (the duplicate check sees them from now on), with
        who started it (``caller``). ``timeout`` is the card wait (None: the terminal's
        configured one).
        """
        who = {STARTED_BY: dict(caller.started_by)} if caller and caller.started_by else {}
        if operation.reference not in self.journal.staged():
            # The same reference on its way already: its first caller's details stand.
            self.journal.stage(
                operation.reference,
                {**details, **who, "entry_id": self.entry.entry_id},
                fresh=not operation.caller_reference,
            )
        # The dashboard shows the transaction now, not at the terminal's next poll.
        async_started(self.hass, self.entry.entry_id, operation.reference)
        task = self.entry.async_create_background_task(
            self.hass,
            self._async_run(operation, timeout=timeout, caller=caller),
            f"{DOMAIN} {operation.reference}",
        )
        if not wait:
            return None
        # Waiting must not cancel the payment if the caller goes away; the entry's
        # unload does cancel it (the next setup recovers the outcome).
        await asyncio.wait({task})
        if task.cancelled():
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="interrupted",
                translation_placeholders={"reference": operation.reference},
            )
        return task.result()

    async def _async_run(
        self,
        operation: Operation,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        recovered: bool = False,
        caller: Caller | None = None,
    ) -> Outcome:
        reference = operation.reference
        # Calls with one reference run in turn, announcement included: a repeat finds
        # the first one's outcome told.
        async with _reference_lock(reference):
            told = await self._told_before(reference)
            if told or caller is None:
                # Resumed from the journal, or asked again: who started it is recorded.
                caller = recorded_caller(self.journal.details(reference))
            try:
                outcome = await self._async_execute(operation, timeout, recovered, caller)
            finally:
                self.journal.unstage(reference)
            async_finished(self.hass, self.entry.entry_id, reference, outcome.transaction)
            if not told:
                await self._async_finish(outcome)
            # Else answered from the record: logbook and event told it when it ended.
            return outcome

    async def _told_before(self, reference: str) -> bool:
        """Whether ``reference`` ended and was announced before (this call is a repeat)."""
        try:
            record = await self.journal.get(reference)
        except KineticError:
            return False  # then told again rather than never
        return (
            record is not None
            and record.state is JournalState.FINAL
            and self.journal.details(reference).get(ANNOUNCED) is not False
        )

    async def _async_execute(
        self,
        operation: Operation,
        timeout: float | None,  # noqa: ASYNC109 - the customer's time, not one call's
        recovered: bool,
        caller: Caller,
    ) -> Outcome:
        try:
            txn = await self.journaled.run(operation, timeout=timeout)
        except KineticError as err:
            # Nothing was charged for this reference (the library's contract).
            LOGGER.debug("%s %s not charged: %s", operation.type, operation.reference, err.code)
            return Outcome(operation=operation, error=err, recovered=recovered, caller=caller)
        except Exception:
            # Unforeseen, after the request may have left: the record stays open.
            LOGGER.exception("Transaction %s failed unexpectedly", operation.reference)
            return Outcome(operation=operation, recovered=recovered, caller=caller)
        return Outcome(operation=operation, transaction=txn, recovered=recovered, caller=caller)

    async def _async_finish(self, outcome: Outcome) -> None:
        """Raise or clear the repair issue, announce the result."""
        reference = outcome.operation.reference
        record = await self.journal.get(reference)
        if record is not None and record.state.is_unresolved:
            self._raise_issue(record)
        else:
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_PREFIX}{reference}")
        final = record is not None and record.state is JournalState.FINAL
        if self.hass.is_running:
            await self._async_announce(outcome, final=final)
            return
        # Recovered during startup: automations attach their triggers only once Home
        # Assistant has started, so announce then (the journal keeps it unannounced
        # until it is).

        @callback
        def _started(_hass: HomeAssistant) -> None:
            self.entry.async_create_background_task(
                self.hass,
                self._async_announce_when_settled(outcome, final=final),
                f"{DOMAIN} announce {reference}",
            )

        self.entry.async_on_unload(async_at_started(self.hass, _started))

    async def _async_announce_when_settled(self, outcome: Outcome, *, final: bool) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ANNOUNCE_SETTLE_TIMEOUT):
                await self.hass.async_block_till_done()
        await self._async_announce(outcome, final=final)

    async def _async_announce(self, outcome: Outcome, *, final: bool) -> None:
        """Tell everyone (event entity, Sales today, the bus), then note it was told."""
        if outcome.transaction is not None:
            self.last_transaction = outcome.transaction
        reference = outcome.operation.reference
        data = event_data(
            outcome,
            self.journal.details(reference),
            device_id=self.device_id,
            entry_id=self.entry.entry_id,
            terminal=self.entry.title,
        )
        async_dispatcher_send(self.hass, transaction_signal(self.entry.entry_id), data)
        context = outcome.caller.context if outcome.caller is not None else None
        self.hass.bus.async_fire(EVENT_TRANSACTION_COMPLETED, data, context=context)
        if not final:
            return
        async_log_transaction(self.hass, data, self.hass.config.currency, context)
        # Written in the background (nobody waits for its commit): lost in a crash, it
        # is announced once more at the next start, which is better than never.
        self.journal.set_details_soon(reference, {ANNOUNCED: True})

    def _raise_issue(self, record: JournalRecord) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_PREFIX}{record.reference}",
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="unknown_outcome",
            translation_placeholders={
                "reference": record.reference,
                "terminal": self.entry.title,
                "amount": record.amount or "-",
                # What is known and what to check (the library's words, e.g. where to
                # look for a Payment Engine request whose answer was lost).
                "details": record.message or "",
            },
            data={"entry_id": self.entry.entry_id, "reference": record.reference},
        )

    # --- startup ---------------------------------------------------------------------

    async def async_recover(self) -> list[Outcome]:
        """Settle every open record of this terminal; runs before the entry is ready.

        Records still open afterwards are asked about again every RETRY_INTERVAL. Final
        records never announced (Home Assistant stopped between the answer and the
        announcement) are announced now, marked ``recovered``.
        """
        outcomes = await self._async_settle()
        # Settled just now: announced already, or (during Home Assistant's startup) once
        # it has started; either way not again here.
        settled = {outcome.operation.reference for outcome in outcomes}
        identity = await self.terminal.resolve_identity()
        for record in self.journal.unannounced(identity):
            if record.reference in settled:
                continue
            LOGGER.debug("Announcing %s, final but never announced", record.reference)
            outcomes.append(
                await self._async_run(
                    self._operation_of(record), timeout=STARTUP_RECOVERY_TIMEOUT, recovered=True
                )
            )
        self.entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_retry, RETRY_INTERVAL)
        )
        return outcomes

    @callback
    def _async_retry(self, _now: datetime) -> None:
        if self._retrying is not None and not self._retrying.done():
            return
        self._retrying = self.entry.async_create_background_task(
            self.hass, self._async_settle(), f"{DOMAIN} retry {self.entry.entry_id}"
        )

    async def _async_settle(self) -> list[Outcome]:
        identity = await self.terminal.resolve_identity()
        outcomes: list[Outcome] = []
        for record in await self.journal.unresolved(identity):
            if record.state is JournalState.PENDING:
                # Written down but never sent (sending needs "sent" on disk first). The
                # customer is gone: free the reference rather than charge now.
                with contextlib.suppress(JournalClaimError):
                    await self.journal.update(
                        record.reference,
                        state=JournalState.NOT_SENT,
                        message="Home Assistant stopped before the request was sent",
                        expect_states=(JournalState.PENDING,),
                    )
                continue
            LOGGER.debug("Recovering %s left open", record.reference)
            outcomes.append(
                await self._async_run(
                    self._operation_of(record), timeout=STARTUP_RECOVERY_TIMEOUT, recovered=True
                )
            )
        return outcomes

    def _operation_of(self, record: JournalRecord) -> Operation:
        """Return the operation a journal record stands for (to resume or report it)."""
        return Operation(
            type=record.type,
            reference=record.reference,
            caller_reference=True,
            amount=Decimal(record.amount) if record.amount else None,
            original_id=self.journal.details(record.reference).get("original_id"),
        )
