"""The end-of-day export's rows and totals, from journal records (no I/O here).

One row per journal record; amounts are exact strings ("12.34") added up as Decimals,
times are ISO 8601 in Home Assistant's time zone. Only masked card numbers leave: the
journal keeps nothing else of a card, and a full number a misbehaving terminal might
have put in the mask is masked again.

What a row's ``total`` is: the amount that moved (a partial approval's authorised
amount, a reversal's voided amount as the terminal said it) plus the tip. The totals'
``net`` counts what Sales today counts, by the one rule of :mod:`.money`: approved sales
add what they moved (a duplicate the gateway folded into an earlier charge adds
nothing), approved refunds subtract their amount, an approved reversal negates what its
original counted; authorisations, reconciliations and everything not confirmed
approved (``final``) move nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from homeassistant.util import dt as dt_util

from kinetic_integration import (
    JournalRecord,
    TransactionResult,
    TransactionType,
    format_amount,
    redact_card_numbers,
)

from .audit import STARTED_BY, started_by_text
from .money import Kept, amount_or_none, journal_amount, net_moved

#: The columns of a row, in the order the CSV shows them.
COLUMNS = (
    "reference",
    "created_at",
    "updated_at",
    "terminal",
    "terminal_identity",
    "type",
    "result",
    "state",
    "amount",
    "authorized_amount",
    "tip",
    "total",
    "currency",
    "masked_pan",
    "card_network",
    "auth_code",
    "table",
    "order_id",
    "clerk",
    "started_by",
    "original_reference",
    "terminal_transaction_id",
    "is_duplicate",
)
#: The figures of one group of the totals, in the order the CSV shows them.
TOTAL_FIGURES = ("count", "amount", "approved_count", "approved_amount", "net")


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def record_total(
    record: JournalRecord, details: Mapping[str, Any], original: Kept | None = None
) -> Decimal | None:
    """Return what a record moved plus its tip, as far as the journal knows.

    A reversal without an amount of its own: its original's total.
    """
    amount = amount_or_none(details.get("authorized_amount") or record.amount)
    if amount is None:
        if record.type is TransactionType.REVERSAL and original is not None:
            return record_total(*original)
        return None
    return amount + journal_amount(details.get("tip"))


def export_row(
    record: JournalRecord,
    details: Mapping[str, Any],
    *,
    terminal: str,
    currency: str | None,
    original: Kept | None = None,
) -> tuple[dict[str, Any], Decimal]:
    """Return one record's row and its part of the net (``original``: what it voids)."""
    total = record_total(record, details, original)
    pan = _text(details.get("masked_pan"))
    kept = details.get(STARTED_BY)
    started_by = dict(kept) if isinstance(kept, Mapping) else None
    row: dict[str, Any] = {
        "reference": record.reference,
        "created_at": dt_util.as_local(record.created_at).isoformat(),
        "updated_at": dt_util.as_local(record.updated_at).isoformat(),
        "terminal": terminal,
        "terminal_identity": record.terminal,
        "type": record.type.value,
        # Not confirmed is unknown, never declined.
        "result": record.result.value if record.result else TransactionResult.UNKNOWN.value,
        "state": record.state.value,
        "amount": record.amount,
        "authorized_amount": _text(details.get("authorized_amount")),
        "tip": _text(details.get("tip")),
        "total": format_amount(total) if total is not None else None,
        "currency": currency,
        "masked_pan": redact_card_numbers([pan])[0] if pan else None,
        "card_network": _text(details.get("card_network")),
        "auth_code": _text(details.get("auth_code")),
        "table": _text(details.get("table")),
        "order_id": _text(details.get("order_id")),
        "clerk": _text(details.get("clerk")),
        "started_by": started_by,
        "started_by_text": started_by_text(started_by),
        "original_reference": _text(
            details.get("original_reference") or details.get("original_id")
        ),
        "terminal_transaction_id": record.terminal_id,
        "is_duplicate": bool(details.get("is_duplicate")),
    }
    return row, net_moved(record, details, original)


@dataclass(slots=True)
class _Group:
    """The running figures of one group of the totals."""

    count: int = 0
    amount: Decimal = field(default_factory=Decimal)
    approved_count: int = 0
    approved_amount: Decimal = field(default_factory=Decimal)
    net: Decimal = field(default_factory=Decimal)

    def add(self, row: Mapping[str, Any], net: Decimal) -> None:
        total = Decimal(row["total"]) if row["total"] is not None else Decimal(0)
        self.count += 1
        self.amount += total
        if row["result"] == TransactionResult.APPROVED.value:
            self.approved_count += 1
            self.approved_amount += total
        self.net += net

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "amount": format_amount(self.amount),
            "approved_count": self.approved_count,
            "approved_amount": format_amount(self.approved_amount),
            "net": format_amount(self.net),
        }


def export_totals(rows: Iterable[tuple[Mapping[str, Any], Decimal]]) -> dict[str, Any]:
    """Return the totals of all rows, per terminal, per type and per result."""
    everything = _Group()
    groups: dict[str, dict[tuple[str, ...], _Group]] = {
        "by_terminal": {},
        "by_type": {},
        "by_result": {},
    }
    keys: dict[str, Callable[[Mapping[str, Any]], tuple[str, ...]]] = {
        "by_terminal": lambda row: (row["terminal"], row["terminal_identity"]),
        "by_type": lambda row: (row["type"],),
        "by_result": lambda row: (row["result"],),
    }
    for row, net in rows:
        everything.add(row, net)
        for name, key in keys.items():
            groups[name].setdefault(key(row), _Group()).add(row, net)
    names = {
        "by_terminal": ("terminal", "terminal_identity"),
        "by_type": ("type",),
        "by_result": ("result",),
    }
    totals: dict[str, Any] = {"all": everything.as_dict()}
    for name, found in groups.items():
        totals[name] = [
            {**dict(zip(names[name], key, strict=True)), **group.as_dict()}
            for key, group in sorted(found.items())
        ]
    return totals
