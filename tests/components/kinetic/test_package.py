"""The HACS release zip installs into a fresh configuration and sets up a terminal.

This starts a real Home Assistant (``hass --config <tmp>``) in a subprocess with the
integration unpacked from the zip and a simulated Kinetic Go 2 on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import zipfile
from pathlib import Path

from homeassistant.const import CONF_HOST, CONF_PORT

from kinetic_integration.simulator import KineticGoSimulator

from .conftest import go_data

ROOT = Path(__file__).parents[3]
HASS = Path(sys.executable).with_name("hass")
CONFIGURATION = """\
homeassistant:
  name: Kinetic package test
  time_zone: UTC
  currency: EUR
  country: GB
kinetic:
logger:
  default: warning
  logs:
    homeassistant.bootstrap: info
    custom_components.kinetic: debug
"""


async def _run(*args: str, cwd: Path) -> str:
    # This interpreter builds the zip: the only Python a Home Assistant environment may have.
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env={**os.environ, "PYTHON": sys.executable},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


def _stub_frontend(config: Path) -> None:
    """Stand in for the frontend, whose 90 MB build the test environment does not install.

    Home Assistant restarts in recovery mode when ``frontend`` does not load; nothing of
    the kinetic integration depends on it.
    """
    stub = config / "custom_components" / "frontend"
    stub.mkdir(parents=True)
    (stub / "manifest.json").write_text(
        json.dumps({"domain": "frontend", "name": "Frontend stub", "version": "0.0.0"})
    )
    (stub / "__init__.py").write_text("async def async_setup(hass, config):\n    return True\n")


def _config_entry(data: dict[str, object]) -> dict[str, object]:
    return {
        "version": 1,
        "minor_version": 1,
        "key": "core.config_entries",
        "data": {
            "entries": [
                {
                    "entry_id": "01JKINETICPACKAGETEST00001",
                    "version": 1,
                    "domain": "kinetic",
                    "title": "Kinetic Go 2 KG2SIM0001",
                    "data": data,
                    "options": {},
                    "source": "user",
                    "unique_id": "KG2SIM0001",
                    "disabled_by": None,
                    "pref_disable_new_entities": False,
                    "pref_disable_polling": False,
                }
            ]
        },
    }


async def test_release_zip_sets_up_in_home_assistant(
    go_sim: KineticGoSimulator, tmp_path: Path
) -> None:
    """Build the zip, unpack it into a new config directory, start Home Assistant."""
    archive = tmp_path / "kinetic.zip"
    await _run(str(ROOT / "scripts" / "package"), "--zip-only", str(archive), cwd=ROOT)
    with zipfile.ZipFile(archive) as release:
        names = set(release.namelist())
        assert {"manifest.json", "translations/en.json", "brand/icon.png"} <= names
        config = tmp_path / "config"
        release.extractall(config / "custom_components" / "kinetic")
    (config / "configuration.yaml").write_text(CONFIGURATION)
    _stub_frontend(config)
    (config / ".storage").mkdir()
    data = go_data(go_sim)
    (config / ".storage" / "core.config_entries").write_text(json.dumps(_config_entry(data)))

    # Only the unpacked copy may be importable: run outside the repository.
    # pytest-cov's variables are dropped too: the subprocess runs the unpacked copy.
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTHONPATH" and not key.startswith("COV_CORE")
    }
    proc = await asyncio.create_subprocess_exec(
        str(HASS), "--config", str(config), "--skip-pip",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    log = config / "home-assistant.log"
    try:
        for _ in range(400):
            text = log.read_text() if log.exists() else ""
            # Stop only once started: the registries are written at a graceful stop.
            if "success: True" in text and "Home Assistant initialized" in text:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"kinetic was not set up:\n{text[-3000:]}")
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    text = log.read_text()
    assert "We found a custom integration kinetic" in text
    assert "recovery mode" not in text
    ours = [line for line in text.splitlines() if "[custom_components.kinetic]" in line]
    assert not [line for line in ours if " ERROR " in line or " WARNING " in line]
    registry = json.loads((config / ".storage" / "core.entity_registry").read_text())
    entities = {e["entity_id"] for e in registry["data"]["entities"] if e["platform"] == "kinetic"}
    assert {
        "sensor.kinetic_go_2_kg2sim0001_state",
        "sensor.kinetic_go_2_kg2sim0001_screen",
        "binary_sensor.kinetic_go_2_kg2sim0001_connectivity",
    } <= entities
    devices = json.loads((config / ".storage" / "core.device_registry").read_text())
    [device] = [
        d for d in devices["data"]["devices"] if ["kinetic", "KG2SIM0001"] in d["identifiers"]
    ]
    assert device["serial_number"] == "KG2SIM0001"
    assert data[CONF_HOST] == go_sim.host
    assert data[CONF_PORT] == go_sim.port
