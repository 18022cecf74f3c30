"""``scripts/develop`` as a person runs it: Home Assistant comes up set up, Ctrl-C stops it all,
and the next run reuses what the first made."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from pathlib import Path

import pytest

from demo.hass import hass_version

from .hass_log import error_entries

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def _run_until_ready_then_ctrl_c(config_dir: Path, port: int) -> str:
    """Start scripts/develop, wait for its summary, press Ctrl-C; return what it printed."""
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "develop"),
        "--config-dir",
        str(config_dir),
        "--port",
        str(port),
        "--terminal-port",
        "0",
        "--no-advertise",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert process.stdout is not None
    printed: list[str] = []
    async with asyncio.timeout(200):
        while not any("Ctrl-C stops everything." in line for line in printed):
            line = await process.stdout.readline()
            assert line, "scripts/develop ended early:\n" + "".join(printed)
            printed.append(line.decode())
    assert _listening(port)
    process.send_signal(signal.SIGINT)
    rest, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, "".join(printed) + rest.decode()
    return "".join(printed) + rest.decode()


async def test_develop_runs_the_demo_stops_on_ctrl_c_and_reuses_it(tmp_path: Path) -> None:
    config_dir = tmp_path / "homeassistant"
    port = _free_port()

    first = await _run_until_ready_then_ctrl_c(config_dir, port)
    # It says which Home Assistant it started (the newest where Python 3.14 is).
    assert f"Home Assistant {hass_version()}: http://localhost:{port}" in first
    assert "sign in as 'demo' with password 'kinetic-demo'" in first
    assert first.count("/_sim/ui") == 4
    assert "Stopped." in first
    assert "the first start takes a minute" in first
    # Ctrl-C stopped Home Assistant too (it runs in its own process group).
    assert not _listening(port)

    storage = config_dir / ".storage"
    onboarding = json.loads((storage / "onboarding").read_text())
    assert set(onboarding["data"]["done"]) >= {"user", "core_config", "analytics", "integration"}
    entries = json.loads((storage / "core.config_entries").read_text())["data"]["entries"]
    kinetic = [entry for entry in entries if entry["domain"] == "kinetic"]
    assert len(kinetic) == 4
    # Onboarding's internet-bound extras were removed again.
    assert not {entry["domain"] for entry in entries} & {"met", "radio_browser", "google_translate"}

    # The second run signs in with the same user and adds nothing: the same four entries.
    second = await _run_until_ready_then_ctrl_c(config_dir, port)
    assert "Stopped." in second
    assert "first start" not in second
    # Neither start put an error in Home Assistant's log (the first start's is kept as .1).
    # (home-assistant.log.fault is Home Assistant's fault handler's file, not a log.)
    logs = sorted(
        path for path in config_dir.glob("home-assistant.log*") if path.suffix != ".fault"
    )
    assert len(logs) == 2
    errors = [entry for log in logs for entry in error_entries(log.read_text(encoding="utf-8"))]
    assert errors == []
    again = json.loads((storage / "core.config_entries").read_text())["data"]["entries"]
    assert [entry["entry_id"] for entry in again if entry["domain"] == "kinetic"] == [
        entry["entry_id"] for entry in kinetic
    ]
    users = json.loads((storage / "auth").read_text())["data"]["users"]
    assert [user["name"] for user in users if not user["system_generated"]] == ["Demo"]
