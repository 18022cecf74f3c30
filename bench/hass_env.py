"""A real Home Assistant instance in this process, built by Home Assistant's test harness.

``async_test_home_assistant`` gives the same ``hass`` the integration's tests use (real
core, registries kept in memory), without pytest. Nothing of the integration is mocked;
its announcement listener is pointed at loopback and an ephemeral port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver
from homeassistant import block_async_io, loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.kinetic import discovery
from custom_components.kinetic.const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_DEVICE_KEY,
    CONF_KIND,
    CONF_PIN,
    CONF_SANDBOX,
    DOMAIN,
)


class BlockingCallCounter(logging.Handler):
    """Count Home Assistant's "Detected blocking call" reports."""

    def __init__(self) -> None:
        """Start at zero."""
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count a report of a blocking call in the event loop."""
        if "blocking call" in record.getMessage():
            self.count += 1


@asynccontextmanager
async def home_assistant(
    config_dir: str | None = None,
) -> AsyncIterator[tuple[HomeAssistant, BlockingCallCounter]]:
    """Yield a running Home Assistant with custom integrations enabled.

    ``config_dir``: where its storage goes (the journal of B5's sales); ``None`` is the
    harness's own directory, which B2 and B3 never write to.
    """
    # Home Assistant's own detector: reports blocking I/O done inside the event loop.
    # It stays on for the process once enabled (a second instance finds it on).
    with contextlib.suppress(RuntimeError):
        block_async_io.enable()
    counter = BlockingCallCounter()
    logging.getLogger().addHandler(counter)
    discovery.ANNOUNCE_BIND = "127.0.0.1"
    discovery.ANNOUNCE_PORT = 0
    # The harness's resolver too: Home Assistant's own wants its zeroconf and network
    # integrations set up; every address here is an IP literal that needs no resolving.
    resolver = patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=AsyncResolver(),
    )
    try:
        with resolver:
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                # What the test harness's enable_custom_integrations fixture does.
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
                try:
                    yield hass, counter
                finally:
                    await hass.async_stop(force=True)
    finally:
        logging.getLogger().removeHandler(counter)


def entry_data(terminal: Mapping[str, Any], device: int = 0) -> dict[str, Any]:
    """Config entry data for a simulated terminal (a Payment Engine: one of its devices)."""
    if terminal["kind"] == "payment-engine":
        return {
            CONF_KIND: terminal["kind"],
            CONF_API_KEY: terminal["api_key"],
            CONF_PIN: terminal["pin"],
            CONF_SANDBOX: False,
            CONF_BASE_URL: terminal["base_url"],
            CONF_DEVICE_KEY: terminal["devices"][device]["key"],
        }
    return {
        CONF_KIND: terminal["kind"],
        CONF_HOST: terminal["host"],
        CONF_PORT: terminal["port"],
        CONF_USERNAME: terminal["username"],
        CONF_PASSWORD: terminal["password"],
    }


def add_entry(hass: HomeAssistant, terminal: Mapping[str, Any], device: int = 0) -> Any:
    """Add (not set up) a config entry for a simulated terminal; return it."""
    data = entry_data(terminal, device)
    # The Payment Engine names a device by its key; the others by their serial.
    name = data.get(CONF_DEVICE_KEY) or terminal["serial"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{terminal['kind']} {name}",
        unique_id=str(name),
        data=data,
    )
    entry.add_to_hass(hass)
    return entry


@asynccontextmanager
async def loaded_entries(
    terminals: list[dict[str, Any]],
) -> AsyncIterator[tuple[HomeAssistant, BlockingCallCounter, list[Any]]]:
    """Yield a Home Assistant with one loaded config entry per simulated terminal.

    Its storage (where the journal is saved) is a temporary directory. The entries are
    unloaded on the way out, while the terminals still answer, so no poll races the
    shutdown.
    """
    with tempfile.TemporaryDirectory(prefix="kinetic-bench-") as config_dir:
        async with home_assistant(config_dir) as (hass, blocking):
            entries = [add_entry(hass, terminal) for terminal in terminals]
            assert await async_setup_component(hass, DOMAIN, {})
            await hass.async_block_till_done()
            loaded = sum(e.state is ConfigEntryState.LOADED for e in entries)
            if loaded != len(entries):
                raise RuntimeError(f"only {loaded} of {len(entries)} entries loaded")
            yield hass, blocking, entries
            await asyncio.gather(*(hass.config_entries.async_unload(e.entry_id) for e in entries))
