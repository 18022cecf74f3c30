"""B4 discovery: our HTTP sweep vs nmap's connect scan, and announcement latency.

Sweep: ten simulated terminals (five Kinetic Go 2 on 8080, five DeviceService on 8526)
at random addresses of a loopback /24, in a child process. Our ``HttpSweep`` (which also
identifies each terminal over HTTP) and ``nmap -sT -p 8080,8526 -n -Pn`` (which only
finds open ports) scan the same 254 hosts, taking turns; medians and their ratio are
reported. nmap is installed from Debian's packages when missing and possible, else its
column is left out.

Announcements: the time from a newly started terminal's first announcement to our
listener's sighting, by zeroconf (DNS-SD on loopback) and by UDP datagram. For zeroconf
the first announcement follows the name probing inside ``async_register_service``; the
clock starts when that returns, just before the announcement is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import shutil
import subprocess
import time
from typing import Any

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from kinetic_integration.discovery import (
    AnnouncementListener,
    DiscoveredTerminal,
    HttpSweep,
    ZeroconfBrowser,
    sweep_targets,
)
from kinetic_integration.simulator.advertise_udp import UdpAnnouncer
from kinetic_integration.simulator.advertise_zeroconf import ZeroconfAdvertiser

from .common import median, percentile
from .fleet import DS, GO, FleetProcess, SimSpec

NETWORK = "127.0.3.0/24"
PORTS = (8080, 8526)
LOOPBACK = ["127.0.0.1"]


def ensure_nmap() -> str | None:
    """Return nmap's path, installing Debian's package when we can; None if not to be had."""
    found = shutil.which("nmap")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    # A fresh machine may have no package lists yet: update once if the install fails.
    for commands in (
        [["apt-get", "install", "-y", "-qq", "nmap"]],
        [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nmap"]],
    ):
        for command in commands:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(command, check=False, capture_output=True, timeout=180)  # noqa: S603 - fixed argv
        if shutil.which("nmap"):
            break
    return shutil.which("nmap")


async def _nmap(nmap: str, hosts: str) -> tuple[float, int]:
    """Run one connect scan; return its wall time and the open ports it reported."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        nmap,
        "-sT",
        "-p",
        ",".join(map(str, PORTS)),
        "-n",
        "-Pn",
        "-oG",
        "-",
        hosts,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    elapsed = time.perf_counter() - started
    return elapsed, out.decode().count("/open/")


async def sweep(repeats: int) -> dict[str, Any]:
    """Time our sweep and nmap's in turns over the same /24."""
    network = ipaddress.IPv4Network(NETWORK)
    assert network.subnet_of(ipaddress.IPv4Network("127.0.0.0/8"))
    hosts = sweep_targets(NETWORK)
    chosen = random.sample(hosts, 10)
    specs = [
        SimSpec(GO if index % 2 == 0 else DS, host, PORTS[index % 2])
        for index, host in enumerate(chosen)
    ]
    nmap = ensure_nmap()
    ours: list[float] = []
    theirs: list[float] = []
    found_ours: list[int] = []
    found_nmap: list[int] = []
    fleet = await FleetProcess.start(specs)
    try:
        for _ in range(repeats):
            sweeper = HttpSweep(ports=PORTS)
            started = time.perf_counter()
            found = await sweeper.sweep(NETWORK)
            ours.append(time.perf_counter() - started)
            found_ours.append(len(found))
            assert len(found) == len(specs), "the sweep must find every terminal"
            if nmap is not None:
                elapsed, open_ports = await _nmap(nmap, f"{hosts[0]}-{hosts[-1].rsplit('.', 1)[1]}")
                theirs.append(elapsed)
                found_nmap.append(open_ports)
    finally:
        await fleet.stop()
    result: dict[str, Any] = {
        "network": NETWORK,
        "hosts": len(hosts),
        "ports": list(PORTS),
        "terminals": len(specs),
        "repeats": repeats,
        "ours_median_s": median(ours),
        "ours_found": found_ours,
        "nmap": nmap is not None,
    }
    if nmap is not None:
        result["nmap_median_s"] = median(theirs)
        result["nmap_open_ports"] = found_nmap
        result["ratio_ours_to_nmap"] = median(ours) / median(theirs)
    return result


async def _first_sighting(
    sightings: asyncio.Queue[tuple[float, DiscoveredTerminal]], serial: str, limit: float
) -> float:
    async with asyncio.timeout(limit):
        while True:
            seen, terminal = await sightings.get()
            if terminal.serial == serial:
                return seen


async def zeroconf_latency(repeats: int) -> tuple[list[float], list[float]]:
    """Start ``repeats`` new advertisers one after another; time each first sighting.

    Returns the latencies from the first announcement, and from the registration call
    (which adds zeroconf's name probing, about 0.5 s, done before any announcement).
    """
    sightings: asyncio.Queue[tuple[float, DiscoveredTerminal]] = asyncio.Queue()

    def seen(terminal: DiscoveredTerminal) -> None:
        sightings.put_nowait((time.monotonic(), terminal))

    latencies: list[float] = []
    from_register: list[float] = []
    browser = ZeroconfBrowser(seen, lambda _: None, interfaces=LOOPBACK)
    await browser.start()
    advertiser_zc = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    try:
        await asyncio.sleep(0.5)  # the browser's own first queries go out
        for index in range(repeats):
            serial = f"KG2ZCBENCH{os.getpid()}{index:02d}"
            advertiser = ZeroconfAdvertiser(
                kind="kinetic-go",
                serial=serial,
                name=f"Bench {index}",
                host=f"127.0.3.{200 + index}",
                port=8080,
                zeroconf=advertiser_zc,
            )
            info = advertiser._build(advertiser.service_types[0])
            # The first await probes the name; the announcements start as it returns.
            registering = time.monotonic()
            announcing = await advertiser_zc.async_register_service(info)
            announced = time.monotonic()
            sighted = await _first_sighting(sightings, serial, 10)
            latencies.append(sighted - announced)
            from_register.append(sighted - registering)
            await announcing
            await (await advertiser_zc.async_unregister_service(info))
    finally:
        await browser.stop()
        await advertiser_zc.async_close()
    return latencies, from_register


async def udp_latency(repeats: int) -> list[float]:
    """Start ``repeats`` new UDP announcers; time each first sighting."""
    sightings: asyncio.Queue[tuple[float, DiscoveredTerminal]] = asyncio.Queue()

    def seen(terminal: DiscoveredTerminal) -> None:
        sightings.put_nowait((time.monotonic(), terminal))

    listener = AnnouncementListener(seen, bind="127.0.0.1", port=0)
    await listener.start()
    latencies: list[float] = []
    try:
        for index in range(repeats):
            serial = f"KG2UDPBENCH{index:03d}"
            announcer = UdpAnnouncer(
                kind="kinetic-go",
                serial=serial,
                name=f"Bench {index}",
                host=f"127.0.3.{100 + index % 100}",
                port=8080,
                target=("127.0.0.1", listener.port),
            )
            announced = time.monotonic()
            await announcer.start()  # the first datagram goes out at once
            try:
                latencies.append(await _first_sighting(sightings, serial, 5) - announced)
            finally:
                await announcer.stop()
    finally:
        await listener.stop()
    return latencies


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "samples": len(values),
        "p50_s": percentile(values, 50),
        "p95_s": percentile(values, 95),
        "max_s": max(values) if values else float("nan"),
    }


async def run(repeats: int, zeroconf_repeats: int, udp_repeats: int) -> dict[str, Any]:
    """Run the sweep comparison and both announcement latencies."""
    zc_announced, zc_registered = await zeroconf_latency(zeroconf_repeats)
    return {
        "sweep": await sweep(repeats),
        "zeroconf": _summary(zc_announced),
        "zeroconf_from_register_call": _summary(zc_registered),
        "udp": _summary(await udp_latency(udp_repeats)),
    }
