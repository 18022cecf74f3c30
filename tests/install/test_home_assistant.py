"""A clean Home Assistant installs the library itself, from a package index, and takes a sale.

As a HACS user's installation does: the release zip is unpacked into a fresh
``config/custom_components/kinetic``; Home Assistant (started without ``--skip-pip``, in an
environment without the library) installs ``kinetic-integration`` with uv when the
integration is added through the REST config flow; then a sale runs through the REST API.
The library comes from a PEP 503 index served on loopback, built from this checkout.

Which Home Assistant and Python: see ``tests/install/environment.py`` (the
``KINETIC_INSTALL_*`` variables); by default the declared minimum, .venv's.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import zipfile
from pathlib import Path

import aiohttp
import pytest

from demo.api import DemoUser, HassApi
from demo.hass import HassProcess
from demo.runner import flow_answers
from kinetic_integration.simulator import KineticGoSimulator
from tests.log_hygiene import find_secrets

from .conftest import Dist, timed
from .environment import (
    WORK,
    Target,
    clean_env,
    copy_environment,
    ensure_template,
    installed,
    wait_started,
    write_config,
)
from .index import serve_index, write_simple_index

INDEX_HOST = "127.0.0.201"
HASS_HOST = "127.0.0.202"
TERMINAL_HOST = "127.0.0.203"
OWNER = DemoUser(name="Owner", username="owner", password="clean-install-owner")

# The first run on a fresh machine builds the clean environment (minutes); later runs copy it.
pytestmark = pytest.mark.timeout(1500)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def target() -> Target:
    """The Home Assistant and Python to install into (KINETIC_INSTALL_* or the minimum)."""
    return Target.from_environ()


@pytest.fixture
def run_dir() -> Path:
    """A fresh folder in the repository (a chroot runner sees the repository only)."""
    runs = WORK / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    return runs


def _log_lines(config: Path) -> list[str]:
    return (config / "home-assistant.log").read_text(encoding="utf-8").splitlines()


async def _device_id(api: HassApi) -> str:
    """The device of the one kinetic entry, once its entities exist."""
    for _ in range(100):
        found = (
            await api.render("{{ integration_entities('kinetic') | map('device_id') | first }}")
        ).strip()
        if found and found != "None":
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("the kinetic entry made no device")


async def test_home_assistant_installs_the_library_and_sells(
    dist: Dist, target: Target, run_dir: Path
) -> None:
    with timed(f"clean Home Assistant {target.ha_version} environment (cached after the first)"):
        template = await ensure_template(target, HASS_HOST, _free_port(HASS_HOST))
    with timed("copy the clean environment"):
        venv = copy_environment(template, run_dir / "venv")
    # Clean: the library is not there before Home Assistant installs it.
    assert installed(target, venv, "kinetic-integration") is None

    config = run_dir / "config"
    port = _free_port(HASS_HOST)
    write_config(config, HASS_HOST, port)
    with zipfile.ZipFile(dist.hacs_zip) as release:
        release.extractall(config / "custom_components" / "kinetic")
    manifest = json.loads((config / "custom_components/kinetic/manifest.json").read_text())
    requirement = f"kinetic-integration=={dist.version}"
    assert manifest["requirements"] == [requirement]
    write_simple_index(run_dir / "index", "kinetic-integration", [dist.wheel, dist.sdist], ">=3.11")

    sim = KineticGoSimulator(host=TERMINAL_HOST, customer_delay=0.3, processing_delay=0.05)
    await sim.start()
    try:
        with serve_index(run_dir / "index", INDEX_HOST) as index:
            # Home Assistant runs `uv pip install --index-strategy unsafe-first-match`: an
            # extra index is searched before the default (PyPI), so our package comes from
            # ours even if someone published the name; HA's own dependencies of it
            # (aiohttp, voluptuous, zeroconf) are installed already.
            env = clean_env({"UV_EXTRA_INDEX_URL": index.url})
            url = f"http://{HASS_HOST}:{port}"
            with (run_dir / "hass.out").open("wb") as out:
                hass = HassProcess(
                    config,
                    url=url,
                    log=out,
                    python=target.command(venv / "bin" / "python"),
                    install_requirements=True,
                    env=env,
                    # Never the repository: `python -m` would import the checkout from there.
                    cwd=run_dir,
                )
                try:
                    with timed("start Home Assistant"):
                        await hass.start(within=300)
                        await wait_started(config)
                    async with aiohttp.ClientSession() as session:
                        api = HassApi(session, url)
                        await api.create_owner(OWNER)
                        with timed("add the terminal (Home Assistant installs the library)"):
                            entry = await api.add_entry(flow_answers(sim.describe()))
                        assert entry["type"] == "create_entry", entry
                        device_id = await _device_id(api)
                        with timed("sale through the REST API"):
                            answer = await api.call_service(
                                "kinetic",
                                "start_sale",
                                {"device_id": device_id, "amount": "12.00"},
                                return_response=True,
                            )
                finally:
                    await hass.stop()
    finally:
        await sim.stop()

    sale = answer
    assert sale["result"] == "approved", sale
    assert sale["amount"] == "12.00"
    # Exactly one charge reached the (simulated) acquirer.
    assert [(c.type, str(c.amount)) for c in sim.charges()] == [("sale", "12.00")]

    lines = _log_lines(config)
    text = "\n".join(lines)
    # Home Assistant installed the requirement itself, with uv, and said so.
    assert f"Attempting install of {requirement}" in text
    assert any("Running uv pip command" in line and requirement in line for line in lines)
    assert f"Unable to install package {requirement}" not in text
    # ... from our index: uv fetched the project page and the wheel there.
    wheel_path = f"/files/{dist.wheel.name}"
    assert "GET /simple/kinetic-integration/ 200" in index.requests, index.requests
    assert f"GET {wheel_path} 200" in index.requests, index.requests
    # ... into its own environment, byte for byte the wheel we built.
    assert installed(target, venv, "kinetic-integration") == dist.version
    site = Path(
        target.run(
            venv / "bin" / "python",
            "-I",
            "-c",
            "import kinetic_integration, os; print(os.path.dirname(kinetic_integration.__file__))",
        ).strip()
    )
    assert site.is_relative_to(venv), site
    with zipfile.ZipFile(dist.wheel) as wheel:
        shipped = [n for n in wheel.namelist() if n.startswith("kinetic_integration/")]
        assert shipped
        for name in shipped:
            assert (site.parent / name).read_bytes() == wheel.read(name), name

    # Nothing of ours complained, and no secret reached the log.
    ours = [
        line
        for line in lines
        if "[custom_components.kinetic" in line or "[kinetic_integration" in line
    ]
    assert not [line for line in ours if " WARNING " in line or " ERROR " in line], ours
    assert "recovery mode" not in text.lower()
    secrets = {str(sim.describe()["password"]), OWNER.password}
    assert find_secrets(lines, secrets) == []
    shutil.rmtree(run_dir)
