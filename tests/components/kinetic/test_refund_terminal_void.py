"""A sale voided on the terminal itself (never seen by the journal) is not refunded.

The Kinetic Go keeps its own transaction database and says in a look-up whether a sale
has since been reversed; a refund naming such a sale is refused, and sends nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.simulator.transaction import SimTransaction

from .conftest import setup_entry
from .test_actions import act
from .test_payments import journal, sale
from .test_refund_rules import refund, refunds, refused


async def _void_on_the_terminal(sim: KineticGoSimulator, terminal_id: str) -> None:
    """Void a sale on the device's own screen: no API request, nothing journaled."""
    original = sim.device.db[terminal_id]
    void = SimTransaction(
        id=str(uuid.uuid4()),
        type="reversal",
        amount=original.total,
        needs_card=False,
        reference_txn_id=terminal_id,
    )
    sim.device.start(void)
    async with asyncio.timeout(5):
        await void.done.wait()
    assert (void.result, original.is_reversed) == ("approved", True)


async def test_a_sale_voided_on_the_terminal_is_not_refunded(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The journal says approved, the terminal says voided: the refund is refused."""
    await setup_entry(hass, go_entry)
    paid = await sale(hass, go_entry, amount="30.00")
    record = await journal(hass).get(paid["reference"])
    assert record is not None
    assert record.terminal_id
    await _void_on_the_terminal(go_sim, record.terminal_id)
    sent = go_sim.money_requests()
    err = await refused(hass, go_entry, amount="30.00", original_reference=paid["reference"])
    assert err.translation_key == "refund_original_voided_on_terminal"
    assert str(err) == (
        f"Sale {paid['reference']} was voided on the terminal itself; there is nothing left "
        "to refund. Nothing was sent"
    )
    assert go_sim.money_requests() == sent
    assert refunds(go_sim) == []
    # A sale not voided is refunded as before (the terminal asked, and it said no).
    other = await sale(hass, go_entry, amount="8.00")
    answer = await refund(hass, go_entry, amount="8.00", original_reference=other["reference"])
    assert answer["result"] == "approved"
    assert refunds(go_sim) == [Decimal("8.00")]


async def test_a_terminal_that_cannot_be_asked_holds_the_refund(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The look-up fails: the refund waits (translated, try again), nothing is sent."""
    await setup_entry(hass, go_entry)
    paid = await sale(hass, go_entry, amount="12.00")
    sent = go_sim.money_requests()
    go_sim.inject("error_500", times=10, path="/api/v2/transactions/")
    with pytest.raises(HomeAssistantError) as err:
        await act(
            hass,
            "refund",
            go_entry,
            response=False,
            amount="12.00",
            original_reference=paid["reference"],
        )
    go_sim.clear_faults()
    assert err.value.translation_key == "refund_original_unchecked"
    assert "try again when the terminal answers" in str(err.value)
    assert go_sim.money_requests() == sent
    assert refunds(go_sim) == []
