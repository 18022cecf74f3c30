"""What a Kinetic Go keeps itself, in Home Assistant: transactions, receipts, settings, print.

Everything runs against the simulator over loopback: the terminal's own transaction list
(sales started on the terminal included), a receipt without printing, formatted printing
with the seed's text attributes, the outcome flags and ``settings.json`` in diagnostics.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration import KineticGoClient, ReceiptCopy
from kinetic_integration.simulator import DeviceServiceSimulator, KineticGoSimulator

from .conftest import setup_entry
from .test_actions import act
from .test_payments import sale

_FLAGS = (
    "signature_required",
    "is_reversed",
    "is_deferred_auth",
    "deferred_auth_attempts",
    "last_deferred_auth_attempt_at",
)


async def _client_receipt(sim: KineticGoSimulator, reference: str) -> list[dict[str, Any]]:
    described = sim.describe()
    async with KineticGoClient(
        sim.host, sim.port, username=str(described["username"]), password=str(described["password"])
    ) as client:
        return await client.receipt(reference, ReceiptCopy.MERCHANT)


async def _settle(sim: KineticGoSimulator) -> None:
    """Wait until the transaction running on the terminal has finished."""
    current = sim.device.current
    if current is not None:
        async with asyncio.timeout(10):
            await current.done.wait()


async def test_get_transactions_lists_the_terminals_database(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Sales from Home Assistant and from the terminal itself; every filter applies."""
    await setup_entry(hass, go_entry)
    declined = await sale(hass, go_entry, amount="3.01")
    approved = await sale(hass, go_entry, amount="4.00")
    local = go_sim.start_on_terminal(Decimal("2.50"))
    await _settle(go_sim)
    listing = await act(hass, "get_transactions", go_entry, response=True)
    assert listing is not None
    rows = {row["reference"]: row for row in listing["transactions"]}
    assert set(rows) == {declined["reference"], approved["reference"], local}
    assert rows[local]["amount"] == "2.50"
    assert rows[local]["result"] == "approved"
    assert rows[local]["type"] == "sale"
    assert rows[local]["is_reversed"] is False
    assert rows[local]["masked_pan"]
    assert rows[local]["started_at"]
    assert listing["transactions"][0]["reference"] == local  # newest first
    only = await act(hass, "get_transactions", go_entry, response=True, result="declined")
    assert only is not None
    assert [row["reference"] for row in only["transactions"]] == [declined["reference"]]
    one = await act(hass, "get_transactions", go_entry, response=True, limit=1)
    assert one is not None
    assert [row["reference"] for row in one["transactions"]] == [local]
    later = await act(hass, "get_transactions", go_entry, response=True, since="2999-01-01")
    assert later == {"transactions": []}
    earlier = await act(
        hass, "get_transactions", go_entry, response=True, until="2000-01-01 00:00:00"
    )
    assert earlier == {"transactions": []}
    refunds = await act(hass, "get_transactions", go_entry, response=True, type="refund")
    assert refunds == {"transactions": []}
    await act(hass, "reverse", go_entry, response=True, transaction_id=approved["reference"])
    sales = await act(hass, "get_transactions", go_entry, response=True, type="sale")
    assert sales is not None
    assert [row["reference"] for row in sales["transactions"] if row["is_reversed"]] == [
        approved["reference"]
    ]


async def test_get_transactions_refusals_are_translated(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
) -> None:
    """A kind without a transaction list, a reversed window, a limit above the cap."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "get_transactions", ds_entry, response=True)
    assert err.value.translation_key == "unsupported"
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass,
            "get_transactions",
            go_entry,
            response=True,
            since="2026-02-02",
            until="2026-02-01",
        )
    assert err.value.translation_key == "invalid_input"
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "get_transactions", go_entry, response=True, limit=5000)
    assert err.value.translation_key == "invalid_input"
    with pytest.raises(vol.Invalid):
        await act(hass, "get_transactions", go_entry, response=True, result="maybe")


async def test_get_receipt_returns_lines_and_instructions_without_printing(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The latest (or a named) transaction's receipt; the printer stays untouched."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "get_receipt", go_entry, response=True)
    assert err.value.translation_key == "invalid_input"
    paid = await sale(hass, go_entry, amount="7.00")
    latest = await act(hass, "get_receipt", go_entry, response=True)
    assert latest is not None
    document = await _client_receipt(go_sim, paid["reference"])
    assert latest["reference"] == paid["reference"]
    assert latest["copy"] == "merchant"
    assert latest["instructions"] == document
    assert any("7.00" in line for line in latest["lines"])
    cardholder = await act(
        hass, "get_receipt", go_entry, response=True, reference=paid["reference"], copy="cardholder"
    )
    assert cardholder is not None
    assert "CARDHOLDER COPY" in cardholder["lines"]
    assert go_sim.print_requests == 0
    assert go_sim.printed_instructions == []


async def test_print_text_with_the_seeds_attributes(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Top-level attributes apply to every line; a line's own override them."""
    await setup_entry(hass, go_entry)
    await act(
        hass,
        "print_text",
        go_entry,
        response=False,
        font_size=32,
        underline=True,
        lines=[
            "Table 5",
            {"text": "Thank you!", "font_size": 20, "x": 40, "reverse": True, "feed": 50},
            {"text": "Bye", "underline": False, "strikethru": True, "family": "Courier"},
            {"text": "Slanted", "skew_x": -10, "line_width": 20},
        ],
    )
    assert go_sim.printed_instructions[-1] == [
        {"command": "text", "text": "Table 5", "x": 0, "y": 0, "font_size": 32, "underline": True},
        {
            "command": "text",
            "text": "Thank you!",
            "x": 40,
            "y": 40,
            "font_size": 20,
            "underline": True,
            "reverse": True,
        },
        {"command": "scroll", "amount": 50},
        {
            "command": "text",
            "text": "Bye",
            "x": 0,
            "y": 0,
            "font_size": 32,
            "strikethru": True,
            "family": "Courier",
        },
        {
            "command": "text",
            "text": "Slanted",
            "x": 0,
            "y": 40,
            "font_size": 32,
            "underline": True,
            "line_width": 20,
            "skew_x": -10,
        },
        {"command": "scroll", "amount": 100},
    ]
    await act(hass, "print_text", go_entry, response=False, lines=["Plain"])
    assert go_sim.printed_instructions[-1][0] == {
        "command": "text",
        "text": "Plain",
        "x": 0,
        "y": 0,
        "font_size": 24,
    }


@pytest.mark.parametrize(
    "data",
    [
        {"lines": ["x"], "font_size": 500},
        {"lines": [{"text": "x", "x": -1}]},
        {"lines": [{"text": "x", "skew_x": 90}]},
        {"lines": [{"text": "x", "underline": "sometimes"}]},
        {"lines": [{"text": "x", "family": ""}]},
        {"lines": [{"text": "x", "bold": True}]},
        {"lines": [{"font_size": 20}]},
    ],
)
async def test_print_text_bad_attributes_send_nothing(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator, data: dict[str, Any]
) -> None:
    """Refused by the action's schema: not one print request reaches the terminal."""
    await setup_entry(hass, go_entry)
    with pytest.raises(vol.Invalid):
        await act(hass, "print_text", go_entry, response=False, **data)
    assert go_sim.print_requests == 0


@pytest.mark.parametrize(
    "data",
    [
        {"lines": ["bell\x07"]},
        {"lines": [{"text": "x", "family": "Arial\x00"}]},
        {"lines": ["y" * 201]},
    ],
)
async def test_print_text_refused_by_the_library_is_translated(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator, data: dict[str, Any]
) -> None:
    """What the schema lets through but the library refuses: translated, nothing sent."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "print_text", go_entry, response=False, **data)
    assert err.value.translation_key == "invalid_input"
    assert go_sim.print_requests == 0


async def test_outcome_flags_in_response_event_and_attributes(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A signature to check and a deferred authorisation reach every surface."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    signed = await sale(hass, go_entry, amount="6.06")
    assert signed["signature_required"] is True
    assert signed["is_deferred_auth"] is False
    assert signed["is_reversed"] is False
    go_sim.device.deferred_auth = True
    deferred = await sale(hass, go_entry, amount="8.05")
    assert deferred["result"] == "approved"
    assert deferred["is_deferred_auth"] is True
    assert deferred["deferred_auth_attempts"] == 1
    assert deferred["last_deferred_auth_attempt_at"]
    await hass.async_block_till_done()
    assert [event.data["signature_required"] for event in events] == [True, False]
    assert [event.data["is_deferred_auth"] for event in events] == [False, True]
    assert all(key in events[-1].data for key in _FLAGS)
    event_entity = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{go_entry.unique_id}_transaction"
    )
    assert event_entity is not None
    state = hass.states.get(event_entity)
    assert state is not None
    assert state.attributes["is_deferred_auth"] is True
    await go_entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    result_sensor = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{go_entry.unique_id}_last_transaction_result"
    )
    assert result_sensor is not None
    state = hass.states.get(result_sensor)
    assert state is not None
    assert state.state == "approved"
    assert state.attributes["is_deferred_auth"] is True
    assert state.attributes["deferred_auth_attempts"] == 1
    assert state.attributes["signature_required"] is False


async def test_diagnostics_carry_the_settings_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    """settings.json as the typed model; the merchant's ids and host address redacted."""
    go_sim.receipt_footer = ["Thank you"]
    await setup_entry(hass, go_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, go_entry)
    assert diagnostics["settings"] == {
        "host_module": "dummy",
        "host_address": "**REDACTED**",
        "host_port": 23215,
        "terminal_id": "**REDACTED**",
        "merchant_id": "**REDACTED**",
        "deferred_auth_enabled": False,
        "receipt_header": [go_sim.name],
        "receipt_footer": ["Thank you"],
        "http_enabled": True,
        "http_port": 8080,
    }
    assert go_sim.terminal_id not in json.dumps(diagnostics)
