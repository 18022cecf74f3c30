"""``kinetic discover``: one-shot listing, --json, and --watch events."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json

import pytest

from kinetic_integration.cli.discover import add_discover_parser, run_discover
from kinetic_integration.simulator import DeviceServiceSimulator, KineticGoSimulator
from kinetic_integration.simulator.advertise_udp import UdpAnnouncer
from tests.library.discovery.helpers import free_udp_port, wait_until


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kinetic")
    parser.add_argument("--json", action="store_true")
    add_discover_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


async def test_sweep_only_json_lists_each_terminal(
    kinetic_go_sim: KineticGoSimulator,
    device_service_sim: DeviceServiceSimulator,
) -> None:
    out = io.StringIO()
    args = _parse(
        "--json",
        "discover",
        "--no-zeroconf",
        "--no-broadcast",
        "--network=127.0.0.2/31",
        "--network=127.0.0.3/32",
        f"--ports={kinetic_go_sim.port},{device_service_sim.port}",
        "--host-timeout=0.5",
    )
    assert await run_discover(args, out) == 0
    listed = json.loads(out.getvalue())
    assert isinstance(listed, list)
    assert {(item["kind"], item["host"], item["port"]) for item in listed} == {
        ("kinetic-go", "127.0.0.2", kinetic_go_sim.port),
        ("device-service", "127.0.0.3", device_service_sim.port),
    }
    for item in listed:
        assert {"kind", "host", "port", "serial", "name", "source"} <= set(item)
        assert item["source"] == "sweep"


async def test_announcements_text_output() -> None:
    port = free_udp_port()
    announcer = UdpAnnouncer(
        kind="kinetic-go",
        serial="KG2CLI0001",
        name="Front",
        host="127.0.0.71",
        port=8080,
        target=("127.0.0.1", port),
        interval=0.05,
    )
    out = io.StringIO()
    args = _parse(
        "discover", "--no-zeroconf", "--bind=127.0.0.1", f"--announce-port={port}", "--timeout=0.4"
    )
    await announcer.start()
    try:
        code = await run_discover(args, out)
    finally:
        await announcer.stop()
    assert code == 0
    [line] = out.getvalue().splitlines()
    assert line.split() == ["kinetic-go", "127.0.0.71:8080", "KG2CLI0001", "Front", "announcement"]


async def test_nothing_found_and_refused_networks() -> None:
    out = io.StringIO()
    args = _parse(
        "discover",
        "--no-zeroconf",
        "--bind=127.0.0.1",
        f"--announce-port={free_udp_port()}",
        "--timeout=0.1",
    )
    assert await run_discover(args, out) == 1
    assert out.getvalue() == "no terminals found\n"
    refused = io.StringIO()
    assert await run_discover(_parse("discover", "--network=127.0.0.0/8"), refused) == 2
    assert "/20" in refused.getvalue()
    with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
        _parse("discover", "--ports=80,notaport")


async def test_watch_streams_added_moved_and_gone() -> None:
    port = free_udp_port()
    announcer = UdpAnnouncer(
        kind="kinetic-go",
        serial="KG2WATCH01",
        name="Front",
        host="127.0.0.72",
        port=8080,
        target=("127.0.0.1", port),
        interval=0.05,
    )
    out = io.StringIO()
    args = _parse(
        "--json",
        "discover",
        "--watch",
        "--no-zeroconf",
        "--bind=127.0.0.1",
        f"--announce-port={port}",
        "--stale-after=0.3",
    )
    watch = asyncio.create_task(run_discover(args, out))

    def events() -> list[dict[str, object]]:
        return [json.loads(line) for line in out.getvalue().splitlines()]

    try:
        await asyncio.sleep(0.1)  # let the listener bind
        await announcer.start()
        await wait_until(lambda: [e["event"] for e in events()] == ["added"])
        announcer.host = "127.0.0.73"
        await wait_until(lambda: [e["event"] for e in events()] == ["added", "moved"])
        await announcer.stop()
        await wait_until(lambda: [e["event"] for e in events()] == ["added", "moved", "gone"])
    finally:
        await announcer.stop()
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    moved = events()[1]
    assert (moved["host"], moved["previous_host"], moved["serial"]) == (
        "127.0.0.73",
        "127.0.0.72",
        "KG2WATCH01",
    )
