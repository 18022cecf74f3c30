"""A refund's limit is what its sale moved: never guessed when that is not on record.

What a sale moved (a partial approval's authorised amount, a duplicate folded into an
earlier charge) is kept in its record's details. A sale whose record does not say it
(the write failed or has not landed) cannot be refunded by name: the amount asked for
is no limit, as a partial approval took less.
"""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from kinetic_integration import TransactionType
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import setup_entry
from .test_refund_rules import _old, _seed, refund, refunds, refused


async def test_a_sale_whose_outcome_was_not_kept_is_not_refunded_by_name(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    journal_in_tmp_path: Path,
) -> None:
    """Final and approved, but what it moved never written: refused, nothing sent.

    A record of a version before the marker whose details were written (its card, its
    tip) is trusted as it always was.
    """
    await _seed(
        journal_in_tmp_path,
        (_old("unkept", 1, type=TransactionType.SALE, amount="30.00"), {"announced": True}),
        (
            _old("older-version", 1, type=TransactionType.SALE, amount="20.00"),
            {"announced": True, "masked_pan": "************1111"},
        ),
    )
    await setup_entry(hass, go_entry)
    err = await refused(hass, go_entry, amount="1.00", original_reference="unkept")
    assert err.translation_key == "refund_original_outcome_not_kept"
    assert str(err).startswith(
        "What sale unkept moved is not on record yet, so the most it can refund is unknown. "
        "Nothing was sent; try again in a moment"
    )
    assert go_sim.money_requests() == 0
    answer = await refund(hass, go_entry, amount="20.00", original_reference="older-version")
    assert answer["result"] == "approved"
    assert refunds(go_sim) == [20]
