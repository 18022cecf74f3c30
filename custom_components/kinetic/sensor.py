"""Sensors of a payment terminal: state, screen, offline store, last transaction, battery.

Plus "sales today", summed from the integration's journal rather than asked of the
terminal: every kind has a journal, it survives restarts, and it knows which
outcomes are confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from kinetic_integration import (
    Capability,
    JournalRecord,
    JournalState,
    TransactionResult,
)

from .coordinator import KineticCoordinator, KineticData
from .data import KineticConfigEntry
from .entity import KineticEntity, KineticTransactionEntity
from .journal import HomeAssistantJournal
from .money import net_moved
from .outcome import outcome_flags
from .state import TerminalState, terminal_state

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class KineticSensorEntityDescription(SensorEntityDescription):
    """How one sensor reads the coordinator's data, and which terminals have it."""

    value_fn: Callable[[KineticData], StateType | datetime | Decimal]
    exists_fn: Callable[[KineticCoordinator], bool] = lambda _: True
    #: Keeps its last known value while the terminal cannot be reached (what it shows is
    #: a past transaction, which a lost terminal does not change).
    available_offline: bool = False
    attributes_fn: Callable[[KineticData], dict[str, Any] | None] | None = None


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
        # Our own transaction on its way to the terminal: busy before the terminal says so.
        value_fn=lambda data: (
            (TerminalState.BUSY if data.awaiting_terminal else terminal_state(data.status)).value
        ),
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
        available_offline=True,
        device_class=SensorDeviceClass.ENUM,
        options=[result.value for result in TransactionResult],
        value_fn=lambda data: (
            data.last_transaction.result.value if data.last_transaction is not None else None
        ),
        exists_fn=_supports(Capability.LATEST_TRANSACTION),
        # What the merchant must act on: a signature to check, a reversal, a deferral.
        attributes_fn=lambda data: (
            outcome_flags(data.last_transaction) if data.last_transaction is not None else None
        ),
    ),
    KineticSensorEntityDescription(
        key="last_transaction_amount",
        translation_key="last_transaction_amount",
        available_offline=True,
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=_last_amount,
        exists_fn=_supports(Capability.LATEST_TRANSACTION),
    ),
    KineticSensorEntityDescription(
        key="last_transaction_time",
        translation_key="last_transaction_time",
        available_offline=True,
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
    coordinator = entry.runtime_data.coordinator
    entities: list[SensorEntity] = [
        KineticSensorEntity(coordinator, description)
        for description in SENSORS
        if description.exists_fn(coordinator)
    ]
    # Every kind takes sales, and every sale goes through the journal.
    entities.append(KineticSalesTodaySensor(coordinator, entry.runtime_data.payments.journal))
    async_add_entities(entities)


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
    def available(self) -> bool:
        """Unavailable with the terminal, unless it shows the last known transaction."""
        if self.entity_description.available_offline:
            return self.coordinator.data is not None
        return super().available

    @property
    def native_value(self) -> StateType | datetime | Decimal:
        """Return the value read from the last poll."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes this sensor adds (the last outcome's flags)."""
        attributes_fn = self.entity_description.attributes_fn
        return attributes_fn(self.coordinator.data) if attributes_fn is not None else None


def sales_today(
    records: Iterable[JournalRecord],
    details: Callable[[str], Mapping[str, Any]],
    *,
    terminal: str,
    since: datetime,
    running: Collection[str] = (),
) -> tuple[Decimal, int]:
    """Return the net sales of one terminal since ``since``, and how many were left out.

    Counted are transactions with a confirmed approval (journal state ``final``) that
    were finished (last written) at or after ``since``, by the one rule of
    :mod:`.money` (the export's too): a sale adds what it moved plus its tip (cashback
    is cash handed out, not a sale), a refund subtracts its amount, and a reversal
    negates what its original counted (a voided refund adds its amount back).
    Declined, cancelled and failed transactions moved no money. Transactions whose
    outcome is not confirmed (unknown, still open, or abandoned after a check by hand)
    are not counted; the second number says how many of those there are since
    ``since``, leaving out those in ``running``: transactions running right now, whose
    outcome is on its way rather than unknown.
    """
    mine = [record for record in records if record.terminal == terminal]
    by_reference = {record.reference: record for record in mine}
    total = Decimal(0)
    unconfirmed = 0
    for record in mine:
        if record.updated_at < since or record.state is JournalState.NOT_SENT:
            continue
        if record.state is not JournalState.FINAL:
            unconfirmed += record.reference not in running
            continue
        kept = details(record.reference)
        voided = by_reference.get(str(kept.get("original_id")))
        original = (voided, details(voided.reference)) if voided is not None else None
        total += net_moved(record, kept, original)
    return total, unconfirmed


class KineticSalesTodaySensor(KineticTransactionEntity, SensorEntity):
    """Net card sales of one terminal today (Home Assistant's time zone), from the journal.

    Recomputed when one of its transactions finishes, on every poll and at local
    midnight, when it starts again from zero. Available whether or not the terminal
    answers: the figure is Home Assistant's own.
    """

    _attr_translation_key = "sales_today"
    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL
    _attr_suggested_display_precision = 2

    def __init__(self, coordinator: KineticCoordinator, journal: HomeAssistantJournal) -> None:
        """Attach to the terminal; money is in Home Assistant's currency."""
        super().__init__(coordinator, "sales_today")
        self._journal = journal
        self._attr_native_unit_of_measurement = coordinator.hass.config.currency
        self._recompute()

    async def async_added_to_hass(self) -> None:
        """Listen for this entry's finished transactions and for midnight."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_time_change(self.hass, self._async_new_day, hour=0, minute=0, second=0)
        )

    def _recompute(self) -> None:
        journal = self._journal
        start = dt_util.start_of_local_day()
        total, unconfirmed = sales_today(
            journal.records(),
            journal.details,
            # Resolved during setup, before the platforms: the journal's key.
            terminal=self.coordinator.terminal.identity,
            since=start,
            running=self.coordinator.running,
        )
        self._attr_native_value = total
        self._attr_last_reset = start
        self._attr_extra_state_attributes = {"unconfirmed": unconfirmed}

    @callback
    def _async_transaction(self, _data: Mapping[str, Any]) -> None:
        self._recompute()
        self.async_write_ha_state()

    @callback
    def _async_new_day(self, _now: datetime) -> None:
        self._recompute()
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._recompute()
        super()._handle_coordinator_update()
