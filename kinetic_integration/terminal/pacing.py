"""Which running transactions are near their result, so that their checks go first."""

from __future__ import annotations

from collections.abc import Callable

from ..clients.rate_budget import Priority
from ..models.common import Transaction


class NearResults:
    """Remembers the transactions whose last answer said the result is near.

    Their next check is :attr:`Priority.URGENT`, the others' :attr:`Priority.SALE`; a
    final answer forgets the transaction.
    """

    def __init__(self, is_near: Callable[[Transaction], bool]) -> None:
        """Use ``is_near`` (the terminal's ``result_near``) to judge each answer."""
        self._is_near = is_near
        self._near: set[str] = set()

    def priority(self, terminal_id: str) -> Priority:
        """Return the priority of the next check of ``terminal_id``."""
        return Priority.URGENT if terminal_id in self._near else Priority.SALE

    def seen(self, terminal_id: str, txn: Transaction) -> Transaction:
        """Note what the terminal answered about ``terminal_id``; return the answer."""
        if self._is_near(txn) and not txn.result.is_final:
            self._near.add(terminal_id)
        else:
            self._near.discard(terminal_id)
        return txn
