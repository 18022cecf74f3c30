"""The State sensor's vocabulary: README, enum options, translations and behaviour agree.

Issue 15 (6): the README listed ``offline`` without saying when it shows, and a terminal
Home Assistant cannot reach is ``unavailable`` (Home Assistant's norm), never ``offline``.
``offline`` is what a terminal that answers says of itself.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.kinetic.const import IDLE_INTERVAL
from custom_components.kinetic.state import TerminalState
from kinetic_integration.simulator import DeviceServiceSimulator

from .conftest import setup_entry

ROOT = Path(__file__).parents[3]
TRANSLATIONS = ROOT / "custom_components" / "kinetic" / "translations"
DS = "sensor.mp200_deviceservice_127_0_0_3_8526_state"


def _readme_state_row() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return next(line for line in readme.splitlines() if line.startswith("| *State* (sensor)"))


def test_readme_lists_exactly_the_states() -> None:
    """The README's list is the enum's, and says when ``offline`` and ``unavailable`` show."""
    row = _readme_state_row()
    listed = re.findall(r"`([a-z_]+)`", row.split("(derived")[0])
    assert listed == [state.value for state in TerminalState]
    offline = row.split("`offline`:")[1]
    assert "answers but says it is offline" in offline
    assert "`unavailable`" in offline


def test_every_language_names_every_state() -> None:
    """Each translation has a name for every state, and for no other."""
    for path in sorted(TRANSLATIONS.glob("*.json")):
        names = json.loads(path.read_text(encoding="utf-8"))["entity"]["sensor"]["state"]
        assert set(names["state"]) == {state.value for state in TerminalState}, path.name


async def _poll(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + IDLE_INTERVAL + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_offline_is_said_by_the_terminal_unavailable_is_unreachable(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """A reader that says it is disconnected reads ``offline``; no answer: ``unavailable``."""
    await setup_entry(hass, ds_entry)
    state = hass.states.get(DS)
    assert state is not None
    assert state.attributes["options"] == [state.value for state in TerminalState]
    assert state.state == TerminalState.IDLE
    ds_sim.set_connected(False)
    await _poll(hass)
    assert hass.states.get(DS).state == TerminalState.OFFLINE  # type: ignore[union-attr]
    await ds_sim.stop()
    await _poll(hass)
    assert hass.states.get(DS).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
