"""The ledger: every transaction that reached a final result, in order."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

#: Transaction types that move no money even when approved.
_NO_MONEY_TYPES = frozenset({"reconciliation"})


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One final transaction as the simulated acquirer saw it.

    ``reference`` is the Kinetic Go transaction id, the DeviceService uuid or the
    Payment Engine request key; ``result`` uses the common vocabulary
    (approved/declined/cancelled/error/timeout); ``amount`` is the total in major units.
    """

    reference: str
    type: str
    amount: Decimal
    result: str
    device: str
    at: float

    @property
    def moved_money(self) -> bool:
        """Whether this entry is a charge (or refund/reversal) that really happened."""
        return self.result == "approved" and self.type not in _NO_MONEY_TYPES

    def as_json(self) -> dict[str, object]:
        """Render for the control API (amount as a string, never a float)."""
        return {
            "reference": self.reference,
            "type": self.type,
            "amount": str(self.amount),
            "result": self.result,
            "device": self.device,
            "at": self.at,
        }


class Ledger:
    """An append-only list of final transactions."""

    def __init__(self) -> None:
        """Start empty."""
        self._entries: list[LedgerEntry] = []

    def record(
        self, *, reference: str, type_: str, amount: Decimal, result: str, device: str
    ) -> LedgerEntry:
        """Append one final transaction and return its entry."""
        entry = LedgerEntry(
            reference=reference,
            type=type_,
            amount=amount,
            result=result,
            device=device,
            at=time.time(),
        )
        self._entries.append(entry)
        return entry

    @property
    def entries(self) -> list[LedgerEntry]:
        """A copy of every entry, oldest first."""
        return list(self._entries)

    def charges(self) -> list[LedgerEntry]:
        """Only the entries where money moved."""
        return [entry for entry in self._entries if entry.moved_money]
