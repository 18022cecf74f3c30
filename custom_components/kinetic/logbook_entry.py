"""The logbook entry of each final transaction, in plain words.

"Table 12: £18.00 sale approved on Kinetic Go 2 KG2SIM0001, started by anna": the
entry's name is the table (else the reference), its message the rest, in the logbook's
own style (a lower-case phrase after the name, no full stop, in English like Home
Assistant's own entries). It is attached to the terminal's transaction event entity and
fired with the call's context, so the logbook also shows the user or the automation.

Written once per final record, when its final outcome is announced (the journal notes
that it was); an unknown outcome gets its entry when it becomes final. A
``logbook.py`` platform describing ``kinetic_transaction_completed`` would instead give
an entry for every announcement, unknown outcomes included. The ``logbook_entry`` event is
fired directly, as ``logbook.async_log_entry`` does: importing the logbook integration
would make it (and the recorder and frontend) a dependency of ours.

The privileged actions that start no transaction of ours (cancel, sending offline
transactions, the repair's release) have no journal record to say who did it: each
writes one INFO log line and one logbook entry naming who instead
(:func:`async_log_action`), without secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .audit import STARTED_BY_TEXT, Caller, started_by_text
from .const import DOMAIN, LOGGER

#: Symbols of the usual currencies; any other is written after the amount by its code.
CURRENCY_SYMBOLS = {
    "GBP": "£",
    "EUR": "€",
    "USD": "$",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "CHF": "CHF ",
    "INR": "₹",
}
#: Results in words where the plain value reads badly.
RESULT_WORDS = {"error": "failed", "timeout": "timed out", "void": "voided"}


def money_text(amount: str | None, currency: str | None) -> str | None:
    """Return an amount with its currency: "£18.00", "18.00 SEK", or "18.00" alone."""
    if amount is None:
        return None
    if not currency:
        return amount
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def logbook_line(data: Mapping[str, Any], currency: str | None) -> tuple[str, str]:
    """Return the entry's name and message for a transaction's announcement data."""
    name = f"Table {data['table']}" if data.get("table") else str(data["reference"])
    kind = str(data["type"])
    money = money_text(data.get("total") or data.get("amount"), currency)
    what = f"{money} {kind}" if money else kind
    tip = data.get("tip")
    if money and tip and tip.strip("0.") and data.get("total"):
        what += f" (tip {money_text(tip, currency)})"
    result = RESULT_WORDS.get(str(data["result"]), str(data["result"]))
    message = f"{what} {result} on {data['terminal']}, started by {data[STARTED_BY_TEXT]}"
    return name, message


def _transaction_entity_id(hass: HomeAssistant, entry: ConfigEntry | None) -> str | None:
    """Return the entity id of a terminal's *Transaction* event entity, if it has one."""
    if entry is None:
        return None
    unique_id = entry.unique_id or entry.entry_id
    return er.async_get(hass).async_get_entity_id("event", DOMAIN, f"{unique_id}_transaction")


@callback
def _async_fire(
    hass: HomeAssistant,
    entry: ConfigEntry | None,
    name: str,
    message: str,
    context: Context | None,
) -> None:
    entry_data = {"name": name, "message": message, "domain": DOMAIN}
    if (entity_id := _transaction_entity_id(hass, entry)) is not None:
        entry_data["entity_id"] = entity_id
    hass.bus.async_fire(EVENT_LOGBOOK_ENTRY, entry_data, context=context)


@callback
def async_log_transaction(
    hass: HomeAssistant, data: Mapping[str, Any], currency: str | None, context: Context | None
) -> None:
    """Write the logbook entry of a final transaction (its announcement's data)."""
    name, message = logbook_line(data, currency)
    entry = hass.config_entries.async_get_entry(str(data["config_entry_id"]))
    _async_fire(hass, entry, name, message, context)


@callback
def async_log_action(
    hass: HomeAssistant,
    entry: ConfigEntry | None,
    *,
    name: str,
    done: str,
    who: str,
    context: Context | None,
) -> None:
    """Log at INFO and in the logbook that ``who`` did a privileged action.

    ``name`` is what it was done to (a reference, or the terminal), ``done`` the phrase
    after it ("offline transactions sent"); the entry reads "<name> <done> by <who>".
    """
    LOGGER.info("%s: %s by %s", name, done, who)
    _async_fire(hass, entry, name, f"{done} by {who}", context)


@callback
def async_log_offline_sent(hass: HomeAssistant, entry: ConfigEntry, caller: Caller) -> None:
    """Say who sent a terminal's offline transactions (the action and the button)."""
    async_log_action(
        hass,
        entry,
        name=entry.title,
        done="offline transactions sent",
        who=started_by_text(caller.started_by),
        context=caller.context,
    )
