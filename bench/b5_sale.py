"""B5 sale overhead: ``kinetic.start_sale`` through Home Assistant, minus the scripted customer.

Ten simulated terminals of each kind run in a child process, one config entry each in a
real Home Assistant in this process (its storage, where the journal is saved, in a
temporary directory). Every terminal takes ``sales`` sales one after another, all
terminals at once, each through the action (``wait: true``, with the response) and,
right after it on the same terminal, through the entry's own library ``Terminal.sale()``
(no action, no journal). The overhead of a sale is its wall time minus the simulator's
scripted time (the customer's delay before presenting a card plus the processing delay):
request round trips, the polling granularity of the kind, our own CPU and, for the
action, Home Assistant's service call, the journal and the completion event. The two
columns come from the same run, so their difference is the action's own cost.

Beside them, one Payment Engine account with five devices on its one API key, one entry
each, selling at the same time through the action: the engine enforces its documented
limit (45 requests a minute per key) and the figures say whether our requests ever went
beyond it (a 429, or more than 45 in a window) and what the shared budget does to the
overhead. Every Payment Engine simulator enforces that limit.

A Payment Engine device starts a sale at most every ``PE_SALE_SPACING`` seconds (ten a
minute): its key's 45 requests a minute carry about that many sales (a create and two or
three checks each, plus Home Assistant's status polls), and no counter serves a card
payment every six seconds for long (a customer has to reach the terminal and present a
card). Back to back, as the other kinds run, the key's budget rather than our code would
set the later sales' overhead: that case is the five devices on one key.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from decimal import Decimal
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from custom_components.kinetic.const import DOMAIN
from kinetic_integration.models.common import TransactionResult
from kinetic_integration.terminal import Terminal

from .common import loopback_hosts, percentile
from .fleet import DS, GO, PE, FleetProcess, SimSpec
from .hass_env import add_entry, home_assistant

CUSTOMER_DELAY = 0.2
PROCESSING_DELAY = 0.1
PORTS = {GO: 8080, DS: 8526, PE: 8443}
#: The library's poll interval of each kind while the customer is still to present the
#: card (DeviceService's POST blocks instead); see Terminal.near_poll_interval for after.
POLL = {GO: 0.25, DS: 1.0, PE: 1.25}
AMOUNT = "1.00"
#: Devices on the one shared Payment Engine key, and the sales each takes there.
SHARED = f"{PE}, 5 devices on one key"
SHARED_DEVICES = 5
SHARED_SALES = 4
#: Seconds from one sale's start to the next on a one-device Payment Engine key (above).
PE_SALE_SPACING = 6.0


class _Sales:
    """The overheads of one kind: through the action, and of the library call alone."""

    def __init__(self) -> None:
        self.action: list[float] = []
        self.library: list[float] = []
        self.failures = 0


async def _one_terminal(
    hass: HomeAssistant,
    *,
    device_id: str,
    terminal: Terminal,
    scripted: float,
    sales: int,
    into: _Sales,
    library: bool = True,
    spacing: float = 0.0,
) -> None:
    """Run the sales one after another, each starting ``spacing`` s after the last."""
    last = -spacing

    async def paced() -> float:
        nonlocal last
        await asyncio.sleep(max(0.0, last + spacing - time.perf_counter()))
        last = time.perf_counter()
        return last

    for _ in range(sales):
        started = await paced()
        answer = await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": device_id, "amount": AMOUNT, "wait": True},
            blocking=True,
            return_response=True,
        )
        into.action.append(time.perf_counter() - started - scripted)
        into.failures += not isinstance(answer, dict) or answer.get("result") != "approved"
        if not library:
            continue
        started = await paced()
        txn = await terminal.sale(Decimal(AMOUNT))
        into.library.append(time.perf_counter() - started - scripted)
        into.failures += txn.result is not TransactionResult.APPROVED


def _specs(per_kind: int) -> list[SimSpec]:
    """``per_kind`` terminals of each kind from 127.0.5.1.

    The customer's delay is spread over one poll interval across the terminals of a kind,
    so that results land at every phase of the poll, as real ones do.
    """
    kinds = (GO, DS, PE)
    hosts = loopback_hosts(per_kind * len(kinds) + 1, "127.0.5.1")
    return [
        *(
            SimSpec(
                kind,
                hosts[k * per_kind + i],
                PORTS[kind],
                customer_delay=CUSTOMER_DELAY + POLL[kind] * i / per_kind,
            )
            for k, kind in enumerate(kinds)
            for i in range(per_kind)
        ),
        SimSpec(
            PE,
            hosts[-1],
            PORTS[PE],
            customer_delay=CUSTOMER_DELAY + POLL[PE] / 2,
            devices=SHARED_DEVICES,
        ),
    ]


async def _rate_limits(fleet: FleetProcess, specs: list[SimSpec]) -> dict[str, Any]:
    """Return what the engines' per-key limits saw: the shared key, the one-device keys."""
    seen = [
        (spec.devices > 1, await fleet.call("rate_limit", i=index))
        for index, spec in enumerate(specs)
        if spec.kind == PE
    ]
    single = [answer for shared, answer in seen if not shared]
    [shared] = [answer for is_shared, answer in seen if is_shared]
    return {
        "limit": shared["limit"],
        "window_s": shared["window_s"],
        "shared_key": {k: shared[k] for k in ("rejected", "most_in_window")},
        "one_device_keys": {
            "rejected": sum(answer["rejected"] for answer in single),
            "most_in_window": max(answer["most_in_window"] for answer in single),
        },
    }


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "p50_overhead_s": percentile(values, 50),
        "p95_overhead_s": percentile(values, 95),
        "max_overhead_s": max(values) if values else float("nan"),
    }


async def run(per_kind: int, sales: int) -> dict[str, Any]:
    """Run ``sales`` sales of each path on each of ``per_kind`` terminals of every kind."""
    specs = _specs(per_kind)
    fleet = await FleetProcess.start(
        specs, customer_delay=CUSTOMER_DELAY, processing_delay=PROCESSING_DELAY
    )
    by_kind = {kind: _Sales() for kind in (GO, DS, PE, SHARED)}
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="kinetic-bench-") as config_dir:
            async with home_assistant(config_dir) as (hass, blocking):
                # (entry, spec, whether it is one of the devices on the shared key)
                placed = [
                    (add_entry(hass, terminal, device), spec, spec.devices > 1)
                    for terminal, spec in zip(fleet.terminals, specs, strict=True)
                    for device in range(spec.devices)
                ]
                entries = [entry for entry, _, _ in placed]
                assert await async_setup_component(hass, DOMAIN, {})
                await hass.async_block_till_done()
                loaded = sum(e.state is ConfigEntryState.LOADED for e in entries)
                if loaded != len(entries):
                    raise RuntimeError(f"only {loaded} of {len(entries)} entries loaded")
                devices = dr.async_get(hass)
                jobs = []
                for entry, spec, shared in placed:
                    device = devices.async_get_device(identifiers={(DOMAIN, str(entry.unique_id))})
                    assert device is not None
                    jobs.append(
                        _one_terminal(
                            hass,
                            device_id=device.id,
                            terminal=entry.runtime_data.payments.terminal,
                            scripted=(spec.customer_delay or 0.0) + PROCESSING_DELAY,
                            sales=SHARED_SALES if shared else sales,
                            into=by_kind[SHARED if shared else spec.kind],
                            library=not shared,
                            spacing=PE_SALE_SPACING if spec.kind == PE and not shared else 0.0,
                        )
                    )
                started = time.monotonic()
                await asyncio.gather(*jobs)
                results["duration_s"] = time.monotonic() - started
                results["rate_limit"] = await _rate_limits(fleet, specs)
                results["blocking_calls"] = blocking.count
                # Unload while the terminals still answer, so no poll races the shutdown.
                await asyncio.gather(
                    *(hass.config_entries.async_unload(e.entry_id) for e in entries)
                )
    finally:
        await fleet.stop()
    return {
        "terminals_per_kind": per_kind,
        "shared_key": {"devices": SHARED_DEVICES, "sales_per_device": SHARED_SALES},
        "customer_delay_s": [CUSTOMER_DELAY, {k: CUSTOMER_DELAY + POLL[k] for k in POLL}],
        "processing_delay_s": PROCESSING_DELAY,
        "poll_interval_s": POLL,
        "payment_engine_sale_spacing_s": PE_SALE_SPACING,
        "failures": sum(sales.failures for sales in by_kind.values()),
        **results,
        "kinds": {
            kind: {
                "sales": len(sales.action),
                **_figures(sales.action),
                "library": {"sales": len(sales.library), **_figures(sales.library)},
            }
            for kind, sales in by_kind.items()
        },
    }
