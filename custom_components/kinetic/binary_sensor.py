"""Binary sensors of a payment terminal: connectivity and a running transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import KineticCoordinator, KineticData
from .data import KineticConfigEntry
from .entity import KineticEntity

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class KineticBinarySensorEntityDescription(BinarySensorEntityDescription):
    """How one binary sensor reads the coordinator's data."""

    is_on_fn: Callable[[KineticData], bool]


TRANSACTION_IN_PROGRESS = KineticBinarySensorEntityDescription(
    key="transaction_in_progress",
    translation_key="transaction_in_progress",
    device_class=BinarySensorDeviceClass.RUNNING,
    is_on_fn=lambda data: data.status.busy,
)
CONNECTED = KineticBinarySensorEntityDescription(
    key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda data: data.status.online,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KineticConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors (every kind has both)."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [
            KineticBinarySensorEntity(coordinator, TRANSACTION_IN_PROGRESS),
            KineticConnectivityEntity(coordinator, CONNECTED),
        ]
    )


class KineticBinarySensorEntity(KineticEntity, BinarySensorEntity):
    """A binary sensor of a payment terminal."""

    entity_description: KineticBinarySensorEntityDescription

    def __init__(
        self, coordinator: KineticCoordinator, description: KineticBinarySensorEntityDescription
    ) -> None:
        """Attach the description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool:
        """Return the value read from the last poll."""
        return self.entity_description.is_on_fn(self.coordinator.data)


class KineticConnectivityEntity(KineticBinarySensorEntity):
    """Connectivity stays available: "off" is its answer when the terminal is lost."""

    @property
    def available(self) -> bool:
        """Always available."""
        return True

    @property
    def is_on(self) -> bool:
        """Connected when the last poll worked and the terminal says it is online."""
        return self.coordinator.last_update_success and super().is_on
