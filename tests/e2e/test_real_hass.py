"""A fresh, real Home Assistant used through its REST API logs nothing of ours.

Home Assistant runs as ``scripts/develop`` runs it (the newest release where Python 3.14 is,
or the one ``KINETIC_HASS_PYTHON`` names): a new configuration directory, onboarding, one
entry of each kind added through the config flow over REST, a sale through the REST API
(the simulated customer pays by itself), then ``home-assistant.log`` must hold no warning
or error from the integration, from the library, or from Home Assistant's frame reporter
(its deprecation reports) about this integration.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from demo.runner import Demo, DemoSettings, run_demo

pytestmark = pytest.mark.timeout(300)

#: A log line's level and logger: "2026-12-02 09:00:00.123 WARNING (MainThread) [logger] ...".
LOG_LINE = re.compile(r"^\S+ \S+ (?P<level>[A-Z]+) \([^)]*\) \[(?P<logger>[^\]]+)\] (?P<text>.*)")
OURS = ("custom_components.kinetic", "kinetic_integration")
REPORTERS = ("homeassistant.helpers.frame", "homeassistant.helpers.deprecation")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def complaints(log: str) -> list[str]:
    """Return the WARNING and ERROR lines of ours, or of the frame reporter about us."""
    found = []
    for line in log.splitlines():
        match = LOG_LINE.match(line)
        if match is None or match["level"] not in ("WARNING", "ERROR", "CRITICAL"):
            continue
        logger = match["logger"]
        if any(logger == name or logger.startswith(name + ".") for name in OURS) or (
            logger in REPORTERS and "kinetic" in match["text"]
        ):
            found.append(line)
    return found


def test_complaints_picks_our_warnings_and_reports_about_us() -> None:
    log = "\n".join(
        [
            "2026-12-02 09:00:00.001 WARNING (MainThread) [custom_components.kinetic.sensor] x",
            "2026-12-02 09:00:00.002 ERROR (MainThread) [kinetic_integration.client] y",
            "2026-12-02 09:00:00.003 WARNING (MainThread) [homeassistant.helpers.frame] "
            "Detected that custom integration 'kinetic' calls a deprecated thing",
            "2026-12-02 09:00:00.004 WARNING (MainThread) [homeassistant.helpers.frame] "
            "Detected that integration 'met' calls a deprecated thing",
            "2026-12-02 09:00:00.005 INFO (MainThread) [custom_components.kinetic] fine",
            "2026-12-02 09:00:00.006 WARNING (SyncWorker_0) [homeassistant.loader] We found "
            "a custom integration kinetic which has not been tested by Home Assistant",
        ]
    )
    assert [line[24:31] for line in complaints(log)] == ["WARNING", "ERROR (", "WARNING"]


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """A fresh Home Assistant with the simulated fleet added; the customer pays at once."""
    settings = DemoSettings(
        config_dir=tmp_path / "homeassistant",
        hass_port=_free_port(),
        # Addresses and ports of its own, so it cannot collide with other tests.
        first_host=40,
        terminal_port=0,
        customer_delay=0.1,
        advertise=False,
    )
    async with run_demo(settings) as running:
        yield running


async def test_fresh_home_assistant_onboarded_configured_and_charged_over_rest(
    demo: Demo,
) -> None:
    assert demo.api is not None
    assert demo.new_config
    # Onboarding made the owner; the config flow made one entry per terminal, every kind.
    kinds = sorted(str(sim.kind) for sim in demo.fleet.simulators)
    assert kinds == ["device-service", "kinetic-go", "kinetic-go", "payment-engine"]
    assert len(demo.entries) == 4, demo.entries
    assert {entry["state"] for entry in demo.entries} == {"loaded"}, demo.entries

    # Home Assistant 2026.x holds the HTTP settings as pending until confirmed (then it
    # would revert them, to every address): the demo confirmed them; 2025.4 has no such step.
    if demo.hass_version and int(demo.hass_version.split(".")[0]) >= 2026:
        http = await demo.api.websocket({"type": "http/config"})
        assert (http["pending"], http["revert_at"]) == (None, None), http
        assert http["stable"]["server_host"] == ["127.0.0.1"], http

    # A sale through the REST API, answered with the outcome.
    [go] = [sim for sim in demo.fleet.simulators if sim.name == "Kinetic Go 2 KG2SIM0001"]
    state = f"sensor.kinetic_go_2_{str(go.describe()['serial']).lower()}_state"
    device_id = (await demo.api.render(f"{{{{ device_id('{state}') }}}}")).strip()
    assert device_id not in ("", "None")
    result = await demo.api.call_service(
        "kinetic",
        "start_sale",
        {"device_id": device_id, "amount": "12.30", "reference": "rest-sale-1", "wait": True},
        return_response=True,
    )
    assert result["result"] == "approved", result
    assert (result["amount"], result["reference"]) == ("12.30", "rest-sale-1")
    assert [charge.amount for charge in go.charges()] == [Decimal("12.30")]

    # Nothing of ours complained, and Home Assistant reported nothing about us.
    log = (demo.settings.config_dir / "home-assistant.log").read_text(encoding="utf-8")
    assert "We found a custom integration kinetic" in log
    assert complaints(log) == []
