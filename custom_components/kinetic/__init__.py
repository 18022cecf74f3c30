"""The Kinetic Payment Terminals integration."""

from __future__ import annotations

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import KineticConfigEntry, KineticCoordinator
from .discovery import DATA_DISCOVERY, KineticDiscovery

PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR]

# No YAML settings; an empty ``kinetic:`` only loads the integration (and its
# announcement listener) before the first terminal is added.
CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start the UDP announcement listener once for the whole integration."""
    discovery = KineticDiscovery(hass)
    hass.data[DATA_DISCOVERY] = discovery
    await discovery.async_start()
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, discovery.async_stop)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: KineticConfigEntry) -> bool:
    """Set up one terminal from a config entry."""
    coordinator = KineticCoordinator(hass, entry)
    entry.async_on_unload(coordinator.terminal.close)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: KineticConfigEntry) -> None:
    """Reload so the new behaviour settings take effect."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: KineticConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
