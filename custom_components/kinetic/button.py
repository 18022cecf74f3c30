"""Dashboard buttons: send offline transactions, reconcile, print the last receipt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from kinetic_integration import Capability, KineticError, ReceiptCopy, TransactionType

from .audit import Caller, async_caller
from .authorization import Privilege, async_authorize
from .const import DOMAIN
from .coordinator import KineticCoordinator
from .data import KineticConfigEntry
from .entity import KineticEntity
from .logbook_entry import async_log_offline_sent
from .payments import KineticPayments

# Each press is one call; the terminal serialises them anyway.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class KineticButtonEntityDescription(ButtonEntityDescription):
    """What a button does and which terminals have it."""

    capability: Capability
    press_fn: Callable[[KineticPayments, Caller], Awaitable[None]]
    #: Who may press it: administrators and managers only (None: everyone).
    privilege: Privilege | None = None


async def _send_offline(payments: KineticPayments, caller: Caller) -> None:
    await payments.terminal.send_offline()
    async_log_offline_sent(payments.hass, payments.entry, caller)


async def _reconcile(payments: KineticPayments, caller: Caller) -> None:
    # Journaled like every transaction; the outcome arrives as an event.
    operation = payments.terminal.prepare(TransactionType.RECONCILIATION)
    await payments.async_start(operation, {}, wait=False, caller=caller)


async def _print_last_receipt(payments: KineticPayments, _caller: Caller) -> None:
    terminal = payments.terminal
    latest = await terminal.latest_transaction()
    if latest is None:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_transaction")
    await terminal.print_receipt(latest.reference, ReceiptCopy.MERCHANT)


BUTTONS: tuple[KineticButtonEntityDescription, ...] = (
    KineticButtonEntityDescription(
        key="send_offline_transactions",
        translation_key="send_offline_transactions",
        capability=Capability.OFFLINE_TRANSACTIONS,
        press_fn=_send_offline,
        privilege=Privilege.SEND_OFFLINE,
    ),
    KineticButtonEntityDescription(
        key="reconcile",
        translation_key="reconcile",
        capability=Capability.RECONCILIATION,
        press_fn=_reconcile,
        privilege=Privilege.RECONCILE,
    ),
    KineticButtonEntityDescription(
        key="print_last_receipt",
        translation_key="print_last_receipt",
        capability=Capability.RECEIPTS,
        press_fn=_print_last_receipt,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KineticConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons this kind of terminal can act on."""
    coordinator = entry.runtime_data.coordinator
    payments = entry.runtime_data.payments
    async_add_entities(
        KineticButton(coordinator, payments, description)
        for description in BUTTONS
        if coordinator.terminal.supports(description.capability)
    )


class KineticButton(KineticEntity, ButtonEntity):
    """A button of a payment terminal."""

    entity_description: KineticButtonEntityDescription

    def __init__(
        self,
        coordinator: KineticCoordinator,
        payments: KineticPayments,
        description: KineticButtonEntityDescription,
    ) -> None:
        """Attach the description and the payments a press goes through."""
        super().__init__(coordinator, description.key)
        self.entity_description = description
        self._payments = payments

    async def async_press(self) -> None:
        """Do it if the pressing user may; a refusal is a translated error."""
        # The press's context (Home Assistant sets it before pressing) names the user.
        privilege = self.entity_description.privilege
        if privilege is None:
            caller = await async_caller(self.hass, self._context)
        else:
            caller = await async_authorize(
                self.hass, self._context, self._payments.entry, privilege
            )
        try:
            await self.entity_description.press_fn(self._payments, caller)
        except KineticError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"error": err.message or err.code},
            ) from err
