"""Ordinary refusals through Home Assistant's REST API: 400 with the message, no traceback.

Each case is refused before anything reaches the terminal; a REST caller gets HTTP 400
with the translated message (as the UI gets it over the websocket), and Home Assistant's
log shows no error for what is the caller's mistake.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic.const import DOMAIN
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import setup_entry
from .test_payments import device_id


async def _post(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    service: str,
    data: dict[str, Any],
) -> tuple[int, str]:
    """Call a kinetic action over REST (asking for its response) and return the answer."""
    assert await async_setup_component(hass, "api", {})
    client = await hass_client()
    answer = await client.post(f"/api/services/{DOMAIN}/{service}?return_response", json=data)
    return answer.status, await answer.text()


def _no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not noisy, [r.getMessage() for r in noisy]


@pytest.mark.parametrize(
    ("entry_name", "service", "data", "message"),
    [
        (
            "ds_entry",
            "refund",
            {"amount": "4.00"},
            "The DeviceService (Castles MP200) does not support this (refund); nothing was sent",
        ),
        (
            "pe_entry",
            "reverse",
            {"transaction_id": "abc"},
            "The USAePay Payment Engine does not support this (reversal); nothing was sent",
        ),
        ("go_entry", "start_sale", {"amount": "-5"}, "amount must be greater than zero"),
        ("go_entry", "start_sale", {"amount": "12.345"}, "more than two decimal places"),
        (
            "go_entry",
            "start_sale",
            {"amount": "600.00"},
            "The amount is above the largest amount allowed per sale (500.00)",
        ),
        (
            "go_entry",
            "print_receipt",
            {"reference": "NOSUCHREF1"},
            "The terminal could not do it: Transaction NOSUCHREF1 not found",
        ),
    ],
)
async def test_refusals_are_400_with_the_message(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    *,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
    entry_name: str,
    service: str,
    data: dict[str, Any],
    message: str,
) -> None:
    """Refund on an MP200, bad amounts, reverse on a Payment Engine, an unknown reference."""
    entry, sim = {
        "go_entry": (go_entry, go_sim),
        "ds_entry": (ds_entry, ds_sim),
        "pe_entry": (pe_entry, pe_sim),
    }[entry_name]
    await setup_entry(hass, entry)
    caplog.clear()
    status, body = await _post(
        hass, hass_client, service, {"device_id": device_id(hass, entry), **data}
    )
    assert status == HTTPStatus.BAD_REQUEST, body
    assert message in body
    assert sim.money_requests() == 0
    assert not sim.ledger
    _no_error_logged(caplog)


async def test_unknown_reference_in_the_journal(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """get_transaction for a reference the journal never saw: 400 with its name."""
    await setup_entry(hass, go_entry)
    caplog.clear()
    status, body = await _post(hass, hass_client, "get_transaction", {"reference": "NOSUCHREF2"})
    assert status == HTTPStatus.BAD_REQUEST, body
    assert "The journal has no transaction NOSUCHREF2" in body
    _no_error_logged(caplog)
