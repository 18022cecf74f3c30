"""Diagnostics: the entry and the last poll, with credentials and card data redacted."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from kinetic_integration import Capability, KineticError, Terminal

from .const import CONF_API_KEY, CONF_PIN
from .data import DATA_JOURNAL, KineticConfigEntry

TO_REDACT = {
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_PIN,
    CONF_USERNAME,
    # Card data: even masked numbers and authorisation codes stay out of bug reports.
    "auth_code",
    "card_network",
    "entry_mode",
    "masked_pan",
}

#: The merchant's account with its acquirer, and where its host lives.
SETTINGS_TO_REDACT = {"merchant_id", "terminal_id", "host_address"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: KineticConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    journal = hass.data[DATA_JOURNAL]
    identity = coordinator.terminal.identity
    records = [
        {
            **_plain(dataclasses.asdict(record)),
            "claim": None,
            "details": journal.details(record.reference),
        }
        for record in journal.records()
        if record.terminal == identity
    ]
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "capabilities": sorted(coordinator.terminal.capabilities),
        "last_update_success": coordinator.last_update_success,
        "data": async_redact_data(_plain(dataclasses.asdict(coordinator.data)), TO_REDACT),
        "journal": async_redact_data(records, TO_REDACT),
        "settings": await _settings(coordinator.terminal),
    }


async def _settings(terminal: Terminal) -> dict[str, Any] | None:
    """Return the terminal's own settings, the merchant's ids and host address redacted."""
    if not terminal.supports(Capability.SETTINGS):
        return None
    try:
        settings = await terminal.settings()
    except KineticError as err:
        return {"error": err.code}
    redacted: dict[str, Any] = async_redact_data(
        _plain(dataclasses.asdict(settings)), SETTINGS_TO_REDACT
    )
    return redacted


def _plain(value: Any) -> Any:
    """Make the poll's dataclasses JSON-ready (money stays exact, as a string)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (Decimal, datetime)):
        return str(value)
    return value
