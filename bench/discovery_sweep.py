"""Benchmark: sweep a loopback /24 holding 10 simulated terminals among 254 addresses.

Run from the repository root::

    .venv/bin/python bench/discovery_sweep.py [--network 127.0.3.0/24] [--concurrency 64]

Only loopback: the network must lie inside 127.0.0.0/8. Kinetic Go simulators listen
on 8080 and DeviceService simulators on 8526, their real default ports, at ten
random addresses of the network; the sweep probes both ports on all 254 hosts.
Prints the elapsed time, the most probes ever in flight and what was found.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kinetic_integration.discovery import HttpSweep, sweep_targets
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
)
from kinetic_integration.simulator.base import BaseSimulator


async def bench(network: str, terminals: int, concurrency: int, host_timeout: float) -> int:
    """Start the simulators, sweep, report; return a process exit code."""
    if not ipaddress.IPv4Network(network).subnet_of(ipaddress.IPv4Network("127.0.0.0/8")):
        sys.stdout.write("refusing: this benchmark only sweeps loopback networks\n")
        return 2
    hosts = sweep_targets(network)
    chosen = random.sample(hosts, terminals)
    sims: list[BaseSimulator] = []
    for index, host in enumerate(chosen):
        sim: BaseSimulator
        if index % 2:
            sim = DeviceServiceSimulator(host=host, port=8526, serial=f"MP200BENCH{index:02d}")
        else:
            sim = KineticGoSimulator(host=host, port=8080, serial=f"KG2BENCH{index:02d}")
        await sim.start()
        sims.append(sim)
    try:
        sweep = HttpSweep(ports=(8080, 8526), concurrency=concurrency, timeout=host_timeout)
        started = time.perf_counter()
        found = await sweep.sweep(network)
        elapsed = time.perf_counter() - started
        money = sum(sim.money_requests() for sim in sims)
    finally:
        for sim in sims:
            await sim.stop()
    expected = {(sim.host, sim.port) for sim in sims}
    got = {(t.host, t.port) for t in found}
    sys.stdout.write(
        f"swept {len(hosts)} hosts x 2 ports = {sweep.probes} probes in {elapsed:.3f} s\n"
        f"max in flight {sweep.max_in_flight} (bound {concurrency})\n"
        f"found {len(found)} of {len(sims)} terminals "
        f"({sum(t.kind == 'kinetic-go' for t in found)} Kinetic Go, "
        f"{sum(t.kind == 'device-service' for t in found)} DeviceService); "
        f"money-moving requests received: {money}\n"
    )
    ok = got == expected and sweep.max_in_flight <= concurrency and money == 0
    ok = ok and elapsed < 2.0
    sys.stdout.write("OK\n" if ok else "FAILED\n")
    return 0 if ok else 1


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--network", default="127.0.3.0/24")
    parser.add_argument("--terminals", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=1.5, help="per host:port deadline")
    args = parser.parse_args()
    sys.exit(asyncio.run(bench(args.network, args.terminals, args.concurrency, args.timeout)))


if __name__ == "__main__":
    main()
