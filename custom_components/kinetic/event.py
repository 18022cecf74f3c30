"""The transaction event entity: one per terminal, fired when a transaction ends."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from kinetic_integration import TransactionResult

from .coordinator import KineticCoordinator
from .data import KineticConfigEntry
from .entity import KineticTransactionEntity

PARALLEL_UPDATES = 0

#: What the entity carries of each transaction (the bus event has the rest).
EVENT_ATTRIBUTES = (
    "reference",
    "type",
    "amount",
    "tip",
    "table",
    "order_id",
    "masked_pan",
    "signature_required",
    "is_deferred_auth",
    # Who started it (audit.py): the dict, and in plain words.
    "started_by",
    "started_by_text",
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KineticConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the transaction event entity."""
    async_add_entities([KineticTransactionEvent(entry.runtime_data.coordinator)])


class KineticTransactionEvent(KineticTransactionEntity, EventEntity):
    """Fires with the result of every transaction of this terminal."""

    _attr_translation_key = "transaction"

    def __init__(self, coordinator: KineticCoordinator) -> None:
        """Attach to the terminal's device."""
        super().__init__(coordinator, "transaction")
        self._attr_event_types = [result.value for result in TransactionResult]

    @callback
    def _async_transaction(self, data: dict[str, Any]) -> None:
        self._trigger_event(data["result"], {key: data.get(key) for key in EVENT_ATTRIBUTES})
        self.async_write_ha_state()
