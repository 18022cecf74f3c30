"""Diagnostics carry no credentials and no card data."""

from __future__ import annotations

import json
from decimal import Decimal

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.kinetic.const import DOMAIN
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator

from .conftest import setup_entry, terminal_device


async def test_diagnostics_kinetic_go(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    """A finished sale is in the diagnostics without its card data."""
    await setup_entry(hass, go_entry)
    coordinator = go_entry.runtime_data.coordinator
    terminal = coordinator.terminal
    txn = await terminal.sale(Decimal("7.00"), reference="diag-1", timeout=10)
    assert txn.masked_pan
    await coordinator.async_refresh()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, go_entry)
    text = json.dumps(diagnostics)
    for secret in go_sim.secrets():
        assert secret not in text
    assert txn.masked_pan not in text
    last = diagnostics["data"]["last_transaction"]
    assert last["result"] == "approved"
    assert last["amount"] == "7.00"
    assert last["masked_pan"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["username"] == "**REDACTED**"


async def test_diagnostics_include_the_journal(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    """The journal's records of this terminal are included, card data masked away."""
    await setup_entry(hass, go_entry)
    device = terminal_device(hass, go_entry)
    answer = await hass.services.async_call(
        DOMAIN,
        "start_sale",
        {"device_id": device.id, "amount": "8.00", "table": "2"},
        blocking=True,
        return_response=True,
    )
    assert isinstance(answer, dict)
    assert answer["masked_pan"]
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, go_entry)
    text = json.dumps(diagnostics)
    assert str(answer["masked_pan"]) not in text
    for secret in go_sim.secrets():
        assert secret not in text
    [record] = diagnostics["journal"]
    assert record["reference"] == answer["reference"]
    assert record["state"] == "final"
    assert record["result"] == "approved"
    assert record["amount"] == "8.00"
    assert record["details"]["table"] == "2"
    assert record["details"]["masked_pan"] == "**REDACTED**"
    assert record["details"]["auth_code"] == "**REDACTED**"


async def test_diagnostics_payment_engine(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    """The API key and PIN are redacted."""
    await setup_entry(hass, pe_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, pe_entry)
    text = json.dumps(diagnostics)
    for secret in pe_sim.secrets():
        assert secret not in text
    assert diagnostics["entry"]["data"]["base_url"] == pe_sim.base_url
    diagnostics["entry"]["data"]["base_url"] = "http://simulator/api/v2"
    assert diagnostics == snapshot
