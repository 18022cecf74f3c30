"""Another site's page in a browser on this machine cannot drive the control API.

A browser is a loopback client for every page it shows, so the control API refuses what
only another site's page sends: a ``Host`` that is not this machine (DNS rebinding), an
``Origin`` other than the simulator's own, and a ``POST`` that is not JSON (which a page
may send anywhere without a CORS preflight). Real requests to a loopback simulator; each
refusal leaves the simulator as it was.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest

from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.simulator.control_access import is_local_host, is_own_origin

HOST = "127.0.0.62"
EVIL = "http://evil.example"
REBOUND = "rebind.evil.example:8080"


def _paper(sim: KineticGoSimulator) -> bool:
    """Whether the simulated printer has paper (read afresh each time)."""
    return sim.printer.paper


async def _post(
    session: aiohttp.ClientSession, sim: KineticGoSimulator, path: str, **kwargs: object
) -> tuple[int, str]:
    async with session.post(f"{sim.url}{path}", **kwargs) as answer:  # type: ignore[arg-type]
        return answer.status, await answer.text()


async def test_another_sites_requests_are_refused(caplog: pytest.LogCaptureFixture) -> None:
    """text/plain, a foreign Origin, a rebound Host: refused, the paper stays in."""
    caplog.set_level(logging.WARNING, logger="kinetic_integration.simulator")
    async with (
        KineticGoSimulator(host=HOST, port=0) as sim,
        aiohttp.ClientSession() as session,
    ):
        own = f"http://{HOST}:{sim.port}"
        # The reviewer's request: a "simple" cross-site POST, no preflight needed.
        status, text = await _post(
            session,
            sim,
            "/_sim/printer",
            data='{"paper": false}',
            headers={"Content-Type": "text/plain", "Origin": EVIL, "Host": REBOUND},
        )
        assert status == 403
        assert "rebind.evil.example" in text
        # Each check on its own.
        status, text = await _post(
            session, sim, "/_sim/printer", data='{"paper": false}',
            headers={"Content-Type": "text/plain"},
        )  # fmt: skip
        assert status == 415
        assert "application/json" in text
        status, text = await _post(
            session, sim, "/_sim/printer", json={"paper": False}, headers={"Origin": EVIL}
        )
        assert status == 403
        assert EVIL in text
        status, _ = await _post(
            session, sim, "/_sim/printer", json={"paper": False}, headers={"Host": REBOUND}
        )
        assert status == 403
        # A page that calls itself "null" (a sandboxed frame, a file) is another site too.
        status, _ = await _post(
            session, sim, "/_sim/printer", json={"paper": False}, headers={"Origin": "null"}
        )
        assert status == 403
        # DNS rebinding would also read the state; a body-less POST is not JSON either.
        async with session.get(f"{sim.url}/_sim/state", headers={"Host": REBOUND}) as answer:
            assert answer.status == 403
        status, _ = await _post(session, sim, "/_sim/reboot")
        assert status == 415
        assert _paper(sim)
        assert "Refused the control API (POST /_sim/printer)" in caplog.text
        # The simulator's own page (same origin), localhost and plain clients are answered.
        status, _ = await _post(
            session, sim, "/_sim/printer", json={"paper": False}, headers={"Origin": own}
        )
        assert status == 200
        assert not _paper(sim)
        local = {"Host": f"localhost:{sim.port}", "Origin": f"http://localhost:{sim.port}"}
        status, _ = await _post(session, sim, "/_sim/printer", json={"paper": True}, headers=local)
        assert status == 200
        assert _paper(sim)
        assert (await _post(session, sim, "/_sim/reboot", json={}))[0] == 200
        # The terminal API is not the control API: a real terminal checks none of this.
        async with session.get(f"{sim.url}/api/v2/device.json", headers={"Host": REBOUND}) as raw:
            assert raw.status == 401  # asks for its credentials, as the real one does


async def test_remote_control_allows_other_names_not_other_sites() -> None:
    """Allowed remote control: another Host is fine (a tablet), another site still not."""
    sim = KineticGoSimulator(host=HOST, port=0)
    sim.allow_remote_control = True
    async with sim, aiohttp.ClientSession() as session:
        name = f"bench-pc.lan:{sim.port}"
        tablet = {"Host": name, "Origin": f"http://{name}"}
        status, _ = await _post(
            session, sim, "/_sim/printer", json={"paper": False}, headers=tablet
        )
        assert status == 200
        status, _ = await _post(
            session, sim, "/_sim/printer", json={"paper": True},
            headers={"Host": f"bench-pc.lan:{sim.port}", "Origin": EVIL},
        )  # fmt: skip
        assert status == 403
        assert not _paper(sim)


def test_which_hosts_and_origins_are_this_machine() -> None:
    """Loopback, localhost and the address listened on; nothing else."""
    for host in ("127.0.0.2:8080", "localhost", "LOCALHOST:1", "sim.localhost:80", "[::1]:8080"):
        assert is_local_host(host), host
    assert is_local_host(None)
    assert is_local_host("sim-box:8080", bound="sim-box")
    for host in ("evil.example", "192.168.1.20:8080", "0.0.0.0:8080", "[fe80::1]:80", ""):
        assert not is_local_host(host, bound="::"), host
    assert not is_local_host("[::]:8080", bound="::")
    assert is_own_origin(None, "http", "127.0.0.2:8080")
    assert is_own_origin("http://127.0.0.2:8080", "http", "127.0.0.2:8080")
    assert not is_own_origin("http://127.0.0.2:8081", "http", "127.0.0.2:8080")
    assert not is_own_origin("https://127.0.0.2:8080", "http", "127.0.0.2:8080")
    assert not is_own_origin("http://127.0.0.2:8080", "http", None)
