"""Sensors of a payment terminal: state, screen, offline store, last transaction, battery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from kinetic_integration.models.common import TransactionResult
from kinetic_integration.terminal import Capability

from .coordinator import KineticConfigEntry, KineticCoordinator, KineticData
from .entity import KineticEntity
from .state import TerminalState, terminal_state

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class KineticSensorEntityDescription(SensorEntityDescription):
    """How one sensor reads the coordinator's data, and which terminals have it."""

    value_fn: Callable[[KineticData], StateType | datetime | Decimal]
    exists_fn: Callable[[KineticCoordinator], bool] = lambda _: True


def _last_amount(data: KineticData) -> Decimal | None:
    txn = data.last_transaction
    if txn is None:
        return None
    return txn.total if txn.total is not None else txn.amount


def _last_time(data: KineticData) -> datetime | None:
    txn = data.last_transaction
    if txn is None:
        return None
    return txn.ended_at or txn.started_at


def _supports(capability: Capability) -> Callable[[KineticCoordinator], bool]:
    return lambda coordinator: coordinator.terminal.supports(capability)


SENSORS: tuple[KineticSensorEntityDescription, ...] = (
    KineticSensorEntityDescription(
        key="state",
        translation_key="state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in TerminalState],
        value_fn=lambda data: terminal_state(data.status).value,
    ),
    KineticSensorEntityDescription(
        key="screen",
        translation_key="screen",
        value_fn=lambda data: data.status.screen,
        exists_fn=_supports(Capability.SCREEN),
    ),
    KineticSensorEntityDescription(
        key="offline_transactions",
        translation_key="offline_transactions",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.status.offline_count,
        exists_fn=_supports(Capability.OFFLINE_TRANSACTIONS),
    ),
    KineticSensorEntityDescription(
        key="stored_records",
        translation_key="stored_records",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.status.stored_records,
        exists_fn=_supports(Capability.OFFLINE_TRANSACTIONS),
    ),
    KineticSensorEntityDescription(
        key="last_transaction_result",
        translation_key="last_transaction_result",
        device_class=SensorDeviceClass.ENUM,
        options=[result.value for result in TransactionResult],
        value_fn=lambda data: (
            data.last_transaction.result.value if data.last_transaction is not None else None
        ),
        exists_fn=_supports(Capability.LATEST_TRANSACTION),
    ),
    KineticSensorEntityDescription(
        key="last_transaction_amount",
        translation_key="last_transaction_amount",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=_last_amount,
        exists_fn=_supports(Capability.LATEST_TRANSACTION),
    ),
    KineticSensorEntityDescription(
        key="last_transaction_time",
        translation_key="last_transaction_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_last_time,
        exists_fn=_supports(Capability.LATEST_TRANSACTION),
    ),
    KineticSensorEntityDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda data: data.battery.percentage if data.battery is not None else None,
        # Announcements are matched to a terminal by its serial.
        exists_fn=_supports(Capability.SERIAL),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KineticConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors this kind of terminal can fill."""
    coordinator = entry.runtime_data
    async_add_entities(
        KineticSensorEntity(coordinator, description)
        for description in SENSORS
        if description.exists_fn(coordinator)
    )


class KineticSensorEntity(KineticEntity, SensorEntity):
    """A sensor of a payment terminal."""

    entity_description: KineticSensorEntityDescription

    def __init__(
        self, coordinator: KineticCoordinator, description: KineticSensorEntityDescription
    ) -> None:
        """Attach the description; money is in Home Assistant's currency."""
        super().__init__(coordinator, description.key)
        self.entity_description = description
        if description.device_class is SensorDeviceClass.MONETARY:
            self._attr_native_unit_of_measurement = coordinator.hass.config.currency

    @property
    def native_value(self) -> StateType | datetime | Decimal:
        """Return the value read from the last poll."""
        return self.entity_description.value_fn(self.coordinator.data)
