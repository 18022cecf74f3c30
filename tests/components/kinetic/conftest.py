"""Simulated terminals and config entries for the integration's tests.

Each simulator is a real server on its own loopback address, started in the test's event
loop and stopped at teardown; nothing of our library is mocked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
import pytest_socket
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.kinetic import discovery
from custom_components.kinetic import journal as ha_journal
from custom_components.kinetic.const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_DEVICE_KEY,
    CONF_KIND,
    CONF_PIN,
    CONF_SANDBOX,
    DOMAIN,
)
from custom_components.kinetic.data import DATA_JOURNAL
from kinetic_integration import JournalRecord, JournalState, TransactionType
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from tests.log_hygiene import register_secret

GO_HOST = "127.0.0.2"
DS_HOST = "127.0.0.3"
PE_HOST = "127.0.0.4"
# DeviceService entries are known by host:port (its API has no serial): a fixed port keeps
# their unique ids, and so the snapshots, stable.
DS_PORT = 8526
PE_DEVICE = "sa_SIM0000000000000000000000001"
# Long enough that the log scan cannot find it by chance in timestamps and ids.
PE_PIN = "739146205"
# Spare addresses for second terminals and moved ones.
EXTRA_HOSTS = ("127.0.0.5", "127.0.0.6", "127.0.0.7")


@pytest.fixture(autouse=True)
def announcements_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never bind the real announcement port: listen on loopback, ephemeral port."""
    monkeypatch.setattr(discovery, "ANNOUNCE_BIND", "127.0.0.1")
    monkeypatch.setattr(discovery, "ANNOUNCE_PORT", 0)


@pytest.fixture(autouse=True)
def journal_in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Give every test its own journal file (the harness shares one config directory)."""
    path = tmp_path / ha_journal.JOURNAL_FILE
    monkeypatch.setattr(ha_journal, "journal_path", lambda _hass: path)
    return path


@pytest.fixture
def loopback(socket_enabled: None) -> None:
    """Allow connections to our simulators' loopback addresses, and to nothing else.

    The plugin allows only 127.0.0.1; every simulated terminal has its own 127.0.0.x.
    """
    pytest_socket.socket_allow_hosts(
        ["127.0.0.1", GO_HOST, DS_HOST, PE_HOST, *EXTRA_HOSTS], allow_unix_socket=True
    )


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format (ids and times left out)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def enable_all_entities() -> Iterator[None]:
    """Create the entities that are disabled by default enabled (as core's fixture does)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


def _register(sim: Any) -> None:
    register_secret(*sim.secrets())


@pytest.fixture
async def go_sim(loopback: None) -> AsyncIterator[KineticGoSimulator]:
    """A started Kinetic Go 2 simulator."""
    sim = KineticGoSimulator(host=GO_HOST, customer_delay=0.05, processing_delay=0.01)
    _register(sim)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def ds_sim(loopback: None) -> AsyncIterator[DeviceServiceSimulator]:
    """A started DeviceService simulator."""
    sim = DeviceServiceSimulator(
        host=DS_HOST,
        port=DS_PORT,
        customer_delay=0.05,
        processing_delay=0.01,
        stable_wait=0.3,
    )
    _register(sim)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def pe_sim(loopback: None) -> AsyncIterator[PaymentEngineSimulator]:
    """A started Payment Engine simulator with two devices."""
    sim = PaymentEngineSimulator(
        host=PE_HOST,
        customer_delay=0.05,
        processing_delay=0.01,
        pin=PE_PIN,
        devices=((PE_DEVICE, "Counter"), ("sa_SIM0000000000000000000000002", "Bar")),
    )
    _register(sim)
    await sim.start()
    yield sim
    await sim.stop()


def go_data(sim: KineticGoSimulator) -> dict[str, Any]:
    """Entry data for a Kinetic Go simulator."""
    described = sim.describe()
    return {
        CONF_KIND: "kinetic-go",
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_USERNAME: described["username"],
        CONF_PASSWORD: described["password"],
    }


def ds_data(sim: DeviceServiceSimulator) -> dict[str, Any]:
    """Entry data for a DeviceService simulator."""
    described = sim.describe()
    return {
        CONF_KIND: "device-service",
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_USERNAME: described["username"],
        CONF_PASSWORD: described["password"],
    }


def pe_data(sim: PaymentEngineSimulator) -> dict[str, Any]:
    """Entry data for a Payment Engine simulator (its first device)."""
    described = sim.describe()
    return {
        CONF_KIND: "payment-engine",
        CONF_API_KEY: described["api_key"],
        CONF_PIN: described["pin"],
        CONF_SANDBOX: False,
        CONF_BASE_URL: sim.base_url,
        CONF_DEVICE_KEY: PE_DEVICE,
    }


@pytest.fixture
def go_entry(hass: HomeAssistant, go_sim: KineticGoSimulator) -> MockConfigEntry:
    """A config entry for the Kinetic Go simulator (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kinetic Go 2 KG2SIM0001",
        unique_id=go_sim.serial,
        data=go_data(go_sim),
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def ds_entry(hass: HomeAssistant, ds_sim: DeviceServiceSimulator) -> MockConfigEntry:
    """A config entry for the DeviceService simulator (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"MP200 (DeviceService) {DS_HOST}:{DS_PORT}",
        unique_id=f"{DS_HOST}:{DS_PORT}",
        data=ds_data(ds_sim),
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def pe_entry(hass: HomeAssistant, pe_sim: PaymentEngineSimulator) -> MockConfigEntry:
    """A config entry for the Payment Engine simulator's first device (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Counter", unique_id=PE_DEVICE, data=pe_data(pe_sim)
    )
    entry.add_to_hass(hass)
    return entry


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up an entry and wait until Home Assistant is idle."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def terminal_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the registered device of an entry's terminal.

    Found among the entry's own devices, the one lookup that neither Home Assistant 2025.4
    lacks nor 2026.x reports as deprecated (``async_get_device``).
    """
    registry = dr.async_get(hass)
    identifier = (DOMAIN, str(entry.unique_id))
    [device] = [
        device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if identifier in device.identifiers
    ]
    return device


async def leave_sent_sale(
    hass: HomeAssistant, terminal: str, reference: str, *, amount: str = "16.00"
) -> None:
    """Journal a sale as sent whose answer never came (Home Assistant stopped meanwhile)."""
    journal = hass.data[DATA_JOURNAL]
    now = datetime.now(UTC)
    await journal.begin(
        JournalRecord(
            reference=reference,
            terminal=terminal,
            type=TransactionType.SALE,
            amount=amount,
            state=JournalState.PENDING,
            created_at=now,
            updated_at=now,
            claim="c",
        )
    )
    await journal.update(reference, state=JournalState.SENT, claim="c")
