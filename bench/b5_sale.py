"""B5 sale overhead, at the library level: ``Terminal.sale()`` minus the scripted customer.

The Home Assistant ``kinetic.start_sale`` action (a later issue) does not exist yet, so
this times the library call it will make. Ten simulated terminals of each kind run in a
child process; each takes ``sales`` sales one after another, all terminals at once. The
overhead of a sale is its wall time minus the simulator's scripted time (the customer's
delay before presenting a card plus the processing delay): request round trips, the
polling granularity of the kind, and our own CPU.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import aiohttp

from kinetic_integration.models.common import TerminalKind, TransactionResult
from kinetic_integration.terminal import Terminal, TerminalConfig, create_terminal

from .common import loopback_hosts, percentile
from .fleet import DS, GO, PE, FleetProcess, SimSpec

CUSTOMER_DELAY = 0.2
PROCESSING_DELAY = 0.1
PORTS = {GO: 8080, DS: 8526, PE: 8443}
#: The library's default poll interval of each kind (DeviceService's POST blocks instead).
POLL = {GO: 0.5, DS: 1.0, PE: 2.0}


def _terminal(described: dict[str, Any], session: aiohttp.ClientSession) -> Terminal:
    kind = TerminalKind(described["kind"])
    if kind is TerminalKind.PAYMENT_ENGINE:
        config = TerminalConfig(
            kind=kind,
            api_key=described["api_key"],
            pin=described["pin"],
            device_key=described["devices"][0]["key"],
            base_url=described["base_url"],
        )
    else:
        config = TerminalConfig(
            kind=kind,
            host=described["host"],
            port=described["port"],
            username=described["username"],
            password=described["password"],
        )
    return create_terminal(config, session)


async def _sales(
    terminal: Terminal, customer_delay: float, sales: int, overheads: list[float]
) -> int:
    scripted = customer_delay + PROCESSING_DELAY
    failures = 0
    for _ in range(sales):
        started = time.perf_counter()
        txn = await terminal.sale(Decimal("1.00"))
        overheads.append(time.perf_counter() - started - scripted)
        failures += txn.result is not TransactionResult.APPROVED
    return failures


async def run(per_kind: int, sales: int) -> dict[str, Any]:
    """Run ``sales`` sales on each of ``per_kind`` terminals of every kind."""
    kinds = (GO, DS, PE)
    hosts = loopback_hosts(per_kind * len(kinds), "127.0.5.1")
    specs = [
        SimSpec(
            kind,
            hosts[k * per_kind + i],
            PORTS[kind],
            customer_delay=CUSTOMER_DELAY + POLL[kind] * i / per_kind,
        )
        for k, kind in enumerate(kinds)
        for i in range(per_kind)
    ]
    fleet = await FleetProcess.start(
        specs, customer_delay=CUSTOMER_DELAY, processing_delay=PROCESSING_DELAY
    )
    overheads: dict[str, list[float]] = {kind: [] for kind in kinds}
    failures = 0
    try:
        async with aiohttp.ClientSession() as session:
            terminals = [(t["kind"], _terminal(t, session)) for t in fleet.terminals]
            counts = await asyncio.gather(
                *(
                    _sales(terminal, spec.customer_delay or 0.0, sales, overheads[kind])
                    for (kind, terminal), spec in zip(terminals, specs, strict=True)
                )
            )
            failures = sum(counts)
            for _, terminal in terminals:
                await terminal.close()
    finally:
        await fleet.stop()
    return {
        "customer_delay_s": [CUSTOMER_DELAY, {k: CUSTOMER_DELAY + POLL[k] for k in kinds}],
        "processing_delay_s": PROCESSING_DELAY,
        "failures": failures,
        "kinds": {
            kind: {
                "sales": len(values),
                "p50_overhead_s": percentile(values, 50),
                "p95_overhead_s": percentile(values, 95),
                "max_overhead_s": max(values),
            }
            for kind, values in overheads.items()
        },
    }
