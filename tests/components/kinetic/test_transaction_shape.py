"""The same sale has the same card and money fields on every kind, on every surface.

The action's response, the bus event, the event entity's attributes and the journal's
lookup all show ``**** 0119``, ``visa``, an auth code only when approved, ``tip`` 0.00
and ``total`` = amount + tip (before: three masked forms, raw networks such as
``visa-qvsdc``, the DeviceService's "AUTH CODE:…" text, ``total`` null on the Payment
Engine, ``tip`` null on two kinds).
"""

from __future__ import annotations

import re
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED

from .conftest import setup_entry
from .test_payments import sale

_AUTH_CODE = re.compile(r"[0-9A-Za-z]{1,12}")


def _event_attributes(hass: HomeAssistant, reference: str) -> dict[str, Any]:
    for state in hass.states.async_all("event"):
        if state.attributes.get("reference") == reference:
            return dict(state.attributes)
    raise AssertionError(f"no event entity shows {reference}")


async def _lookup(hass: HomeAssistant, reference: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "get_transaction", {"reference": reference}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def _approved_sale_has_the_one_shape(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await setup_entry(hass, entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answer = await sale(hass, entry, amount="20.00")
    await hass.async_block_till_done()
    assert answer["result"] == "approved"
    assert (answer["amount"], answer["tip"], answer["total"]) == ("20.00", "0.00", "20.00")
    assert answer["masked_pan"] == "**** 0119"
    assert answer["card_network"] == "visa"
    assert _AUTH_CODE.fullmatch(answer["auth_code"])
    assert len(events) == 1
    data = events[0].data
    assert (data["tip"], data["total"]) == ("0.00", "20.00")
    assert (data["masked_pan"], data["card_network"]) == ("**** 0119", "visa")
    attributes = _event_attributes(hass, answer["reference"])
    assert attributes["masked_pan"] == "**** 0119"
    assert attributes["tip"] == "0.00"
    lookup = await _lookup(hass, answer["reference"])
    assert lookup["masked_pan"] == "**** 0119"
    assert lookup["card_network"] == "visa"
    assert lookup["auth_code"] == answer["auth_code"]


async def _declined_sale_has_no_auth_code(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    answer = await sale(hass, entry, amount="20.01")
    assert answer["result"] == "declined"
    assert answer["auth_code"] is None
    assert (answer["tip"], answer["total"]) == ("0.00", "20.01")
    assert answer["masked_pan"] in (None, "**** 0119")
    assert "auth_code" not in {
        key for key, value in (await _lookup(hass, answer["reference"])).items() if value
    }


async def test_kinetic_go_sales(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    await _approved_sale_has_the_one_shape(hass, go_entry)
    await _declined_sale_has_no_auth_code(hass, go_entry)


async def test_device_service_sales(hass: HomeAssistant, ds_entry: MockConfigEntry) -> None:
    await _approved_sale_has_the_one_shape(hass, ds_entry)
    await _declined_sale_has_no_auth_code(hass, ds_entry)


async def test_payment_engine_sales(hass: HomeAssistant, pe_entry: MockConfigEntry) -> None:
    await _approved_sale_has_the_one_shape(hass, pe_entry)
    await _declined_sale_has_no_auth_code(hass, pe_entry)
