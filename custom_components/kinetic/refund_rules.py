"""Refund and reversal rules: what may go back to a card, checked before anything is sent.

A refund sends the merchant's money to whichever card is presented, so:

- a refund that names the sale it returns (``original_reference``) may return at most
  what that sale moved, less every earlier refund of it that moved money or may have
  (approved, or without a known outcome yet: money that may have gone counts);
- a refund that names no sale is capped by the entry's ``refund_cap`` option, and the
  ``allow_unlinked_refunds`` option can forbid it altogether;
- a reversal voids its original whole: one whose original was already reversed, or
  already partly refunded, is refused.

The journal is the only source: records of earlier days are read from the database by
an indexed lookup of their details, today's are at hand. Each check runs in two halves:
the lookups (which await the database) first, then the check itself without any await
until the caller's ``_async_run`` stages the new transaction, so a second call started
at the same moment sees the first one staged (as ``check_duplicate`` does for sales).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.hass_dict import HassKey

from kinetic_integration import (
    JournalError,
    JournalRecord,
    JournalState,
    Operation,
    TransactionResult,
    TransactionType,
    format_amount,
)

from .const import DOMAIN
from .journal import ORIGINAL_ID, ORIGINAL_REFERENCE, HomeAssistantJournal
from .money import is_confirmed_approval, journal_amount, outcome_known, sale_moved
from .payments import KineticPayments
from .refusal import ActionRefused
from .voided_on_terminal import async_voided_on_terminal

#: Options: the largest refund that names no sale, and whether such refunds are allowed.
CONF_REFUND_CAP = "refund_cap"
DEFAULT_REFUND_CAP = "50.00"
CONF_ALLOW_UNLINKED_REFUNDS = "allow_unlinked_refunds"
DEFAULT_ALLOW_UNLINKED_REFUNDS = True

#: The amounts of linked refunds that passed their check and are staged, by reference.
#: Staged details carry no amount (they become the record's details, and the record has
#: its own); an entry counts only while its reference is still staged.
_CLAIMS: HassKey[dict[str, Decimal]] = HassKey(f"{DOMAIN}_refund_claims")

Found = tuple[JournalRecord, Mapping[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """What the database said before the check: the original and what names it."""

    original: JournalRecord | None = None
    original_details: Mapping[str, Any] = field(default_factory=dict)
    #: Refunds linked to the original, read from the database, by reference.
    refunds: dict[str, Found] = field(default_factory=dict)
    #: Reversals naming the original (by reference or the terminal's id), by reference.
    reversals: dict[str, Found] = field(default_factory=dict)
    #: The names the original is known by (our reference, the terminal's id).
    names: frozenset[str] = frozenset()
    #: The original's terminal says it was reversed there (voided on its own screen).
    voided_on_terminal: bool = False


def _may_have_moved(record: JournalRecord) -> bool:
    """Whether money may have moved: approved, or no outcome known (yet, or ever)."""
    if record.state is JournalState.NOT_SENT:
        return False
    if record.state.is_unresolved:
        return True
    return record.result in (
        None,
        TransactionResult.APPROVED,
        TransactionResult.PENDING,
        TransactionResult.UNKNOWN,
    )


async def _async_named(
    journal: HomeAssistantJournal, key: str, values: Iterable[str]
) -> dict[str, Found]:
    """Read every record whose detail ``key`` is one of ``values`` (indexed, any age)."""
    found: dict[str, Found] = {}
    for value in values:
        for record, details in await journal.database.with_detail(key, value):
            found[record.reference] = (record, details)
    return found


def _at_hand(
    journal: HomeAssistantJournal, found: Mapping[str, Found], key: str, values: Collection[str]
) -> dict[str, Found]:
    """Add what memory holds (fresher than the read, and begun since) to what was read."""
    merged = dict(found)
    for record in journal.records():
        details = journal.details(record.reference)
        value = details.get(key)
        if isinstance(value, str) and value in values:
            merged[record.reference] = (record, details)
    return merged


def _journal_error(err: JournalError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="refund_check_failed",
        translation_placeholders={"error": str(err)},
    )


# --- refunds ---------------------------------------------------------------------------


async def async_look_up_refund(payments: KineticPayments, original: str | None) -> Lookup:
    """Read the sale a refund names and what names it (before the check; may await)."""
    if original is None:
        return Lookup()
    journal = payments.journal
    try:
        record = await journal.get(original)
        if record is None:
            return Lookup()
        names = frozenset(name for name in (record.reference, record.terminal_id) if name)
        return Lookup(
            original=record,
            original_details=journal.details(original),
            refunds=await _async_named(journal, ORIGINAL_REFERENCE, [original]),
            reversals=await _async_named(journal, ORIGINAL_ID, names),
            names=names,
            voided_on_terminal=(
                is_confirmed_approval(record)
                and record.type is TransactionType.SALE
                and await async_voided_on_terminal(payments.hass, record)
            ),
        )
    except JournalError as err:
        raise _journal_error(err) from err


def check_refund(
    payments: KineticPayments, operation: Operation, original: str | None, lookup: Lookup
) -> dict[str, Any]:
    """Refuse a refund the rules do not allow; return the details to journal with it.

    No await here nor between this and the staging: see the module's docstring.
    """
    amount = operation.amount or Decimal(0)
    if original is None:
        _check_unlinked(payments, amount)
        return {}
    sale = lookup.original
    if sale is None:
        raise ActionRefused(
            translation_key="refund_original_not_found",
            translation_placeholders={"reference": original},
        )
    _check_refundable(sale, original)
    reversal = _reversal_of(payments, lookup, sale.terminal, operation.reference)
    if reversal is not None:
        raise ActionRefused(
            translation_key="refund_original_reversed",
            translation_placeholders={"reference": original, "reversal": reversal},
        )
    if not outcome_known(lookup.original_details):
        # What it moved is not on record (being written, or a write that failed): the
        # amount asked for is no limit (a partial approval took less).
        raise ActionRefused(
            translation_key="refund_original_outcome_not_kept",
            translation_placeholders={"reference": original},
        )
    if lookup.voided_on_terminal:
        raise ActionRefused(
            translation_key="refund_original_voided_on_terminal",
            translation_placeholders={"reference": original},
        )
    # A sale made on another terminal of this Home Assistant may be refunded here: the
    # money goes back to the customer's card whichever terminal sends it, and the limit
    # counts the refunds of every terminal.
    approved = sale_moved(sale, lookup.original_details)
    refunded = _refunded(payments, lookup, original, operation.reference)
    remaining = max(approved - refunded, Decimal(0))
    if amount > remaining:
        raise ActionRefused(
            translation_key="refund_exceeds_sale",
            translation_placeholders={
                "amount": format_amount(amount),
                "remaining": format_amount(remaining),
                "reference": original,
                "approved": format_amount(approved),
                "refunded": format_amount(refunded),
            },
        )
    _claims(payments.hass)[operation.reference] = amount
    return {ORIGINAL_REFERENCE: original}


def _check_unlinked(payments: KineticPayments, amount: Decimal) -> None:
    options = payments.entry.options
    if not options.get(CONF_ALLOW_UNLINKED_REFUNDS, DEFAULT_ALLOW_UNLINKED_REFUNDS):
        raise ActionRefused(
            translation_key="unlinked_refund_not_allowed",
            translation_placeholders={"terminal": payments.entry.title},
        )
    cap = journal_amount(options.get(CONF_REFUND_CAP, DEFAULT_REFUND_CAP))
    if amount > cap:
        raise ActionRefused(
            translation_key="unlinked_refund_above_cap",
            translation_placeholders={"amount": format_amount(amount), "cap": format_amount(cap)},
        )


def _check_refundable(sale: JournalRecord, original: str) -> None:
    """Refuse an original that is no approved sale."""
    if sale.type is TransactionType.AUTHORIZATION:
        # Funds held, not taken: releasing or capturing it is the gateway's business,
        # and a refund "of" it would send money that was never received.
        raise ActionRefused(
            translation_key="refund_of_authorization",
            translation_placeholders={"reference": original},
        )
    if sale.type is not TransactionType.SALE:
        raise ActionRefused(
            translation_key="refund_original_not_sale",
            translation_placeholders={"reference": original, "type": sale.type.value},
        )
    if sale.state is not JournalState.FINAL or sale.result is not TransactionResult.APPROVED:
        outcome = sale.result.value if sale.result is not None else sale.state.value
        raise ActionRefused(
            translation_key="refund_original_not_approved",
            translation_placeholders={"reference": original, "result": outcome},
        )


def _refunded(payments: KineticPayments, lookup: Lookup, original: str, own: str) -> Decimal:
    """Sum the refunds of ``original`` that moved money or may have, staged ones too."""
    journal = payments.journal
    linked = _at_hand(journal, lookup.refunds, ORIGINAL_REFERENCE, {original})
    linked.pop(own, None)  # the same reference again is a resume, never a second refund
    total = sum(
        (
            journal_amount(record.amount)
            for record, _details in linked.values()
            if _may_have_moved(record)
        ),
        Decimal(0),
    )
    claims = _claims(payments.hass)
    staged = journal.staged()
    for reference in list(claims):
        if reference not in staged:
            del claims[reference]  # began (counted above) or never did
    for reference, details in staged.items():
        if reference in linked or reference == own:
            continue
        if details.get(ORIGINAL_REFERENCE) == original:
            total += claims.get(reference, Decimal(0))
    return total


def _claims(hass: HomeAssistant) -> dict[str, Decimal]:
    return hass.data.setdefault(_CLAIMS, {})


def with_original(response: ServiceResponse, original: str | None) -> ServiceResponse:
    """Add the sale a refund returns to its action's answer (when it names one)."""
    if original is not None and response is not None:
        response[ORIGINAL_REFERENCE] = original
    return response


# --- reversals -------------------------------------------------------------------------


async def async_look_up_reversal(payments: KineticPayments, original_id: str) -> Lookup:
    """Read the transaction a reversal names and what names it (may await)."""
    journal = payments.journal
    try:
        record = await journal.database.find(original_id, [payments.terminal.identity])
        names = {original_id}
        refunds: dict[str, Found] = {}
        if record is not None:
            names |= {name for name in (record.reference, record.terminal_id) if name}
            refunds = await _async_named(journal, ORIGINAL_REFERENCE, [record.reference])
        return Lookup(
            original=record,
            refunds=refunds,
            reversals=await _async_named(journal, ORIGINAL_ID, names),
            names=frozenset(names),
        )
    except JournalError as err:
        raise _journal_error(err) from err


def check_reversal(payments: KineticPayments, operation: Operation, lookup: Lookup) -> None:
    """Refuse reversing what was already reversed, or a sale already partly refunded.

    No await here nor between this and the staging: see the module's docstring.
    """
    original = operation.original_id or ""
    reversal = _reversal_of(payments, lookup, payments.terminal.identity, operation.reference)
    if reversal is not None:
        raise ActionRefused(
            translation_key="already_reversed",
            translation_placeholders={"original": original, "reversal": reversal},
        )
    sale = lookup.original
    if sale is not None and sale.type is TransactionType.SALE:
        # A reversal returns the whole sale: after a refund it would return money twice.
        refunded = _refunded(payments, lookup, sale.reference, operation.reference)
        if refunded > 0:
            raise ActionRefused(
                translation_key="reversal_after_refund",
                translation_placeholders={
                    "original": original,
                    "refunded": format_amount(refunded),
                },
            )


def _reversal_of(payments: KineticPayments, lookup: Lookup, terminal: str, own: str) -> str | None:
    """Return a reversal of the original that moved money or may have (staged ones too).

    Only reversals on the original's ``terminal``: another terminal's ids may look the
    same (our own references are unique across terminals).
    """
    journal = payments.journal
    reversals = _at_hand(journal, lookup.reversals, ORIGINAL_ID, lookup.names)
    reversals.pop(own, None)
    for reversal, _details in reversals.values():
        if reversal.terminal == terminal and _may_have_moved(reversal):
            return reversal.reference
    ours = payments.terminal.identity == terminal
    unique = lookup.original.reference if lookup.original is not None else None
    for reference, details in journal.staged().items():
        name = details.get(ORIGINAL_ID)
        if reference == own or name not in lookup.names:
            continue
        if name == unique or (ours and details.get("entry_id") == payments.entry.entry_id):
            return reference
    return None
