"""The UDP announcement listener: started once, it feeds integration discovery flows."""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.util.hass_dict import HassKey

from kinetic_integration.discovery import (
    DEFAULT_ANNOUNCE_PORT,
    AnnouncementListener,
    Battery,
    DiscoveredTerminal,
)

from .const import CONF_KIND, CONF_SERIAL, DOMAIN, LOGGER

# Where the listener binds. Announcements are broadcasts, so only a wildcard socket hears
# them; tests point this at a loopback address and an ephemeral port.
ANNOUNCE_BIND = "0.0.0.0"  # noqa: S104
ANNOUNCE_PORT = DEFAULT_ANNOUNCE_PORT

DATA_DISCOVERY: HassKey[KineticDiscovery] = HassKey(DOMAIN)


@dataclass
class KineticDiscovery:
    """What the announcements told us: who is where, and their batteries."""

    hass: HomeAssistant
    listener: AnnouncementListener | None = None
    # Last (host, port) a flow was started for, per terminal: announcements repeat every
    # few seconds and only a new terminal or a new address is worth a flow.
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)
    batteries: dict[str, Battery] = field(default_factory=dict)

    async def async_start(self) -> None:
        """Bind the listener (a busy port only costs us discovery, never the setup)."""
        listener = AnnouncementListener(self.async_sighting, bind=ANNOUNCE_BIND, port=ANNOUNCE_PORT)
        try:
            await listener.start()
        except OSError as err:
            LOGGER.warning("Cannot listen for terminal announcements: %s", err)
            return
        self.listener = listener

    async def async_stop(self, *_: object) -> None:
        """Close the socket."""
        if self.listener is not None:
            await self.listener.stop()
            self.listener = None

    @callback
    def async_sighting(self, terminal: DiscoveredTerminal) -> None:
        """Remember the battery; start a discovery flow for a new terminal or address."""
        if terminal.battery is not None:
            self.batteries[terminal.key] = terminal.battery
        address = (terminal.host, terminal.port)
        if self.seen.get(terminal.key) == address:
            return
        self.seen[terminal.key] = address
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_KIND: str(terminal.kind),
                "host": terminal.host,
                "port": terminal.port,
                CONF_SERIAL: terminal.serial,
                "name": terminal.name,
            },
        )

    def battery(self, key: str | None) -> Battery | None:
        """Return the last battery state announced by a terminal."""
        return self.batteries.get(key) if key else None
