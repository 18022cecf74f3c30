"""The opt-in HTTP sweep, against simulators and hostile servers on 127.0.0.x."""

from __future__ import annotations

import logging
import time

import pytest

from kinetic_integration.discovery import (
    DiscoveredTerminal,
    DiscoverySource,
    HttpSweep,
    SweepCredentials,
    auto_networks,
    sweep_targets,
)
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.simulator import DeviceServiceSimulator, KineticGoSimulator
from tests.library.discovery import helpers
from tests.log_hygiene import register_secret


async def test_sweep_identifies_each_kind_and_skips_closed_and_silent_hosts(
    kinetic_go_sim: KineticGoSimulator,
    device_service_sim: DeviceServiceSimulator,
) -> None:
    """127.0.0.0/28: two Go 2, one DeviceService, a host that never answers, closed ports."""
    async with (
        KineticGoSimulator(host="127.0.0.5", serial="KG2SWEEP0002", name="Terrace") as second,
        helpers.tcp_server("127.0.0.6", helpers.hang) as hang_port,
    ):
        register_secret(*second.secrets())
        ports = [kinetic_go_sim.port, device_service_sim.port, second.port, hang_port]
        sweep = HttpSweep(ports=ports, concurrency=8, timeout=0.5)
        seen: list[DiscoveredTerminal] = []
        started = time.monotonic()
        found = await sweep.sweep("127.0.0.0/28", seen.append)
        elapsed = time.monotonic() - started
        money = kinetic_go_sim.money_requests() + device_service_sim.money_requests()
        money += second.money_requests()
    by_address = {(t.host, t.port): t for t in found}
    assert set(by_address) == {
        ("127.0.0.2", kinetic_go_sim.port),
        ("127.0.0.3", device_service_sim.port),
        ("127.0.0.5", second.port),
    }
    assert by_address["127.0.0.2", kinetic_go_sim.port].kind is TerminalKind.KINETIC_GO
    assert by_address["127.0.0.5", second.port].kind is TerminalKind.KINETIC_GO
    # The DeviceService answered 401 with its documented body: identified all the same.
    assert by_address["127.0.0.3", device_service_sim.port].kind is TerminalKind.DEVICE_SERVICE
    assert all(t.source is DiscoverySource.SWEEP and t.serial is None for t in found)
    assert sorted(seen, key=lambda t: t.address) == sorted(found, key=lambda t: t.address)
    # 14 hosts x 4 ports were probed; the silent host cost one deadline, not the whole sweep.
    assert sweep.probes == 14 * 4
    assert elapsed < 3.0
    assert sweep.max_in_flight <= 8
    assert money == 0


async def test_credentials_read_the_go_serial_once_and_a_rejection_is_final(
    kinetic_go_sim: KineticGoSimulator,
    device_service_sim: DeviceServiceSimulator,
) -> None:
    good = HttpSweep(
        ports=[kinetic_go_sim.port],
        credentials={
            TerminalKind.KINETIC_GO: SweepCredentials(
                kinetic_go_sim.username, str(kinetic_go_sim.describe()["password"])
            )
        },
        timeout=1.0,
    )
    [found] = await good.sweep("127.0.0.2/32")
    assert found.serial == kinetic_go_sim.serial
    assert "hunter2" not in repr(SweepCredentials("u", "hunter2"))

    wrong = HttpSweep(
        ports=[kinetic_go_sim.port, device_service_sim.port],
        credentials={
            TerminalKind.KINETIC_GO: SweepCredentials("nobody", "wrong-passcode"),
            TerminalKind.DEVICE_SERVICE: SweepCredentials("nobody", "wrong-passcode"),
        },
        timeout=1.0,
    )
    found_wrong = await wrong.sweep(["127.0.0.2/32", "127.0.0.3/32"])
    kinds = {(t.host, t.kind, t.serial) for t in found_wrong}
    # Still identified (ping needs no credentials; the DS 401 body identifies it), no serial.
    assert ("127.0.0.2", TerminalKind.KINETIC_GO, None) in kinds
    assert ("127.0.0.3", TerminalKind.DEVICE_SERVICE, None) in kinds
    assert kinetic_go_sim.money_requests() == 0
    assert device_service_sim.money_requests() == 0


async def test_rejected_credentials_are_never_retried() -> None:
    requests: list[tuple[str, bool]] = []
    async with helpers.tcp_server("127.0.0.8", helpers.recording_go(requests)) as port:
        sweep = HttpSweep(
            ports=[port],
            credentials={TerminalKind.KINETIC_GO: SweepCredentials("nobody", "wrong-passcode")},
            timeout=1.0,
        )
        [found] = await sweep.sweep("127.0.0.8/32")
    assert found.serial is None
    # One unauthenticated ping, one authenticated device read; nothing else, no retry.
    assert requests == [("/api/v2/ping.json", False), ("/api/v2/device.json", True)]


@pytest.mark.parametrize(
    "behaviour",
    [
        helpers.html,
        helpers.huge,
        helpers.huge_declared,
        helpers.gzip_bomb,
        helpers.drip,
        helpers.wrong_json,
        helpers.hang,
    ],
    ids=[
        "html",
        "huge-body",
        "huge-content-length",
        "gzip-bomb",
        "slow-drip",
        "wrong-json",
        "hang",
    ],
)
async def test_hostile_answers_are_ignored_with_a_debug_log(
    behaviour: helpers.Behaviour,
    kinetic_go_sim: KineticGoSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="kinetic_integration.discovery")
    async with helpers.tcp_server("127.0.0.7", behaviour) as port:
        sweep = HttpSweep(ports=[port, kinetic_go_sim.port], timeout=0.4, max_body=4096)
        started = time.monotonic()
        found = await sweep.sweep(["127.0.0.7/32", "127.0.0.2/32"])
        elapsed = time.monotonic() - started
    # The real terminal in the same sweep is still found; the hostile one is not.
    assert [(t.host, t.port) for t in found] == [("127.0.0.2", kinetic_go_sim.port)]
    assert elapsed < 1.5
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("sweep")]
    assert any(f"127.0.0.7:{port}" in message for message in logged), logged
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name.endswith("sweep"))


async def test_concurrency_is_bounded() -> None:
    sweep = HttpSweep(ports=[9, 10], concurrency=4, timeout=0.5)
    found = await sweep.sweep("127.0.0.64/27")
    assert found == []
    assert sweep.probes == 30 * 2
    assert sweep.max_in_flight == 4
    assert sweep.in_flight == 0


def test_targets_are_opt_in_and_bounded() -> None:
    assert sweep_targets("127.0.0.8/30") == ["127.0.0.9", "127.0.0.10"]
    assert sweep_targets("127.0.0.9/32") == ["127.0.0.9"]
    assert len(sweep_targets("127.0.1.0/24")) == 254
    with pytest.raises(ValueError, match="/20"):
        sweep_targets("127.0.0.0/16")
    with pytest.raises(ValueError, match="IPv4"):
        sweep_targets("::1/128")
    with pytest.raises(ValueError, match="does not appear to be"):
        sweep_targets("not-a-network")


def test_auto_means_own_subnets_capped_at_a_22() -> None:
    """Computed from a given interface list: nothing is read from, or sent to, the network."""
    # Documentation addresses (RFC 5737) stand in for a LAN's: they are never routed.
    networks = auto_networks(
        [("127.0.0.1", 8), ("169.254.3.4", 16), ("198.51.100.3", 8), ("203.0.113.20", 24)]
    )
    assert [str(n) for n in networks] == ["198.51.100.0/22", "203.0.113.0/24"]
    hosts = sweep_targets("auto", local_addresses=[("198.51.100.3", 8)])
    assert len(hosts) == 1022
