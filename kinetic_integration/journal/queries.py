"""The journal's look-ups by what a caller knows: an id, a detail, references, a time range.

Read-only, each answered by an index of the table (never a scan); a mixin of
:class:`~kinetic_integration.journal.sqlite.SqliteJournal`, which provides the
connection and the worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .record import JournalRecord
from .schema import CREATED_IN_RANGE, TERMINAL_NUMBER, Details, detail_value, stored_time

_T = TypeVar("_T")


class JournalQueries:
    """Look-ups of records with their details, oldest first unless said otherwise."""

    if TYPE_CHECKING:
        lookups: tuple[str, ...]

        async def _call(self, func: Callable[..., _T], *args: Any) -> _T: ...

        def _select(
            self, where: str, params: Iterable[Any]
        ) -> list[tuple[JournalRecord, Details]]: ...

    async def find(self, identifier: str, terminals: Collection[str]) -> JournalRecord | None:
        """Return the record on one of ``terminals`` that ``identifier`` names, if any.

        ``identifier`` is a reference, the terminal's id for the transaction (e.g. a
        Payment Engine request key) or the number the terminal shows for it, kept in
        the details as ``terminal_number`` (read with :meth:`get`, never by a scan).
        """
        marks = ", ".join("?" for _ in terminals)
        found = await self._call(
            self._select,
            f"terminal IN ({marks}) AND (reference = ? OR terminal_id = ? "
            f"OR json_extract(details, '$.{TERMINAL_NUMBER}') = ?)",
            (*terminals, identifier, identifier, identifier),
        )
        # Our own reference first, then the latest of the others.
        found.sort(key=lambda item: (item[0].reference == identifier, item[0].updated_at))
        return found[-1][0] if found else None

    async def with_detail(self, key: str, value: str) -> list[tuple[JournalRecord, Details]]:
        """Return the records whose details hold ``key: value``, with details, oldest first.

        ``key`` must be one of ``lookups`` (its index answers, never a scan of the table).
        """
        if key not in self.lookups:
            raise ValueError(f"{key} is not one of this journal's lookups")
        return await self._call(self._select, f"{detail_value(key)} = ?", (value,))

    async def records(self, references: Collection[str]) -> list[tuple[JournalRecord, Details]]:
        """Return the records of these references (those that exist), with details."""
        marks = ", ".join("?" for _ in references)
        return await self._call(self._select, f"reference IN ({marks})", tuple(references))

    async def created_between(
        self, start: datetime, end: datetime, *, terminals: Collection[str] | None = None
    ) -> list[tuple[JournalRecord, Details]]:
        """Return the records created at or after ``start`` and before ``end``, oldest first.

        Only the range is read (the creation index); ``terminals``: of these ones only.
        """
        where, params = CREATED_IN_RANGE, [stored_time(start), stored_time(end)]
        if terminals is not None:
            where += f" AND terminal IN ({', '.join('?' for _ in terminals)})"
            params.extend(terminals)
        return await self._call(self._select, where, params)
