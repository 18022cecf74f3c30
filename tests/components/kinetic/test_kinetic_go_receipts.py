"""Kinetic Go receipts reach the printer exactly as the terminal rendered them.

The seed: the receipt endpoints return "correctly formatted (and certified) receipt
messages ... send it directly to the printer without having to manipulate the result".
"""

from __future__ import annotations

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.const import DOMAIN
from kinetic_integration import KineticGoClient, ReceiptCopy
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import setup_entry
from .test_actions import act
from .test_payments import sale


async def _receipt_document(
    sim: KineticGoSimulator, reference: str, copy: ReceiptCopy
) -> list[dict[str, object]]:
    """The receipt document as the terminal serves it (read with the library's client)."""
    described = sim.describe()
    async with KineticGoClient(
        sim.host, sim.port, username=str(described["username"]), password=str(described["password"])
    ) as client:
        return await client.receipt(reference, copy)


async def test_print_receipt_action_prints_the_terminals_instructions(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Every copy is printed unchanged: positions, font sizes and the seed's quirks."""
    await setup_entry(hass, go_entry)
    paid = await sale(hass, go_entry, amount="7.00")
    for copy in (ReceiptCopy.MERCHANT, ReceiptCopy.CARDHOLDER):
        answer = await act(
            hass,
            "print_receipt",
            go_entry,
            response=True,
            copy=copy.value,
            reference=paid["reference"],
        )
        assert answer is not None
        document = await _receipt_document(go_sim, paid["reference"], copy)
        assert go_sim.printed_instructions[-1] == document
        assert answer["lines"] == go_sim.printed[-1]


async def test_print_last_receipt_button_prints_the_terminals_instructions(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The button sends the merchant copy as the terminal rendered it."""
    await setup_entry(hass, go_entry)
    paid = await sale(hass, go_entry, amount="5.00")
    entity_id = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{go_entry.unique_id}_print_last_receipt"
    )
    assert entity_id is not None
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: entity_id}, blocking=True)
    document = await _receipt_document(go_sim, paid["reference"], ReceiptCopy.MERCHANT)
    assert go_sim.printed_instructions[-1] == document
