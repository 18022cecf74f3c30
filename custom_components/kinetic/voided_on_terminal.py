"""Whether a sale was voided on its terminal itself, where the journal cannot see it.

A void made on the terminal's own screen never passes through Home Assistant: the
journal still holds the sale as approved, and a refund of it would return its money a
second time. A terminal that keeps its own transaction database (the Kinetic Go) says
in a look-up whether a transaction has since been reversed; the refund rules ask it
before a refund that names the sale. The other kinds cannot tell (README, Security).
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from kinetic_integration import Capability, JournalRecord, KineticError

from .const import DOMAIN, LOGGER
from .data import KineticConfigEntry
from .refusal import REFUSALS


async def async_voided_on_terminal(hass: HomeAssistant, sale: JournalRecord) -> bool:
    """Return whether the sale's terminal says it was reversed since (False: cannot tell).

    Raises a translated error when the terminal could say but cannot be asked now: the
    refund waits rather than risk returning money twice.
    """
    entries: list[KineticConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.state is not ConfigEntryState.LOADED:
            continue
        terminal = entry.runtime_data.payments.terminal
        if terminal.identity != sale.terminal:
            continue
        # Only a terminal with its own transaction database sees voids made on it.
        if not terminal.supports(Capability.TRANSACTION_HISTORY):
            return False
        try:
            txn = await terminal.transaction(sale.reference, terminal_id=sale.terminal_id)
        except REFUSALS as err:
            # Gone from the terminal's database (it keeps a limited number): cannot tell.
            LOGGER.debug("Could not look %s up on its terminal: %s", sale.reference, err.code)
            return False
        except KineticError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="refund_original_unchecked",
                translation_placeholders={
                    "reference": sale.reference,
                    "terminal": entry.title,
                    "error": err.message or err.code,
                },
            ) from err
        return bool(txn.is_reversed)
    return False
