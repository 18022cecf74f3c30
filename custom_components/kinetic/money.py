"""What a journal record moved: one rule for Sales today, the export and the refund limits.

- An approved sale moved what was authorised (a partial approval's authorised amount,
  else the amount asked for) plus its tip; cashback is cash handed out over the
  counter, not a sale. A duplicate the gateway folded into an earlier charge moved
  nothing.
- An approved refund moved its amount back to the card.
- An approved reversal undoes its original whole: it negates what the original counted
  (a sale's amount as above, a refund's amount), never the terminal's figure for the
  void (which may include cashback). Its original unknown to the journal: 0.
- Only a confirmed approval (journal state ``final``) counts; everything else moved
  nothing as far as the figures go (Sales today reports it as unconfirmed).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kinetic_integration import JournalRecord, JournalState, TransactionResult, TransactionType

#: A record and its details, as the journal keeps them.
Kept = tuple[JournalRecord, Mapping[str, Any]]


def amount_or_none(text: object) -> Decimal | None:
    """Read an amount the journal or the options keep as text; anything else is none."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def journal_amount(text: object) -> Decimal:
    """Read an amount the journal or the options keep as text; anything else counts as 0."""
    return amount_or_none(text) or Decimal(0)


def sale_moved(record: JournalRecord, details: Mapping[str, Any]) -> Decimal:
    """Return what an approved sale moved: Sales today counts it, a refund returns it.

    A partial approval moved the authorised amount, not the amount asked for, plus its
    tip; a duplicate the gateway folded into an earlier charge moved nothing.
    """
    if details.get("is_duplicate"):
        return Decimal(0)
    amount = details.get("authorized_amount") or record.amount
    return journal_amount(amount) + journal_amount(details.get("tip"))


def is_confirmed_approval(record: JournalRecord) -> bool:
    """Whether the record's approval is confirmed (only those count in the figures)."""
    return record.state is JournalState.FINAL and record.result is TransactionResult.APPROVED


def net_moved(
    record: JournalRecord, details: Mapping[str, Any], original: Kept | None = None
) -> Decimal:
    """Return what a record adds to the merchant's net: sales add, refunds subtract.

    ``original``: the record a reversal voids, if the journal has it.
    """
    if not is_confirmed_approval(record):
        return Decimal(0)
    if record.type is TransactionType.SALE:
        return sale_moved(record, details)
    if record.type is TransactionType.REFUND:
        return -journal_amount(record.amount)
    if record.type is TransactionType.REVERSAL and original is not None:
        voided, voided_details = original
        if voided.type is not TransactionType.REVERSAL:  # a void of a void undoes nothing
            return -net_moved(voided, voided_details)
    return Decimal(0)
