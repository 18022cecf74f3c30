"""The base entity: one device per terminal."""

from __future__ import annotations

from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from kinetic_integration import kind_facts

from .const import DOMAIN
from .coordinator import KineticCoordinator
from .outcome import transaction_signal


class KineticEntity(CoordinatorEntity[KineticCoordinator]):
    """An entity of one payment terminal."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: KineticCoordinator, key: str) -> None:
        """Name the entity after its terminal's unique id and attach the device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        unique_id = entry.unique_id or entry.entry_id
        status = coordinator.data.status
        facts = kind_facts(coordinator.terminal.kind)
        self._attr_unique_id = f"{unique_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, unique_id)},
            manufacturer=status.manufacturer or facts.manufacturer,
            model=status.model or facts.model,
            # The kind's model name, whatever the terminal reports as its model: the
            # actions' device pickers offer only the kinds that can do the action by it.
            model_id=facts.model,
            name=entry.title,
            serial_number=status.serial,
        )


class KineticTransactionEntity(KineticEntity):
    """An entity fed by this entry's finished transactions, Home Assistant's own record.

    Available whether or not the terminal answers: what it shows comes from the journal
    and the integration's announcements, not from a poll.
    """

    @property
    def available(self) -> bool:
        """Always: the figures are Home Assistant's own."""
        return True

    async def async_added_to_hass(self) -> None:
        """Listen for this entry's finished transactions."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                transaction_signal(self.coordinator.config_entry.entry_id),
                self._async_transaction,
            )
        )

    @callback
    def _async_transaction(self, data: dict[str, Any]) -> None:
        """Take one finished transaction (the announcement's data)."""
        raise NotImplementedError
