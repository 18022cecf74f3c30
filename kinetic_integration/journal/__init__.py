"""Durable intent records, so a charge is never taken twice or forgotten.

Every money-moving request is written down (``pending``) before it is sent, marked
``sent`` right before the request leaves, updated with the terminal's own id as soon as
it is known (the Payment Engine request key) and closed (``final``) with the result.
A record whose outcome is not confirmed stays ``sent``; a request that provably never
reached the terminal is ``not_sent`` and its reference may be used again.

:class:`JournaledPayments` (``runner``) drives a
:class:`~kinetic_integration.terminal.Terminal` through that cycle. It resumes a known
reference instead of charging again, and refuses to start a new transaction on a
terminal that still has an unresolved one. Storage is a :class:`JournalStore`
(``record``): :class:`SqliteJournal` (``sqlite``, stdlib only, its blocking calls run in a
worker thread), which Home Assistant uses too, in its configuration directory.
"""

from __future__ import annotations

from .record import (
    JournalClaimError,
    JournalError,
    JournalRecord,
    JournalState,
    JournalStore,
)
from .runner import JournaledPayments, abandon
from .schema import TERMINAL_NUMBER, Details
from .sqlite import SqliteJournal

__all__ = [
    "TERMINAL_NUMBER",
    "Details",
    "JournalClaimError",
    "JournalError",
    "JournalRecord",
    "JournalState",
    "JournalStore",
    "JournaledPayments",
    "SqliteJournal",
    "abandon",
]
