"""B3 from the action call: how soon a sale started from Home Assistant shows, and its result.

Kinetic Go 2 terminals in a child process (the customer acts only when told), one config
entry each in a real Home Assistant in this process (its journal in a temporary
directory). Every terminal takes ``rounds`` sales one after another, all terminals at
once, each started with ``kinetic.start_sale`` (``wait: false``) at a random moment
against the idle poll. Timed on one clock (``time.monotonic()`` in both processes):

- in progress: from the action call to the "transaction in progress" entity turning on,
- the terminal's state: from the action call to the state entity reading the terminal's
  own screen ("waiting_for_card"),
- the result: from the terminal's answer (its ledger entry) to "Sales today" counting
  it and "transaction in progress" turning off (the later of the two).

Nothing here waits for a poll that is already fast: each sale starts from the idle poll.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.kinetic.const import DOMAIN, IDLE_INTERVAL

from .b2_fleet import StateWaiter, latency
from .common import loopback_hosts
from .fleet import GO, FleetProcess, SimSpec
from .hass_env import loaded_entries

PROCESSING_DELAY = 0.1
#: Longest wait for one change before the run is called broken.
WAIT_S = 30.0


class _Figures:
    def __init__(self) -> None:
        self.in_progress: list[float] = []
        self.terminal_state: list[float] = []
        self.result: list[float] = []
        self.not_approved = 0


async def _one_terminal(
    hass: HomeAssistant,
    fleet: FleetProcess,
    waiter: StateWaiter,
    *,
    index: int,
    device_id: str,
    coordinator: Any,
    entities: dict[str, str],
    rounds: int,
    into: _Figures,
) -> None:
    for _ in range(rounds):
        # A random moment against the idle poll, which the figures must not depend on.
        await asyncio.sleep(random.uniform(0, IDLE_INTERVAL.total_seconds() / 5))
        busy_on = waiter.wait(entities["busy"], lambda s: s == "on")
        screen = waiter.wait(entities["state"], lambda s: s == "waiting_for_card")
        called = time.monotonic()
        await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": device_id, "amount": "1.00", "wait": False},
            blocking=True,
        )
        # The reference the integration made up for this sale.
        (reference,) = coordinator.running
        into.in_progress.append(await asyncio.wait_for(busy_on, WAIT_S) - called)
        into.terminal_state.append(await asyncio.wait_for(screen, WAIT_S) - called)
        before = hass.states.get(entities["sales"])
        previous = before.state if before is not None else None
        shown = waiter.wait(entities["sales"], lambda s, old=previous: s != old)  # type: ignore[misc]
        busy_off = waiter.wait(entities["busy"], lambda s: s == "off")
        await asyncio.sleep(random.uniform(0, 1))
        await fleet.call("present", i=index)
        answered = await fleet.call("final", i=index, ref=reference)
        into.not_approved += answered["result"] != "approved"
        seen = max(await asyncio.wait_for(shown, WAIT_S), await asyncio.wait_for(busy_off, WAIT_S))
        into.result.append(seen - answered["t"])


async def run(terminals: int, rounds: int) -> dict[str, Any]:
    """Time ``rounds`` sales on each of ``terminals`` Kinetic Go 2; return the figures."""
    specs = [SimSpec(GO, host, 8080) for host in loopback_hosts(terminals, "127.0.8.1")]
    fleet = await FleetProcess.start(specs, customer_delay=0.0, processing_delay=PROCESSING_DELAY)
    figures = _Figures()
    results: dict[str, Any] = {}
    try:
        async with loaded_entries(fleet.terminals) as (hass, blocking, entries):
            waiter = StateWaiter(hass)
            jobs = [
                _one_terminal(
                    hass,
                    fleet,
                    waiter,
                    index=index,
                    device_id=_device_id(hass, entry),
                    coordinator=entry.runtime_data.coordinator,
                    entities=_entities(hass, str(entry.unique_id)),
                    rounds=rounds,
                    into=figures,
                )
                for index, entry in enumerate(entries)
            ]
            started = time.monotonic()
            try:
                await asyncio.gather(*jobs)
            finally:
                waiter.close()
            results["duration_s"] = time.monotonic() - started
            results["blocking_calls"] = blocking.count
    finally:
        await fleet.stop()
    return {
        "terminals": terminals,
        "rounds": rounds,
        "idle_poll_interval_s": IDLE_INTERVAL.total_seconds(),
        "processing_delay_s": PROCESSING_DELAY,
        "not_approved": figures.not_approved,
        **results,
        "in_progress": latency(figures.in_progress),
        "terminal_state": latency(figures.terminal_state),
        "result": latency(figures.result),
    }


def _device_id(hass: HomeAssistant, entry: Any) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, str(entry.unique_id))})
    assert device is not None
    return device.id


def _entities(hass: HomeAssistant, serial: str) -> dict[str, str]:
    registry = er.async_get(hass)
    found = {
        "busy": registry.async_get_entity_id(
            "binary_sensor", DOMAIN, f"{serial}_transaction_in_progress"
        ),
        "state": registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_state"),
        "sales": registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_sales_today"),
    }
    missing = [key for key, entity_id in found.items() if entity_id is None]
    assert not missing, missing
    return {key: str(entity_id) for key, entity_id in found.items()}
