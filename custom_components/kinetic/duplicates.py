"""The duplicate check of a sale: the same table, order or reference open or just approved.

Runs without awaiting, and the caller stages the new sale right after, so two calls at
once cannot both pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kinetic_integration import TransactionResult, TransactionType

from .journal import HomeAssistantJournal
from .refusal import ActionRefused

#: A second sale for the same table, order or reference this soon after an approval is
#: refused unless the caller says it is meant.
DUPLICATE_WINDOW = timedelta(minutes=2)
#: The details that name what a sale was for (checked for duplicates).
DUPLICATE_KEYS = ("table", "order_id")


def check_duplicate(
    journal: HomeAssistantJournal, reference: str, details: Mapping[str, Any]
) -> None:
    """Refuse a sale for a table, order or reference that is open or just approved."""
    cutoff = datetime.now(UTC) - DUPLICATE_WINDOW
    wanted = {key: details[key] for key in DUPLICATE_KEYS if details.get(key)}
    for other, staged in journal.staged().items():
        _refuse_if_same(reference, wanted, other, staged)
    for record in journal.records():
        if record.type is not TransactionType.SALE:
            continue
        recent_approval = (
            record.result is TransactionResult.APPROVED and record.updated_at >= cutoff
        )
        if record.state.is_unresolved or recent_approval:
            _refuse_if_same(reference, wanted, record.reference, journal.details(record.reference))


def _refuse_if_same(
    reference: str, wanted: Mapping[str, Any], other: str, details: Mapping[str, Any]
) -> None:
    if other == reference:
        raise ActionRefused(
            translation_key="duplicate_reference",
            translation_placeholders={"reference": reference},
        )
    for key, value in wanted.items():
        if details.get(key) == value:
            raise ActionRefused(
                translation_key=f"duplicate_{key}",
                translation_placeholders={key: str(value), "reference": other},
            )
