"""Entity and device snapshots for each kind: only what a kind can fill is created.

The registries' snapshot format is Home Assistant's and changes between its releases
(2026.x, for one, stores aliases as a list and devices with one config entry), so each
release line tested keeps its own snapshots, in ``snapshots_by_release/<year>.<month>/``; the
other snapshots of the suite are shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from .conftest import setup_entry, terminal_device

# "Sales today" reports the local midnight it counts from: a fixed day keeps it stable.
pytestmark = pytest.mark.freeze_time("2026-01-02 12:00:00+00:00", tick=True)


class ReleaseSnapshotExtension(HomeAssistantSnapshotExtension):  # type: ignore[misc]
    """Home Assistant's snapshot format, in a folder of the running release line."""

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        """Return ``snapshots_by_release/<year>.<month>`` beside the test module."""
        release = f"{MAJOR_VERSION}.{MINOR_VERSION}"
        return str(Path(test_location.filepath).parent / "snapshots_by_release" / release)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Registry snapshots of the running Home Assistant release line."""
    return snapshot.use_extension(ReleaseSnapshotExtension)


async def _snapshot(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    platform: Platform,
    *,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.kinetic.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    device = terminal_device(hass, entry)
    assert device == snapshot(name="device")


@pytest.mark.usefixtures("enable_all_entities")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_kinetic_go(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    go_entry: MockConfigEntry,
    platform: Platform,
) -> None:
    """Kinetic Go 2: state, screen, last transaction, battery, both binary sensors."""
    await _snapshot(
        hass,
        go_entry,
        platform,
        entity_registry=entity_registry,
        device_registry=device_registry,
        snapshot=snapshot,
    )


@pytest.mark.usefixtures("enable_all_entities")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_device_service(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    ds_entry: MockConfigEntry,
    platform: Platform,
) -> None:
    """DeviceService: state, status text and the offline store."""
    await _snapshot(
        hass,
        ds_entry,
        platform,
        entity_registry=entity_registry,
        device_registry=device_registry,
        snapshot=snapshot,
    )


@pytest.mark.usefixtures("enable_all_entities")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_payment_engine(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    pe_entry: MockConfigEntry,
    platform: Platform,
) -> None:
    """Payment Engine: state and device status."""
    await _snapshot(
        hass,
        pe_entry,
        platform,
        entity_registry=entity_registry,
        device_registry=device_registry,
        snapshot=snapshot,
    )
