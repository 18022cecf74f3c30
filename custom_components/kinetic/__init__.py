"""The Kinetic Payment Terminals integration."""

from __future__ import annotations

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from kinetic_integration import KineticError

from .audit import async_setup_origins
from .const import DOMAIN
from .coordinator import KineticCoordinator
from .data import DATA_JOURNAL, KineticConfigEntry, KineticRuntimeData
from .discovery import DATA_DISCOVERY, KineticDiscovery
from .export import async_setup_export
from .journal import HomeAssistantJournal
from .payments import KineticPayments
from .services import async_setup_services
from .services_records import async_setup_record_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
]

# No YAML settings; an empty ``kinetic:`` only loads the integration (and its
# announcement listener) before the first terminal is added.
CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Load the journal, register the actions and start the announcement listener."""
    # Before anything can start a transaction: which automation or script each call is.
    async_setup_origins(hass)
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    hass.data[DATA_JOURNAL] = journal

    async def _async_finish_writes(_event: Event) -> None:
        # Transactions were just cancelled; what they began writing still lands.
        await journal.async_wait_for_writes()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_finish_writes)
    async_setup_services(hass)
    async_setup_record_services(hass)
    async_setup_export(hass)
    discovery = KineticDiscovery(hass)
    hass.data[DATA_DISCOVERY] = discovery
    await discovery.async_start()
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, discovery.async_stop)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: KineticConfigEntry) -> bool:
    """Set up one terminal; settle the transactions it left open before it is ready."""
    coordinator = KineticCoordinator(hass, entry)
    entry.async_on_unload(coordinator.terminal.close)
    await coordinator.async_config_entry_first_refresh()
    try:
        # The journal knows terminals by this identity (the Kinetic Go asks its serial).
        await coordinator.terminal.resolve_identity()
    except KineticError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="update_failed",
            translation_placeholders={"error": err.code},
        ) from err
    payments = KineticPayments(hass, entry, coordinator.terminal, hass.data[DATA_JOURNAL])
    entry.runtime_data = KineticRuntimeData(coordinator=coordinator, payments=payments)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the platforms, so the event entity announces what is recovered.
    await payments.async_recover()
    return True


async def _async_options_updated(hass: HomeAssistant, entry: KineticConfigEntry) -> None:
    """Reload so the new behaviour settings take effect."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: KineticConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
