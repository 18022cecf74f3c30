"""Reversal rules: an original is reversed once, and never after (or as well as) a refund.

Also the options of the refund rules, and their refusals over REST (400, the message).
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic.const import CONF_MAX_AMOUNT
from custom_components.kinetic.refund_rules import (
    CONF_ALLOW_UNLINKED_REFUNDS,
    CONF_REFUND_CAP,
)
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import setup_entry
from .test_actions import act
from .test_payments import device_id, journal, sale
from .test_refund_rules import refund
from .test_rest_refusals import _post


def reversals(sim: KineticGoSimulator) -> int:
    """How many reversals the simulated acquirer saw approved."""
    return sum(1 for entry in sim.charges() if entry.type == "reversal")


async def reverse_refused(
    hass: HomeAssistant, entry: MockConfigEntry, original: str
) -> ServiceValidationError:
    """Run kinetic.reverse, expecting a refusal; return it."""
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "reverse", entry, response=False, transaction_id=original)
    return err.value


async def test_an_original_is_reversed_once(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Again: refused, nothing sent; a refund of the reversed sale neither."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="6.00", reference="table-3-0001")
    void = await act(hass, "reverse", go_entry, response=True, transaction_id="table-3-0001")
    assert void is not None
    assert void["result"] == "approved"
    sent = go_sim.money_requests()
    err = await reverse_refused(hass, go_entry, "table-3-0001")
    assert err.translation_key == "already_reversed"
    assert str(err) == (
        f"Transaction table-3-0001 was already reversed ({void['reference']}); nothing was sent"
    )
    # Nor may a refund return what the reversal already gave back.
    with pytest.raises(ServiceValidationError) as refused:
        await refund(hass, go_entry, amount="1.00", original_reference="table-3-0001")
    assert refused.value.translation_key == "refund_original_reversed"
    assert go_sim.money_requests() == sent
    assert reversals(go_sim) == 1


async def test_a_declined_refund_does_not_block_a_reversal(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A refund that was declined leaves its sale whole: reversing it is allowed."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="9.00", reference="sale-9")
    declined = await refund(hass, go_entry, amount="4.01", original_reference="sale-9")
    assert declined["result"] == "declined"
    void = await act(hass, "reverse", go_entry, response=True, transaction_id="sale-9")
    assert void is not None
    assert void["result"] == "approved"


async def test_no_reversal_after_a_refund(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A reversal returns the whole sale: after a refund of part of it, that is too much."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="18.00", reference="table-4-0001")
    await refund(hass, go_entry, amount="5.00", original_reference="table-4-0001")
    sent = go_sim.money_requests()
    err = await reverse_refused(hass, go_entry, "table-4-0001")
    assert err.translation_key == "reversal_after_refund"
    assert err.translation_placeholders == {"original": "table-4-0001", "refunded": "5.00"}
    assert go_sim.money_requests() == sent


async def test_two_reversals_at_once_cannot_both_pass(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="6.00", reference="table-5-0001")
    results = await asyncio.gather(
        act(hass, "reverse", go_entry, response=True, transaction_id="table-5-0001"),
        act(hass, "reverse", go_entry, response=True, transaction_id="table-5-0001"),
        return_exceptions=True,
    )
    errors = [result for result in results if isinstance(result, ServiceValidationError)]
    # Refused by the rules (the first one staged), not by the terminal being busy.
    assert [error.translation_key for error in errors] == ["already_reversed"]
    assert reversals(go_sim) == 1
    [done] = [result for result in results if isinstance(result, dict)]
    assert journal(hass).details(done["reference"])["original_id"] == "table-5-0001"


def _suggested(schema: vol.Schema | None) -> dict[str, Any]:
    assert schema is not None
    return {key.schema: key.description["suggested_value"] for key in schema.schema}


async def test_refund_options(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """The cap of refunds that name no sale is checked like the per-sale cap, and saved."""
    await setup_entry(hass, go_entry)
    result = await hass.config_entries.options.async_init(go_entry.entry_id)
    suggested = _suggested(result["data_schema"])
    assert suggested[CONF_REFUND_CAP] == "50.00"
    assert suggested[CONF_ALLOW_UNLINKED_REFUNDS] is True
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MAX_AMOUNT: "500", CONF_REFUND_CAP: "2.345"}
    )
    assert result["errors"] == {CONF_REFUND_CAP: "invalid_amount"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_MAX_AMOUNT: "500", CONF_REFUND_CAP: "25", CONF_ALLOW_UNLINKED_REFUNDS: False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert go_entry.options == {
        CONF_MAX_AMOUNT: "500.00",
        CONF_REFUND_CAP: "25.00",
        CONF_ALLOW_UNLINKED_REFUNDS: False,
        # The authorisation options' defaults (their own tests: test_authorization.py).
        "managers": [],
        "allow_automations": False,
    }
    result = await hass.config_entries.options.async_init(go_entry.entry_id)
    suggested = _suggested(result["data_schema"])
    assert (suggested[CONF_REFUND_CAP], suggested[CONF_ALLOW_UNLINKED_REFUNDS]) == ("25.00", False)


async def test_refusals_over_rest_are_400_with_the_numbers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="18.00", reference="table-12-0009")
    sent = go_sim.money_requests()
    status, body = await _post(
        hass,
        hass_client,
        "refund",
        {
            "device_id": device_id(hass, go_entry),
            "amount": "20.00",
            "original_reference": "table-12-0009",
        },
    )
    assert status == HTTPStatus.BAD_REQUEST, body
    assert "At most 18.00 can still be refunded of sale table-12-0009 (18.00 approved" in body
    assert go_sim.money_requests() == sent
