"""The control API answers loopback clients only, unless a simulator is told otherwise.

The refusal of a client off this machine is checked with a real request from a
non-loopback address: a child process in its own user and network namespace
(``unshare -rn``, root there and nowhere else) gives its loopback interface a second
address, 10.77.0.1, and sends from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path

import aiohttp
import pytest

from kinetic_integration.simulator import Fleet, KineticGoSimulator
from kinetic_integration.simulator.control_access import (
    control_allowed,
    is_loopback_client,
    refusal_text,
)

ROOT = Path(__file__).parents[3]

#: Runs in the namespace: bring loopback up, add 10.77.0.1 (an alias, as ifconfig does),
#: then ask a simulator listening on every address from 10.77.0.1 and from 127.0.0.1.
_IN_NAMESPACE = r"""
import asyncio, fcntl, json, socket, struct
import aiohttp
from kinetic_integration.simulator import KineticGoSimulator

SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCSIFADDR, IFF_UP = 0x8913, 0x8914, 0x8916, 0x1
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    asked = fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH", b"lo", 0))
    flags = struct.unpack("16sH", asked[:18])[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))
    fcntl.ioctl(
        s,
        SIOCSIFADDR,
        struct.pack("16sH2s4s8x", b"lo:1", socket.AF_INET, b"", socket.inet_aton("10.77.0.1")),
    )

REMOTE, LOCAL = "10.77.0.1", "127.0.0.1"


async def ask(sim, method, path, source, **kwargs):
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        url = f"http://{source}:{sim.port}{path}"
        async with session.request(method, url, **kwargs) as answer:
            return [answer.status, await answer.text()]


async def main():
    found = {}
    auth = None
    async with KineticGoSimulator(host="0.0.0.0", port=0) as sim:
        described = sim.describe()
        auth = aiohttp.BasicAuth(described["username"], described["password"])
        found["remote_state"] = await ask(sim, "GET", "/_sim/state", REMOTE)
        found["remote_ui"] = await ask(sim, "GET", "/_sim/ui", REMOTE)
        found["remote_cable"] = await ask(
            sim, "POST", "/_sim/cable", REMOTE, json={"connected": False}
        )
        found["cable_still_connected"] = sim.cable_connected
        found["remote_terminal_api"] = await ask(
            sim, "GET", "/api/v2/device.json", REMOTE, auth=auth
        )
        found["local_state"] = await ask(sim, "GET", "/_sim/state", LOCAL)
    allowed = KineticGoSimulator(host="0.0.0.0", port=0)
    allowed.allow_remote_control = True
    async with allowed:
        found["allowed_remote_state"] = await ask(allowed, "GET", "/_sim/state", REMOTE)
    print(json.dumps(found))


asyncio.run(main())
"""


def test_who_is_a_loopback_client() -> None:
    """Loopback in every spelling; anything else, or no address, is not."""
    remote: str | None
    for remote in ("127.0.0.1", "127.0.0.42", "::1", "::ffff:127.0.0.1"):
        assert is_loopback_client(remote), remote
        assert control_allowed(remote, allow_remote=False)
    for remote in ("10.77.0.1", "192.168.1.20", "::ffff:10.0.0.1", "fe80::1%eth0", "", None, "x"):
        assert not is_loopback_client(remote), remote
        assert not control_allowed(remote, allow_remote=False)
        assert control_allowed(remote, allow_remote=True)
    assert "allow_remote_control=True" in refusal_text("10.77.0.1")
    assert "10.77.0.1 is not one" in refusal_text("10.77.0.1")


async def test_loopback_clients_are_answered(caplog: pytest.LogCaptureFixture) -> None:
    """A client on loopback drives the simulator; the start says who may."""
    caplog.set_level(logging.INFO, logger="kinetic_integration.simulator")
    async with (
        KineticGoSimulator(host="127.0.0.60", port=0) as sim,
        aiohttp.ClientSession() as session,
    ):
        answer = await session.get(f"{sim.url}/_sim/state")
        assert answer.status == 200
    assert "The control API (/_sim/) answers loopback clients only" in caplog.text
    fleet = Fleet(kinetic_go=1, device_service=1, payment_engine=0, first_host=61, port=0)
    assert [sim.allow_remote_control for sim in fleet.simulators] == [False, False]
    remote = Fleet(kinetic_go=1, device_service=0, payment_engine=1, allow_remote_control=True)
    assert [sim.allow_remote_control for sim in remote.simulators] == [True, True]


async def test_a_client_off_this_machine_is_refused() -> None:
    """A real request from 10.77.0.1: 403 saying why, nothing done; the terminal API works."""
    process = await asyncio.create_subprocess_exec(
        "unshare",
        "-rn",
        sys.executable,
        "-c",
        _IN_NAMESPACE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    found = json.loads(stdout)
    for asked in ("remote_state", "remote_ui", "remote_cable"):
        status, body = found[asked]
        assert status == 403, asked
        assert body == refusal_text("10.77.0.1")
    assert found["cable_still_connected"] is True
    assert found["remote_terminal_api"][0] == 200
    assert found["local_state"][0] == 200
    assert found["allowed_remote_state"][0] == 200
