"""The coordinator: one per terminal, polling what its kind offers."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from kinetic_integration import (
    DEFAULT_MAX_AMOUNT,
    Capability,
    KineticAuthenticationError,
    KineticError,
    KineticRateLimitError,
    TerminalStatus,
    Transaction,
)
from kinetic_integration.discovery import Battery

from .activity import finished_signal, started_signal
from .const import (
    CONF_MAX_AMOUNT,
    DOMAIN,
    FAST_INTERVAL,
    IDLE_INTERVAL,
    LOGGER,
)
from .discovery import DATA_DISCOVERY
from .terminal import build_terminal


@dataclass(frozen=True, slots=True, kw_only=True)
class KineticData:
    """One poll's worth of what a terminal said."""

    status: TerminalStatus
    last_transaction: Transaction | None = None
    battery: Battery | None = None
    #: A transaction of ours runs but the terminal does not show it yet (the request is
    #: on its way): busy, by what this integration knows rather than by the terminal.
    awaiting_terminal: bool = False


#: After one of our transactions starts, the terminal is asked this soon (and again as
#: often until it shows the transaction), so its own state follows within a second.
START_POLL_DELAY = 0.3


class KineticCoordinator(DataUpdateCoordinator[KineticData]):
    """Poll one terminal: fast while a transaction runs, slowly when idle.

    The base class logs once when the terminal is lost and once when it is back. A
    transaction this integration starts or finishes is shown at once (the payments
    signal both): busy and fast polling from the start, the result at its end.
    """

    # Plain ConfigEntry: the entry's runtime data holds this coordinator, so naming
    # KineticConfigEntry here would make data.py and this module import each other.
    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Build the terminal on Home Assistant's shared web session."""
        self.terminal = build_terminal(
            hass,
            entry.data,
            Decimal(entry.options.get(CONF_MAX_AMOUNT, str(DEFAULT_MAX_AMOUNT))),
        )
        # A cloud API's rate limit may forbid polling as fast as a local terminal allows.
        self._fast_interval = max(
            FAST_INTERVAL, timedelta(seconds=self.terminal.min_status_interval)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=IDLE_INTERVAL,
        )
        #: References of our transactions running now: the terminal is busy with them
        #: whatever a poll says (a poll may come before the request reaches it).
        self._running: set[str] = set()
        self._last_poll = 0.0
        self._cancel_soon: Callable[[], None] | None = None
        entry.async_on_unload(
            async_dispatcher_connect(hass, started_signal(entry.entry_id), self._async_started)
        )
        entry.async_on_unload(
            async_dispatcher_connect(hass, finished_signal(entry.entry_id), self._async_finished)
        )
        entry.async_on_unload(self._async_cancel_soon)

    @property
    def running(self) -> frozenset[str]:
        """References of the transactions this integration runs on the terminal now."""
        return frozenset(self._running)

    @callback
    def _async_started(self, reference: str) -> None:
        """Show our transaction at once (busy, fast polling), then ask the terminal soon."""
        self._running.add(reference)
        self.update_interval = self._fast_interval
        data = self.data
        if data is not None and self.last_update_success and not data.status.busy:
            status = dataclasses.replace(data.status, busy=True)
            self.async_set_updated_data(
                dataclasses.replace(data, status=status, awaiting_terminal=True)
            )
        self._async_poll_soon(START_POLL_DELAY)

    @callback
    def _async_finished(self, reference: str, transaction: Transaction | None) -> None:
        """Show the outcome at once, then ask the terminal what it shows now."""
        if reference not in self._running:
            # Recovered at startup, or not started here: the next poll tells.
            return
        self._running.discard(reference)
        data = self.data
        if data is not None and self.last_update_success:
            last = data.last_transaction
            if transaction is not None and self.terminal.supports(Capability.LATEST_TRANSACTION):
                last = transaction
            busy = bool(self._running)
            self.async_set_updated_data(
                dataclasses.replace(
                    data,
                    status=dataclasses.replace(data.status, busy=busy),
                    last_transaction=last,
                    awaiting_terminal=busy and data.awaiting_terminal,
                )
            )
        self._async_poll_soon(0)

    @callback
    def _async_poll_soon(self, delay: float) -> None:
        """Poll in ``delay`` seconds, or as soon after as the terminal's rate allows."""
        since = time.monotonic() - self._last_poll
        wait = max(delay, self.terminal.min_status_interval - since)
        self._async_cancel_soon()
        self._cancel_soon = async_call_later(self.hass, wait, self._async_poll_now)

    @callback
    def _async_poll_now(self, _now: datetime) -> None:
        self._cancel_soon = None
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} poll {self.config_entry.entry_id}"
        )

    @callback
    def _async_cancel_soon(self) -> None:
        if self._cancel_soon is not None:
            self._cancel_soon()
            self._cancel_soon = None

    async def _async_update_data(self) -> KineticData:
        """Fetch the terminal's status (and what its kind adds)."""
        try:
            return await self._fetch()
        except KineticAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except KineticError as err:
            if isinstance(err, KineticRateLimitError) and self.data is not None:
                # The API key's request budget went to a running sale: the status stands.
                return self.data
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": err.code},
            ) from err

    async def _fetch(self) -> KineticData:
        terminal = self.terminal
        self._last_poll = time.monotonic()
        status = await terminal.status()
        previous = self.data
        if previous is not None:
            # Counts a terminal cannot report right now (DeviceService while a transaction
            # runs answers busy to them, which is no outage) keep their last known values.
            kept = {
                name: getattr(previous.status, name)
                for name in ("offline_count", "stored_records")
                if getattr(status, name) is None and getattr(previous.status, name) is not None
            }
            if kept:  # most polls (every Kinetic Go's) have nothing to carry over
                status = dataclasses.replace(status, **kept)
            if status.supports_offline != previous.status.supports_offline:
                # Which entities exist follows the terminal's own offline support
                # (DeviceService SupportOfflineTransaction): set them up again.
                LOGGER.info("%s: offline support changed; reloading", self.config_entry.title)
                self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)
        last: Transaction | None = None
        if terminal.supports(Capability.LATEST_TRANSACTION):
            last = await terminal.latest_transaction()
        awaiting = bool(self._running) and not status.busy
        if awaiting:
            status = dataclasses.replace(status, busy=True)
            # Until the terminal shows it, ask again soon rather than a whole interval on.
            self._async_poll_soon(START_POLL_DELAY)
        self.update_interval = self._fast_interval if status.busy else IDLE_INTERVAL
        discovery = self.hass.data.get(DATA_DISCOVERY)
        battery = discovery.battery(status.serial) if discovery is not None else None
        return KineticData(
            status=status, last_transaction=last, battery=battery, awaiting_terminal=awaiting
        )
