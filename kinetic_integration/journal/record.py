"""The journal's record, its states, the storage protocol and the journal's errors."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from ..errors import KineticError
from ..models.common import TransactionResult, TransactionType


class JournalError(KineticError):
    """The journal could not be read or written."""

    code = "journal_error"


class JournalClaimError(KineticError):
    """Another run took this reference over before our request left; we sent nothing.

    The outcome is whatever that other run gets: resume with the same reference.
    """

    code = "claim_lost"


class JournalState(StrEnum):
    """Where a recorded transaction stands."""

    PENDING = "pending"  # intent written, request not sent yet
    SENT = "sent"  # the request may have reached the terminal; outcome not confirmed
    FINAL = "final"  # the terminal confirmed a final result
    NOT_SENT = "not_sent"  # provably never reached the terminal; the reference is free
    #: A person checked the terminal or gateway by hand and released the terminal; the
    #: reference is still only ever looked up, never sent again.
    ABANDONED = "abandoned"

    @property
    def is_unresolved(self) -> bool:
        """Whether this record blocks new transactions on its terminal."""
        return self in (JournalState.PENDING, JournalState.SENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalRecord:
    """One intended transaction. Amounts are strings in major units ("12.34")."""

    reference: str
    terminal: str
    type: TransactionType
    amount: str | None
    state: JournalState
    result: TransactionResult | None = None
    terminal_id: str | None = None
    message: str | None = None
    created_at: datetime
    updated_at: datetime
    #: Written by ``begin``: only the run holding it may mark the record ``sent``.
    claim: str | None = None
    #: The error the terminal answered to the request itself, written the moment it
    #: arrived (a recovery after a crash confirms it against the terminal).
    answered_error: str | None = None


class JournalStore(Protocol):
    """Where journal records live (:class:`~kinetic_integration.journal.SqliteJournal`)."""

    async def get(self, reference: str) -> JournalRecord | None:
        """Return the record of ``reference``, if any."""

    async def begin(self, record: JournalRecord) -> JournalRecord:
        """Atomically write a new intent with its claim, or re-claim this reference.

        A ``not_sent`` record, or a ``pending`` one on the same terminal (nothing of it
        was sent: a crashed or concurrent run), is replaced. Raises
        UnresolvedTransactionError if another record on the same terminal is unresolved,
        and KineticInputError if the reference is already in use.
        """

    async def update(
        self,
        reference: str,
        *,
        state: JournalState | None = None,
        result: TransactionResult | None = None,
        terminal_id: str | None = None,
        message: str | None = None,
        claim: str | None = None,
        expect_states: Collection[JournalState] | None = None,
        answered_error: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> JournalRecord:
        """Change a record; fields left ``None`` keep their value.

        With ``claim`` and/or ``expect_states`` the change is a compare-and-set: it
        happens only if the record still holds that claim and is in one of those
        states, else JournalClaimError. ``details`` (the caller's own, see
        :class:`JournaledPayments`'s ``outcome_details``) are merged into the record's in
        the same change (a JSON merge patch: a ``None`` value removes its key); a
        store that keeps none may ignore them, and is passed none when there are none.
        """

    async def unresolved(self, terminal: str) -> list[JournalRecord]:
        """Return the unresolved records of one terminal, oldest first."""


def now() -> datetime:
    """Return the journal's time: now, aware, in UTC."""
    return datetime.now(UTC)
