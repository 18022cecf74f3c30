"""Home Assistant's own logbook (recorder and all) lists each final transaction once.

The recorder must start before Home Assistant's test instance, so this module puts it
ahead of the fixture that enables custom integrations (which starts the instance).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.const import DOMAIN
from tests.log_hygiene import find_secrets

from .conftest import setup_entry
from .test_audit import _sale
from .users import staff_context


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder first, then Home Assistant with custom integrations enabled."""


async def test_the_logbook_shows_the_entry_and_the_user(
    recorder_mock: Any,
    hass: HomeAssistant,
    hass_ws_client: Any,
    go_entry: MockConfigEntry,
) -> None:
    """Home Assistant's own logbook lists the entry, by the user who started it."""
    assert await async_setup_component(hass, "logbook", {})
    await setup_entry(hass, go_entry)
    context = await staff_context(hass)
    start = datetime.now(UTC)
    answer = await _sale(hass, go_entry, context, amount="9.00")
    await hass.async_block_till_done()
    await hass.async_add_executor_job(recorder_mock.block_till_done)
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {"type": "logbook/get_events", "start_time": (start - timedelta(seconds=1)).isoformat()}
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    ours = [row for row in reply["result"] if row.get("domain") == DOMAIN]
    assert len(ours) == 1, reply["result"]
    assert ours[0]["name"] == answer["reference"]
    assert ours[0]["message"].startswith("€9.00 sale approved on Kinetic Go 2 KG2SIM0001")
    assert ours[0]["message"].endswith("started by anna")
    assert ours[0]["context_user_id"] == context.user_id
    # No secret and no full card number in what the logbook keeps.
    assert find_secrets([json.dumps(row) for row in reply["result"]]) == []
