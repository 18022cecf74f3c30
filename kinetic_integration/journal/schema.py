"""The journal's table: its schema, its columns and the conversion of a row.

Kept apart from the store so that ``sqlite.py`` reads as the rules it enforces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..models.common import TransactionResult, TransactionType
from .record import JournalRecord, JournalState

#: The details key of the number a terminal shows for a transaction (``find`` reads it).
TERMINAL_NUMBER = "terminal_number"
#: Details as stored: a JSON object of the caller's own.
Details = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    reference TEXT PRIMARY KEY,
    terminal TEXT NOT NULL,
    type TEXT NOT NULL,
    amount TEXT,
    state TEXT NOT NULL,
    result TEXT,
    terminal_id TEXT,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    claim TEXT,
    answered_error TEXT,
    details TEXT
);
-- Only the unresolved records: tiny, and changed only when a record opens or closes.
CREATE INDEX IF NOT EXISTS intents_unresolved ON intents (terminal)
    WHERE state IN ('pending', 'sent');
-- Written once per record (created_at never changes).
CREATE INDEX IF NOT EXISTS intents_by_creation ON intents (created_at);
-- The prune's look-up of the record a refund or a reversal names by the terminal's id
-- (names_none_kept; by the number it shows: ALWAYS_INDEXED, once details exist).
CREATE INDEX IF NOT EXISTS intents_by_terminal_id ON intents (terminal, terminal_id)
    WHERE terminal_id IS NOT NULL;
-- Superseded by intents_unresolved (it was rewritten on every change of state).
DROP INDEX IF EXISTS intents_by_terminal;
"""
#: Columns added since the first journals were written (ALTERed in on opening).
ADDED_COLUMNS = ("claim", "answered_error", "details")
COLUMNS = (
    "reference, terminal, type, amount, state, result, terminal_id, message, created_at, "
    "updated_at, claim, answered_error, details"
)
SELECT = f"SELECT {COLUMNS} FROM intents"  # noqa: S608 - constant
#: Written out (not bound) so that SQLite answers it from the partial index.
UNRESOLVED = "state IN ('pending', 'sent')"
#: Records created in a range (answered from the creation index, the range only).
CREATED_IN_RANGE = "created_at >= ? AND created_at < ?"


def assignment(column: str) -> str:
    """Return the ``SET`` clause of one column a change writes.

    Details are merged into those kept (a JSON merge patch), not replaced, in the same
    statement as the rest of the change.
    """
    if column == "details":
        return "details = json_patch(COALESCE(details, '{}'), ?)"
    return f"{column} = ?"


def stored_time(moment: datetime) -> str:
    """Return a time as the table stores them (UTC, ISO 8601), so that text compares."""
    return moment.astimezone(UTC).isoformat()


def detail_value(key: str) -> str:
    """Return the expression of one detail's value (``key`` checked as an identifier).

    The same text in the index and in the query, so that SQLite matches the two.
    """
    if not key.isidentifier():
        raise ValueError(f"Detail keys must be identifiers: {key!r}")
    return f"json_extract(details, '$.{key}')"


def names_none_kept(key: str) -> str:
    """Return the condition of a row of ``intents``: its detail ``key`` names no record.

    Named as ``find`` names them: by reference, or on the same terminal by the
    terminal's id or number. The prune keeps a refund or a reversal while its original
    is there.

    Three separate ``NOT EXISTS``, each answered by an index (the primary key,
    ``intents_by_terminal_id``, the terminal number's, ``ALWAYS_INDEXED``): one ``OR`` over
    the three made SQLite scan the whole table once per refund, blocking every sale.
    """
    detail_value(key)  # checks the key
    value = f"json_extract(intents.details, '$.{key}')"
    # The key is checked as an identifier (detail_value).
    named = "NOT EXISTS (SELECT 1 FROM intents AS named WHERE"
    same_terminal = "named.terminal = intents.terminal AND"
    number = f"json_extract(named.details, '$.{TERMINAL_NUMBER}')"
    return (
        f"({value} IS NULL OR ({named} named.reference = {value}) "
        f"AND {named} {same_terminal} named.terminal_id = {value}) "
        f"AND {named} {same_terminal} {number} = {value})))"
    )


def detail_index(key: str) -> str:
    """Return the statement creating the index of one detail's value.

    Partial: it holds only the records that have the detail (a few refunds among many
    sales), and a lookup ``= ?`` implies ``IS NOT NULL``, so SQLite uses it.
    """
    value = detail_value(key)
    return (
        f"CREATE INDEX IF NOT EXISTS intents_detail_{key} ON intents ({value}) "
        f"WHERE {value} IS NOT NULL"
    )


#: Details every journal indexes (created after ADDED_COLUMNS, as ``detail_index``):
#: the prune looks up by the number a terminal shows (``names_none_kept``).
ALWAYS_INDEXED = (TERMINAL_NUMBER,)


def to_record(row: tuple[Any, ...]) -> JournalRecord:
    """Read a record from a row of ``SELECT``."""
    return JournalRecord(
        reference=row[0],
        terminal=row[1],
        type=TransactionType(row[2]),
        amount=row[3],
        state=JournalState(row[4]),
        result=TransactionResult(row[5]) if row[5] else None,
        terminal_id=row[6],
        message=row[7],
        created_at=datetime.fromisoformat(row[8]),
        updated_at=datetime.fromisoformat(row[9]),
        claim=row[10],
        answered_error=row[11],
    )


def to_details(text: str | None) -> Details:
    """Read the details column (none written: no details)."""
    loaded = json.loads(text) if text else {}
    return loaded if isinstance(loaded, dict) else {}


def to_row(record: JournalRecord, details: Mapping[str, Any]) -> tuple[str | None, ...]:
    """Return the values of ``INSERT`` for a record and its details."""
    return (
        record.reference,
        record.terminal,
        record.type.value,
        record.amount,
        record.state.value,
        record.result.value if record.result else None,
        record.terminal_id,
        record.message,
        # UTC throughout, so that the text of two times compares as the times do.
        record.created_at.astimezone(UTC).isoformat(),
        record.updated_at.astimezone(UTC).isoformat(),
        record.claim,
        record.answered_error,
        json.dumps(dict(details), separators=(",", ":")) if details else None,
    )


INSERT = f"INSERT OR REPLACE INTO intents ({COLUMNS}) VALUES ({', '.join('?' * 13)})"  # noqa: S608
