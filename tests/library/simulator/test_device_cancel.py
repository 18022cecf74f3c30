"""The simulated device honours a cancel that races its first prompt."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from kinetic_integration.simulator.device import Device, SimTransaction, Step


async def test_cancel_just_after_delivery_is_honoured() -> None:
    """Delivered, not yet asking for the card: nothing is processing, so it cancels."""
    finished: list[SimTransaction] = []
    device = Device(
        name="Counter",
        serial="SIM1",
        customer_delay=0,
        processing_delay=0,
        on_final=lambda _device, txn: finished.append(txn),
    )
    txn = SimTransaction(id="t1", type="sale", amount=Decimal("3.00"))
    device.start(txn)
    assert txn.step is Step.STARTING
    assert device.cancel(by="api")
    async with asyncio.timeout(5):
        await txn.done.wait()
    assert txn.result == "cancelled"
    assert finished == [txn]


async def test_nothing_to_cancel_without_a_card_prompt() -> None:
    """A transaction that needs no card (reconciliation) cannot be cancelled by the API."""
    device = Device(
        name="Counter",
        serial="SIM1",
        customer_delay=0,
        processing_delay=0.5,
        on_final=lambda _device, _txn: None,
    )
    txn = SimTransaction(id="r1", type="reconciliation", amount=Decimal("0.00"), needs_card=False)
    device.start(txn)
    assert not device.cancel(by="api")
    async with asyncio.timeout(5):
        await txn.done.wait()
    assert txn.result != "cancelled"
