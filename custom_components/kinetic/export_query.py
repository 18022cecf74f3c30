"""What the end-of-day export reads: its fields, its range, the journal.

The action and the CSV download share all of it: the same fields (start and end as
dates or times in Home Assistant's time zone, terminals, types, results), the same rows
and totals. Who may ask is authorization.py's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from kinetic_integration import (
    JournalError,
    JournalRecord,
    TransactionResult,
    TransactionType,
)

from .const import DOMAIN
from .data import DATA_JOURNAL, KineticConfigEntry
from .export_rows import export_row, export_totals
from .journal import HomeAssistantJournal
from .refusal import ActionRefused

ATTR_START = "start"
ATTR_END = "end"
ATTR_TYPE = "type"
ATTR_RESULT = "result"


def _day_or_moment(value: Any) -> date | datetime:
    """Read a date, or a date and time (without a zone: Home Assistant's)."""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value.strip()) > 10):
        return cv.datetime(value)
    day: date = cv.date(value)
    return day


EXPORT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_START): _day_or_moment,
        vol.Optional(ATTR_END): _day_or_moment,
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_TYPE): vol.All(
            cv.ensure_list, [vol.In([type_.value for type_ in TransactionType])]
        ),
        vol.Optional(ATTR_RESULT): vol.All(
            cv.ensure_list, [vol.In([result.value for result in TransactionResult])]
        ),
    }
)


def _start_of(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return dt_util.as_utc(value)
    return dt_util.as_utc(dt_util.start_of_local_day(value))


def _end_of(value: date | datetime) -> datetime:
    # A date is its whole day: the range ends where the next day starts.
    if isinstance(value, datetime):
        return dt_util.as_utc(value)
    return dt_util.as_utc(dt_util.start_of_local_day(value + timedelta(days=1)))


def export_range(data: dict[str, Any]) -> tuple[datetime, datetime]:
    """Return the range [start, end) asked for: today unless told; end's day if only end."""
    end = data.get(ATTR_END, dt_util.now().date())
    # The day of a time given in another zone is its day here.
    start = data.get(ATTR_START, dt_util.as_local(end).date() if isinstance(end, datetime) else end)
    first, last = _start_of(start), _end_of(end)
    if last <= first:
        raise ActionRefused(
            translation_key="export_invalid_range",
            translation_placeholders={
                "start": dt_util.as_local(first).isoformat(),
                "end": dt_util.as_local(last).isoformat(),
            },
        )
    return first, last


def _entries(hass: HomeAssistant, device_ids: Collection[str]) -> list[KineticConfigEntry]:
    """Return the entries of these terminals' devices (loaded or not), or refuse."""
    registry = dr.async_get(hass)
    entries: list[KineticConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    owners = {
        device.id: entry
        for entry in entries
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
    }
    for device_id in device_ids:
        if device_id not in owners:
            raise ActionRefused(
                translation_key="device_not_found",
                translation_placeholders={"device_id": device_id},
            )
    return list(
        {owners[device_id].entry_id: owners[device_id] for device_id in device_ids}.values()
    )


def _identities(entries: Collection[KineticConfigEntry]) -> dict[str, str]:
    """Return the journal's name of each loaded terminal and its entry's title."""
    return {
        entry.runtime_data.payments.terminal.identity: entry.title
        for entry in entries
        if entry.state is ConfigEntryState.LOADED
    }


Details = dict[str, Any]
Found = list[tuple[JournalRecord, Details]]


async def _async_read(
    journal: HomeAssistantJournal,
    start: datetime,
    end: datetime,
    chosen: list[KineticConfigEntry] | None,
) -> tuple[Found, dict[str, tuple[JournalRecord, Details]]]:
    """Return the records of the range (of the chosen terminals), and the sales voided."""
    terminals = None
    if chosen is not None and all(entry.state is ConfigEntryState.LOADED for entry in chosen):
        # Each terminal's identity is known: the journal filters them itself.
        terminals = list(_identities(chosen))
    found = await journal.database.created_between(start, end, terminals=terminals)
    if chosen is not None and terminals is None:
        # A terminal not loaded: its records are known by their entry.
        entry_ids = {entry.entry_id for entry in chosen}
        wanted = set(_identities(chosen))
        found = [
            (record, details)
            for record, details in found
            if record.terminal in wanted or details.get("entry_id") in entry_ids
        ]
    # What a reversal voided, where the terminal did not say: its original's total.
    known = {record.reference: (record, details) for record, details in found}
    voided = {
        str(details["original_id"])
        for record, details in found
        if record.type is TransactionType.REVERSAL and details.get("original_id")
    }
    if missing := voided - set(known):
        for record, details in await journal.database.records(missing):
            known[record.reference] = (record, details)
    return found, known


async def async_export(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    """Return the journal's records created in the range asked for, with totals."""
    start, end = export_range(data)
    every: list[KineticConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    titles = {entry.entry_id: entry.title for entry in every}
    names = _identities(every)
    chosen = _entries(hass, data[ATTR_DEVICE_ID]) if ATTR_DEVICE_ID in data else None
    try:
        found, known = await _async_read(hass.data[DATA_JOURNAL], start, end, chosen)
    except JournalError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"error": err.message or err.code},
        ) from err
    types = set(data.get(ATTR_TYPE, ()))
    results = set(data.get(ATTR_RESULT, ()))
    rows: list[tuple[dict[str, Any], Decimal]] = []
    for record, details in found:
        original = known.get(str(details.get("original_id")))
        title = titles.get(str(details.get("entry_id"))) or names.get(record.terminal)
        row, net = export_row(
            record,
            details,
            terminal=title or record.terminal,
            currency=hass.config.currency,
            original=original,
        )
        if (not types or row["type"] in types) and (not results or row["result"] in results):
            rows.append((row, net))
    return {
        "start": dt_util.as_local(start).isoformat(),
        "end": dt_util.as_local(end).isoformat(),
        "time_zone": hass.config.time_zone,
        "currency": hass.config.currency,
        "count": len(rows),
        "transactions": [row for row, _net in rows],
        "totals": export_totals(rows),
    }
