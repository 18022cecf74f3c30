"""B1 poll overhead: the integration's coordinator vs bare aiohttp, same endpoints, same run.

N simulated terminals (3 Kinetic Go 2 to 1 DeviceService) run in a child process on
distinct 127.0.x.y addresses. One poll cycle polls every terminal once, all at the same
time. Three paths poll the same terminals over the same Home Assistant web session:

- ``coordinator``: ``KineticCoordinator.async_refresh()`` (what Home Assistant runs),
- ``library``: the coordinator's own fetch, ``_async_update_data()`` (our code alone),
- ``bare``: the same endpoints fetched with aiohttp, body read and decoded as JSON.

The paths take turns, round after round, so drift hits all alike. CPU is this process's
``time.process_time()``; the simulators' CPU is in the child and never counted.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from custom_components.kinetic.coordinator import KineticCoordinator
from kinetic_integration.clients._http import BasicCredentials

from .common import loopback_hosts, median
from .fleet import DS, GO, FleetProcess, SimSpec
from .hass_env import add_entry, home_assistant

PATHS = ("bare", "library", "coordinator")
#: Paths that go through the terminals' own request pacing (a Kinetic Go takes at most
#: 20 requests a second, 14 of them status polls). Home Assistant polls a terminal at
#: most once a second; B1 polls every terminal many times a second, so after each cycle
#: of these paths it pauses (unmeasured) long enough for the pacing never to hold a poll
#: back: what is measured is a poll's cost, not the pacer's waiting for its window.
PACED = frozenset({"library", "coordinator"})
PACE_GAP = 0.35

# What one poll of each kind requests: the facade reads the Kinetic Go's device.json once
# while the terminal stays reachable, so it is not part of a poll.
_GO_PATHS = (
    ("/api/v2/ping.json", False),
    ("/api/v2/screens/current.json", True),
    ("/api/v2/transactions/current.json", True),
    ("/api/v2/transactions/latest.json", True),
)
_DS_PATHS = (
    ("/DeviceService/Kinetic/Status", True),
    ("/DeviceService/Kinetic/OfflineTransaction/Count", True),
)


def fleet_specs(count: int) -> list[SimSpec]:
    """Every fourth terminal a DeviceService, the rest Kinetic Go 2, from 127.0.1.1."""
    return [
        SimSpec(DS if index % 4 == 3 else GO, host, 8526 if index % 4 == 3 else 8080)
        for index, host in enumerate(loopback_hosts(count, "127.0.1.1"))
    ]


@dataclass(frozen=True, slots=True)
class BareTerminal:
    """The requests one poll makes, prepared once: the physical floor."""

    requests: tuple[tuple[URL, dict[str, str]], ...]

    @classmethod
    def of(cls, terminal: dict[str, Any]) -> BareTerminal:
        """Prepare the distinct endpoints the coordinator reads for this kind."""
        auth = BasicCredentials(terminal["username"], terminal["password"]).header()
        paths = _GO_PATHS if terminal["kind"] == GO else _DS_PATHS
        base = URL.build(scheme="http", host=terminal["host"], port=terminal["port"])
        return cls(
            tuple(
                (
                    base.with_path(path),
                    {"Accept": "application/json", **({"Authorization": auth} if authed else {})},
                )
                for path, authed in paths
            )
        )

    async def poll(self, session: aiohttp.ClientSession) -> None:
        """Fetch every endpoint in turn and decode its JSON, as a minimal client would."""
        for url, headers in self.requests:
            async with session.get(url, headers=headers) as resp:
                body = await resp.read()
            if body:
                json.loads(body, parse_float=Decimal)


def _pacer_wait(coordinator: KineticCoordinator) -> float:
    """Seconds the terminal's own request pacing held polls back so far (Kinetic Go)."""
    pace = getattr(coordinator.terminal, "_pace", None)
    return pace.waited if pace is not None else 0.0


@dataclass
class PathResult:
    """CPU and wall time of one path over the measured cycles."""

    cpu: float = 0.0
    wall: float = 0.0
    cycles: int = 0
    failures: int = 0


async def _cycle(polls: Sequence[Callable[[], Awaitable[object]]]) -> tuple[float, float]:
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(poll() for poll in polls))
    return time.process_time() - cpu, time.perf_counter() - wall


async def run(
    ns: Sequence[int], rounds: dict[int, int], *, gap: float = PACE_GAP
) -> dict[str, Any]:
    """Measure every N (``gap`` s after each cycle of a paced path); return the figures."""
    fleet = await FleetProcess.start(fleet_specs(max(ns)))
    results: dict[str, Any] = {
        "terminals": {},
        "mix": "3 Kinetic Go 2 : 1 DeviceService",
        "pace_gap_s": gap,
    }
    try:
        async with home_assistant() as (hass, blocking):
            session = async_get_clientsession(hass)
            coordinators = [KineticCoordinator(hass, add_entry(hass, t)) for t in fleet.terminals]
            bare = [BareTerminal.of(t) for t in fleet.terminals]
            for n in ns:
                paths: dict[str, list[Callable[[], Awaitable[object]]]] = {
                    "bare": [functools.partial(b.poll, session) for b in bare[:n]],
                    "library": [c._async_update_data for c in coordinators[:n]],
                    "coordinator": [c.async_refresh for c in coordinators[:n]],
                }
                measured = {name: PathResult() for name in PATHS}
                waited_before = sum(_pacer_wait(c) for c in coordinators[:n])
                per_cycle: dict[str, list[float]] = {name: [] for name in PATHS}
                for name in PATHS:  # open the connections, warm the caches
                    await _cycle(paths[name])
                for index in range(rounds[n]):
                    order = PATHS[index % 3 :] + PATHS[: index % 3]
                    for name in order:
                        cpu, wall = await _cycle(paths[name])
                        result = measured[name]
                        result.cpu += cpu
                        result.wall += wall
                        result.cycles += 1
                        per_cycle[name].append(cpu / n)
                        if name in PACED and gap:
                            await asyncio.sleep(gap)
                failures = sum(not c.last_update_success for c in coordinators[:n])
                waited = sum(_pacer_wait(c) for c in coordinators[:n]) - waited_before
                polls = {name: measured[name].cycles * n for name in PATHS}
                per_poll = {name: measured[name].cpu / polls[name] for name in PATHS}
                results["terminals"][str(n)] = {
                    "rounds": rounds[n],
                    "cpu_us_per_terminal_poll": {k: v * 1e6 for k, v in per_poll.items()},
                    "median_cycle_cpu_us_per_terminal_poll": {
                        k: median(v) * 1e6 for k, v in per_cycle.items()
                    },
                    "wall_ms_per_cycle": {
                        k: measured[k].wall / measured[k].cycles * 1e3 for k in PATHS
                    },
                    "ratio_coordinator": per_poll["coordinator"] / per_poll["bare"],
                    "ratio_library": per_poll["library"] / per_poll["bare"],
                    "coordinator_failures": failures,
                    "pacer_waited_s": waited,
                }
            first = results["terminals"][str(ns[0])]
            last = results["terminals"][str(ns[-1])]
            results["linearity"] = {
                name: last["cpu_us_per_terminal_poll"][name]
                / first["cpu_us_per_terminal_poll"][name]
                for name in PATHS
            }
            results["max_ratio"] = max(
                r["ratio_coordinator"] for r in results["terminals"].values()
            )
            results["blocking_calls"] = blocking.count
    finally:
        await fleet.stop()
    return results
