"""The coordinator: one per terminal, polling what its kind offers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
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


class KineticCoordinator(DataUpdateCoordinator[KineticData]):
    """Poll one terminal: fast while a transaction runs, slowly when idle.

    The base class logs once when the terminal is lost and once when it is back.
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
        last: Transaction | None = None
        if terminal.supports(Capability.LATEST_TRANSACTION):
            last = await terminal.latest_transaction()
        self.update_interval = self._fast_interval if status.busy else IDLE_INTERVAL
        discovery = self.hass.data.get(DATA_DISCOVERY)
        battery = discovery.battery(status.serial) if discovery is not None else None
        return KineticData(status=status, last_transaction=last, battery=battery)
