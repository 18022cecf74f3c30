"""The journal's former home, one ``Store`` file, read once into SQLite at first start.

Up to this release every record lived in ``.storage/kinetic.journal``, rewritten whole on
every change. The first start with the SQLite journal copies its records over (a record
SQLite already has changed later is kept), then renames the file to
``kinetic.journal.migrated``: a backup that no start reads again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from kinetic_integration import (
    JournalRecord,
    JournalState,
    SqliteJournal,
    TransactionResult,
    TransactionType,
)

from .const import DOMAIN, LOGGER

LEGACY_KEY = f"{DOMAIN}.journal"
LEGACY_VERSION = 1
BACKUP_SUFFIX = ".migrated"


def record_from_json(data: Mapping[str, Any]) -> JournalRecord:
    """Read one record as the Store journal wrote it."""
    return JournalRecord(
        reference=data["reference"],
        terminal=data["terminal"],
        type=TransactionType(data["type"]),
        amount=data["amount"],
        state=JournalState(data["state"]),
        result=TransactionResult(data["result"]) if data["result"] else None,
        terminal_id=data["terminal_id"],
        message=data["message"],
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        claim=data["claim"],
        answered_error=data.get("answered_error"),
    )


def _keep_backup(path: Path) -> None:
    if path.exists():
        os.replace(path, path.with_name(path.name + BACKUP_SUFFIX))


async def async_migrate(hass: HomeAssistant, journal: SqliteJournal) -> int:
    """Copy the Store journal's records into ``journal`` once; return how many.

    The copy is committed before the file is renamed, so a stop in between only means
    the next start copies the same records again (changing nothing).
    """
    store: Store[dict[str, Any]] = Store(
        hass, LEGACY_VERSION, LEGACY_KEY, private=True, atomic_writes=True
    )
    data = await store.async_load()
    if data is None:
        return 0
    items = [
        (record_from_json(item), dict(item.get("details") or {}))
        for item in data.get("records", [])
    ]
    copied = await journal.merge(items)
    await hass.async_add_executor_job(_keep_backup, Path(store.path))
    # Gone from Home Assistant's storage (the renamed file is the backup).
    await store.async_remove()
    LOGGER.info("Moved %d journal records from %s into %s", copied, store.path, journal.path)
    return copied
