"""Simulated terminals of all three kinds, each a real aiohttp server on loopback.

Python API::

    from kinetic_integration.simulator import (
        KineticGoSimulator, DeviceServiceSimulator, PaymentEngineSimulator, Fleet, LedgerEntry,
    )

    async with KineticGoSimulator(host="127.0.0.2", customer_delay=0.05) as sim:
        ...  # talk to sim.url; then check sim.ledger, sim.charges(), sim.money_requests()

Every simulator takes keyword-only ``host``, ``port`` (0 = ephemeral), ``name``,
``serial``, ``customer_delay`` (seconds before the automatic customer acts; 0 = drive it
with :meth:`customer`), ``processing_delay`` and ``card_timeout`` (card-wait override).
Scripted outcomes by the cents of the amount: .01 declined, .02 PIN then approved, .03
no card (card-wait timeout), .04 customer cancels, .05 host error, .06 approved with
signature; anything else approved. Fault injection: :meth:`inject` with ``latency``,
``drop_after_accept``, ``error_500``, ``busy``, ``hang``, ``malformed_json``
(``malformed_json`` and ``drop_after_accept`` really process the request first).
The control API under ``/_sim/`` mirrors all of this over HTTP.
"""

from __future__ import annotations

from .base import BaseSimulator
from .device_service import DeviceServiceSimulator
from .faults import FAULTS
from .fleet import Fleet, run_fleet
from .kinetic_go import KineticGoSimulator
from .ledger import LedgerEntry
from .payment_engine import PaymentEngineSimulator
from .transaction import NoCustomerPromptError

__all__ = [
    "FAULTS",
    "BaseSimulator",
    "DeviceServiceSimulator",
    "Fleet",
    "KineticGoSimulator",
    "LedgerEntry",
    "NoCustomerPromptError",
    "PaymentEngineSimulator",
    "run_fleet",
]
