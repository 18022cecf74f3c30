"""B2 and B3: a fleet of config entries in one Home Assistant, and its state latency.

B2: ``count`` simulated terminals (3 Kinetic Go 2 to 1 DeviceService) in a child process,
one config entry each in a real Home Assistant in this process. Measured: the time to set
up every entry (all at once, as Home Assistant does at start), this process's CPU share
while the entries idle-poll, and the resident memory the entries added per terminal. One
extra entry is set up first so imports and platform setup are not counted per terminal.

B3: on every Kinetic Go 2 of that fleet, ``rounds`` transactions. Each one times three
changes made inside the simulator against the moment Home Assistant wrote the matching
entity state (one clock, ``time.monotonic()``, in both processes):

- idle: a transaction starts (the "transaction in progress" entity turns on),
- during: the customer presents a card (the state entity becomes "processing"),
- during: the transaction ends (the "transaction in progress" entity turns off).

Every wait starts at a random phase against the terminal's poll, as real changes do.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.kinetic.const import DOMAIN, FAST_INTERVAL, IDLE_INTERVAL

from .common import loopback_hosts, percentile, rss_bytes
from .fleet import DS, GO, FleetProcess, SimSpec
from .hass_env import add_entry, home_assistant

#: Long enough that the fast poll (1 s) sees the card being processed.
PROCESSING_DELAY = 2.5


class StateWaiter:
    """Resolve a future when an entity's state first satisfies a predicate."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to every state change."""
        self._waiting: dict[str, list[tuple[Callable[[str], bool], asyncio.Future[float]]]] = {}
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event[Any]) -> None:
        waiting = self._waiting.get(event.data["entity_id"])
        new_state = event.data["new_state"]
        if not waiting or new_state is None:
            return
        now = time.monotonic()
        for item in list(waiting):
            predicate, future = item
            if predicate(new_state.state):
                waiting.remove(item)
                if not future.done():
                    future.set_result(now)

    def wait(self, entity_id: str, predicate: Callable[[str], bool]) -> asyncio.Future[float]:
        """Return a future for the time the entity next reaches a matching state."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(entity_id, []).append((predicate, future))
        return future

    def close(self) -> None:
        """Stop listening."""
        self._unsub()


def fleet_specs(count: int) -> list[SimSpec]:
    """``count`` + 1 terminals from 127.0.4.1 (the first is the warm-up entry)."""
    return [
        SimSpec(DS if index % 4 == 3 else GO, host, 8526 if index % 4 == 3 else 8080)
        for index, host in enumerate(loopback_hosts(count + 1, "127.0.4.1"))
    ]


async def _one_terminal(
    fleet: FleetProcess,
    *,
    waiter: StateWaiter,
    index: int,
    entities: tuple[str, str],
    rounds: int,
    idle: list[float],
    during: list[float],
) -> None:
    state_entity, busy_entity = entities
    idle_s = IDLE_INTERVAL.total_seconds()
    for number in range(rounds):
        ref = f"bench-{index}-{number}"
        await asyncio.sleep(random.uniform(0, idle_s))
        busy_on = waiter.wait(busy_entity, lambda s: s == "on")
        started = (await fleet.call("start_sale", i=index, ref=ref, amount="1.00"))["t"]
        idle.append(await asyncio.wait_for(busy_on, idle_s * 3) - started)
        await asyncio.sleep(random.uniform(0, FAST_INTERVAL.total_seconds()))
        processing = waiter.wait(state_entity, lambda s: s == "processing")
        busy_off = waiter.wait(busy_entity, lambda s: s == "off")
        presented = (await fleet.call("present", i=index))["t"]
        during.append(await asyncio.wait_for(processing, 30) - presented)
        ended = (await fleet.call("final", i=index, ref=ref))["t"]
        during.append(await asyncio.wait_for(busy_off, 30) - ended)


def latency(values: list[float]) -> dict[str, float]:
    """Percentiles of latencies in seconds (also B3 from the action call's)."""
    return {
        "samples": len(values),
        "p50_s": percentile(values, 50),
        "p95_s": percentile(values, 95),
        "p99_s": percentile(values, 99),
        "max_s": max(values) if values else float("nan"),
    }


async def run(count: int, idle_window: float, rounds: int) -> dict[str, Any]:
    """Set the fleet up, idle-poll, then time the state changes; return the figures."""
    fleet = await FleetProcess.start(
        fleet_specs(count), customer_delay=0.0, processing_delay=PROCESSING_DELAY
    )
    results: dict[str, Any] = {"entries": count, "mix": "3 Kinetic Go 2 : 1 DeviceService"}
    try:
        async with home_assistant() as (hass, blocking):
            warm, *terminals = fleet.terminals
            add_entry(hass, warm)
            assert await async_setup_component(hass, DOMAIN, {})
            await hass.async_block_till_done()
            entries = [add_entry(hass, terminal) for terminal in terminals]
            gc.collect()
            rss_before = rss_bytes()
            started = time.perf_counter()
            await asyncio.gather(*(hass.config_entries.async_setup(e.entry_id) for e in entries))
            await hass.async_block_till_done()
            setup = time.perf_counter() - started
            gc.collect()
            rss_after = rss_bytes()
            loaded = sum(e.state is ConfigEntryState.LOADED for e in entries)
            # Idle polling: every entry polls every IDLE_INTERVAL; a whole number of them.
            await asyncio.sleep(1)
            cpu, thread, wall = time.process_time(), time.thread_time(), time.monotonic()
            await asyncio.sleep(idle_window)
            wall = time.monotonic() - wall
            cpu_share = (time.process_time() - cpu) / wall
            loop_share = (time.thread_time() - thread) / wall
            failing = sum(not e.runtime_data.coordinator.last_update_success for e in entries)
            results["b2"] = {
                "setup_s": setup,
                "loaded": loaded,
                "idle_window_s": wall,
                "idle_poll_interval_s": IDLE_INTERVAL.total_seconds(),
                "idle_cpu_pct_of_one_core": cpu_share * 100,
                "idle_loop_thread_cpu_pct": loop_share * 100,
                "rss_mb_added": (rss_after - rss_before) / 2**20,
                "memory_kb_per_terminal": (rss_after - rss_before) / count / 1024,
                "failing_coordinators": failing,
            }
            if rounds:
                results["b3"] = await _latencies(hass, fleet, terminals, rounds)
            results["blocking_calls"] = blocking.count
            # Unload while the terminals still answer, so no poll races the shutdown.
            await asyncio.gather(
                *(
                    hass.config_entries.async_unload(e.entry_id)
                    for e in hass.config_entries.async_entries(DOMAIN)
                )
            )
    finally:
        await fleet.stop()
    return results


async def _latencies(
    hass: HomeAssistant, fleet: FleetProcess, terminals: list[dict[str, Any]], rounds: int
) -> dict[str, Any]:
    registry = er.async_get(hass)
    waiter = StateWaiter(hass)
    idle: list[float] = []
    during: list[float] = []
    jobs = []
    for offset, terminal in enumerate(terminals):
        if terminal["kind"] != GO:
            continue
        serial = terminal["serial"]
        state_entity = registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_state")
        busy_entity = registry.async_get_entity_id(
            "binary_sensor", DOMAIN, f"{serial}_transaction_in_progress"
        )
        assert state_entity is not None
        assert busy_entity is not None
        # The fleet's index: the warm-up terminal is 0.
        jobs.append(
            _one_terminal(
                fleet,
                waiter=waiter,
                index=offset + 1,
                entities=(state_entity, busy_entity),
                rounds=rounds,
                idle=idle,
                during=during,
            )
        )
    started = time.monotonic()
    try:
        await asyncio.gather(*jobs)
    finally:
        waiter.close()
    return {
        "terminals": len(jobs),
        "rounds": rounds,
        "duration_s": time.monotonic() - started,
        "idle_poll_interval_s": IDLE_INTERVAL.total_seconds(),
        "fast_poll_interval_s": FAST_INTERVAL.total_seconds(),
        "idle": latency(idle),
        "during_transaction": latency(during),
    }
