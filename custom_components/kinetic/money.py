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

from kinetic_integration import (
    JournalRecord,
    JournalState,
    Operation,
    Transaction,
    TransactionResult,
    TransactionType,
    format_amount,
)

#: A record and its details, as the journal keeps them.
Kept = tuple[JournalRecord, Mapping[str, Any]]
#: The detail that says a record's outcome details (what moved) were kept with it.
OUTCOME_KEPT = "outcome_kept"
#: What versions before ``outcome_kept`` wrote together, in one write, once an outcome
#: was known: any one of them says that write happened.
_KEPT_BEFORE = (
    "masked_pan",
    "card_network",
    "entry_mode",
    "auth_code",
    "tip",
    "authorized_amount",
    "is_duplicate",
)


def outcome_details(operation: Operation, txn: Transaction) -> dict[str, Any]:
    """Return the details an outcome adds to its record: the card, and what moved.

    A partial approval's authorised amount, and whether the gateway folded a duplicate
    into an earlier charge: without them a sale looks as if it moved what was asked.

    What moved is given whole, an absent figure as ``None`` (the journal's merge
    removes it): a later write replaces an earlier one's, so a figure an interim
    outcome reported never outlives the final one. The card is only ever added (a
    later look-up may not report it). ``outcome_kept`` only with a final outcome: it
    is what the refund limits trust.
    """
    card = {
        "masked_pan": txn.masked_pan,
        "card_network": txn.card_network,
        "entry_mode": txn.entry_mode,
        "auth_code": txn.auth_code,
    }
    kept: dict[str, Any] = {key: value for key, value in card.items() if value is not None}
    kept.update(
        {
            "tip": format_amount(txn.tip) if txn.tip is not None else None,
            "authorized_amount": (
                format_amount(txn.amount)
                if txn.amount is not None and txn.amount != operation.amount
                else None
            ),
            "is_duplicate": txn.is_duplicate or None,
        }
    )
    if txn.result.is_final:
        kept[OUTCOME_KEPT] = True
    return kept


def outcome_known(details: Mapping[str, Any]) -> bool:
    """Whether a record's details say what its outcome moved (kept, now or by then)."""
    return bool(details.get(OUTCOME_KEPT)) or any(key in details for key in _KEPT_BEFORE)


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
