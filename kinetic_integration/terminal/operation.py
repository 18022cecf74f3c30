"""A validated money-moving request, what a caller remembers of it, and who is told.

Also the reference rule every kind starts from (:func:`validate_reference`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from ..errors import KineticError, KineticInputError
from ..models.common import TransactionType

#: Longest reference accepted (Kinetic Go ids are free text; keep them sane).
MAX_REFERENCE_LENGTH = 64
_REFERENCE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_REFERENCE_LENGTH - 1}}}")


def validate_reference(reference: str) -> str:
    """Return ``reference`` if it is a sane transaction id, or raise KineticInputError."""
    if not isinstance(reference, str) or not reference.strip():
        raise KineticInputError("The reference must be a non-empty string")
    reference = reference.strip()
    if not _REFERENCE.fullmatch(reference):
        raise KineticInputError(
            f"The reference must be 1 to {MAX_REFERENCE_LENGTH} ASCII letters, digits, "
            "'-', '_', '.' or ':', starting with a letter or digit"
        )
    return reference


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """A validated money-moving request, ready to be sent (see :meth:`Terminal.prepare`).

    ``caller_reference`` is true when the caller chose the reference: it may name a
    transaction the terminal already knows, so it is looked up before anything is sent.
    ``offline`` asks for an offline sale (approved by the card, sent to the host later;
    only terminals that support offline transactions take it).
    """

    type: TransactionType
    reference: str
    caller_reference: bool
    amount: Decimal | None = None
    tip: Decimal | None = None
    cashback: Decimal | None = None
    original_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    offline: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviousAttempt:
    """What a caller (e.g. a journal) remembers of an earlier attempt with this reference."""

    sent: bool
    terminal_id: str | None = None
    #: The error the terminal answered to the request itself, if one was recorded: with
    #: the terminal then having no record of it, nothing was charged.
    answered_error: str | None = None


class TransactionListener(Protocol):
    """Told about progress so a journal can be written before and during a transaction."""

    async def sending(self, operation: Operation) -> None:
        """Record that the money-moving request is about to be sent."""

    async def terminal_id_known(self, operation: Operation, terminal_id: str) -> None:
        """Record the terminal's own id for the transaction as soon as it is known."""

    async def answered_error(self, operation: Operation, error: KineticError) -> None:
        """Record at once that the terminal answered the request itself with an error.

        Written before the answer is acted on, so a recovery after a crash knows the
        terminal answered (see :class:`PreviousAttempt`).
        """
