"""Filtering a terminal's own transaction list (the Kinetic Go ``transactions.json``).

One place for the filters every surface offers (CLI, Home Assistant): a time window on
the start time, a result, a type and a count, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import KineticInputError
from ..models.common import Transaction, TransactionResult, TransactionType

#: The most transactions one answer lists.
MAX_LIMIT = 1000
_OLDEST = datetime.min.replace(tzinfo=UTC)


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise KineticInputError(f"{name} must carry a time zone")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionFilter:
    """Which transactions to keep: ``since`` <= started < ``until``, result, type, count.

    A transaction without a start time is kept only when no time window is asked for.
    """

    since: datetime | None = None
    until: datetime | None = None
    result: TransactionResult | None = None
    type: TransactionType | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        """Refuse a window without time zones, a reversed window or a bad limit."""
        since = _aware(self.since, "since")
        until = _aware(self.until, "until")
        if since is not None and until is not None and until <= since:
            raise KineticInputError("until must be later than since")
        limit = self.limit
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT
        ):
            raise KineticInputError(f"limit must be a whole number from 1 to {MAX_LIMIT}")

    def _keeps(self, txn: Transaction) -> bool:
        if self.result is not None and txn.result is not self.result:
            return False
        if self.type is not None and txn.type is not self.type:
            return False
        if self.since is None and self.until is None:
            return True
        started = txn.started_at
        if started is None:
            return False
        return (self.since is None or started >= self.since) and (
            self.until is None or started < self.until
        )

    def apply(self, transactions: Iterable[Transaction]) -> list[Transaction]:
        """Return the kept transactions, newest first, at most ``limit`` of them.

        ``transactions`` come in the terminal's order (oldest first, as it lists them).
        """
        # Within one second, a later place in the terminal's list is the newer one.
        kept = sorted(
            ((txn.started_at or _OLDEST, index, txn) for index, txn in enumerate(transactions)),
            key=lambda item: item[:2],
            reverse=True,
        )
        newest = [txn for *_order, txn in kept if self._keeps(txn)]
        return newest[: self.limit] if self.limit is not None else newest
