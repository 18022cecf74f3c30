"""Polling where the answer is near: faster once the card was read, within each budget."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import aiohttp

from kinetic_integration.clients.rate_budget import Priority, RequestBudget
from kinetic_integration.models.common import TransactionResult
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator
from kinetic_integration.terminal import (
    KineticGoTerminal,
    PaymentEngineTerminal,
    TerminalConfig,
    create_terminal,
)
from tests.library.terminal.support import config_for


def _gaps_after(log: list[tuple[float, str]], statuses: set[str]) -> list[float]:
    """Seconds from each answer showing one of ``statuses`` to the next check."""
    return [
        later[0] - earlier[0]
        for earlier, later in itertools.pairwise(log)
        if earlier[1] in statuses
    ]


async def test_payment_engine_polls_faster_once_the_payment_is_processing(
    session: aiohttp.ClientSession,
) -> None:
    sim = PaymentEngineSimulator(
        host="127.0.0.174", port=0, customer_delay=2.0, processing_delay=1.2
    )
    async with sim:
        config = config_for(sim, request_timeout=5.0, recovery_grace=5.0, poll_interval=None)
        terminal = create_terminal(config, session=session)
        assert isinstance(terminal, PaymentEngineTerminal)
        log: list[tuple[float, str]] = []
        priorities: list[Priority] = []
        pay_request = terminal.client.pay_request

        async def watched(key: str, *, priority: Priority = Priority.SALE) -> Any:
            priorities.append(priority)
            answer = await pay_request(key, priority=priority)
            log.append((time.monotonic(), answer.status))
            return answer

        terminal.client.pay_request = watched  # type: ignore[method-assign]
        txn = await terminal.sale("3.10", timeout=30)
        assert txn.result is TransactionResult.APPROVED
        waiting = _gaps_after(log, {"sending to device", "sent to device", "waiting for card dip"})
        near = _gaps_after(log, {"processing payment", "completing payment"})
        assert waiting
        assert min(waiting) >= 1.2
        assert near
        assert max(near) < 0.8
        assert Priority.URGENT in priorities
        assert priorities[0] is Priority.SALE
        # Well inside the documented 45 a minute, and nothing refused.
        assert sim.rate_limiter.rejected == {}


async def test_kinetic_go_polls_faster_once_the_terminal_is_processing(
    session: aiohttp.ClientSession,
) -> None:
    sim = KineticGoSimulator(host="127.0.0.175", port=0, customer_delay=1.0, processing_delay=0.8)
    async with sim:
        config = config_for(sim, request_timeout=5.0, poll_interval=None)
        terminal = create_terminal(config, session=session)
        assert isinstance(terminal, KineticGoTerminal)
        log: list[tuple[float, str]] = []
        transaction = terminal.client.transaction

        async def watched(transaction_id: str) -> Any:
            answer = await transaction(transaction_id)
            log.append((time.monotonic(), answer.status or ""))
            return answer

        terminal.client.transaction = watched  # type: ignore[method-assign]
        txn = await terminal.sale("2.20", timeout=30)
        assert txn.result is TransactionResult.APPROVED
        waiting = _gaps_after(log, {"starting", "waiting_for_card"})
        near = _gaps_after(log, {"processing"})
        assert waiting
        assert min(waiting) >= 0.24
        assert near
        assert max(near) < 0.2
        assert len(near) >= 3


async def test_kinetic_go_requests_stay_under_the_cap_per_second(
    session: aiohttp.ClientSession,
) -> None:
    sim = KineticGoSimulator(host="127.0.0.176", port=0)
    async with sim:
        terminal = create_terminal(config_for(sim, request_timeout=5.0), session=session)
        assert isinstance(terminal, KineticGoTerminal)
        sent: list[float] = []

        def watch(name: str) -> None:
            request = getattr(terminal.client, name)

            async def watched() -> Any:
                sent.append(time.monotonic())
                return await request()

            setattr(terminal.client, name, watched)

        for name in ("ping", "current_screen", "current_transaction", "device"):
            watch(name)
        await asyncio.gather(*(terminal.status() for _ in range(8)))
        sent.sort()
        cap = KineticGoTerminal.max_requests_per_second
        # 8 status polls are 32 requests: more than a second's worth, so some waited;
        # in no second did more than the cap leave.
        assert len(sent) == 32
        assert sent[-1] - sent[0] >= 1.0
        for index, first in enumerate(sent):
            assert sum(1 for moment in sent[index:] if moment - first < 1.0) <= cap


async def test_payment_engine_sale_starved_of_budget_is_unknown_never_declined(
    session: aiohttp.ClientSession,
) -> None:
    sim = PaymentEngineSimulator(host="127.0.0.177", port=0, customer_delay=0.1)
    async with sim:
        config: TerminalConfig = config_for(sim, request_timeout=1.0, recovery_grace=0.5)
        terminal = create_terminal(config, session=session)
        assert isinstance(terminal, PaymentEngineTerminal)
        # Room for the create and one check in three seconds, no more.
        terminal.client.budget = RequestBudget(2, 3.0, urgent_reserve=1, sale_reserve=1)
        txn = await terminal.sale("4.50", timeout=1)
        assert txn.result is TransactionResult.UNKNOWN
        assert txn.request_key is not None
        # The customer paid meanwhile: resuming once the budget allows finds it.
        again = await terminal.sale("4.50", reference=txn.reference, timeout=5)
        assert again.result is TransactionResult.APPROVED
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1
        assert sim.rate_limiter.rejected == {}
