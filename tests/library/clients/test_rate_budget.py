"""The Payment Engine request budget per API key, and the simulator's limit per key."""

from __future__ import annotations

import asyncio
import base64
import time

import aiohttp
import pytest

from kinetic_integration.clients import PaymentEngineClient
from kinetic_integration.clients.rate_budget import (
    Priority,
    RequestBudget,
    key_fingerprint,
    shared_budget,
)
from kinetic_integration.errors import KineticRateLimitError
from kinetic_integration.simulator import PaymentEngineSimulator
from tests.log_hygiene import register_secret


async def _timed(budget: RequestBudget, priority: Priority, log: list[tuple[float, float]]) -> None:
    async with budget.slot(priority, max_wait=10.0):
        started = time.monotonic()
        await asyncio.sleep(0.01)
        log.append((started, time.monotonic()))


async def test_budget_never_lets_more_than_the_limit_into_a_window() -> None:
    budget = RequestBudget(4, 0.3)
    log: list[tuple[float, float]] = []
    await asyncio.gather(*(_timed(budget, Priority.URGENT, log) for _ in range(12)))
    log.sort()
    assert len(log) == 12
    # Request i + 4 leaves only once request i's answer is a whole window old.
    for earlier, later in zip(log, log[4:], strict=False):
        assert later[0] - earlier[1] >= 0.3 - 0.005
    assert budget.sent == 12


async def test_lower_priorities_leave_the_last_slots_to_higher_ones() -> None:
    budget = RequestBudget(3, 5.0, urgent_reserve=1, sale_reserve=2)
    async with budget.slot(Priority.BACKGROUND, max_wait=0.1):
        pass
    with pytest.raises(KineticRateLimitError) as caught:
        async with budget.slot(Priority.BACKGROUND, max_wait=0.05):
            pass
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 4
    async with budget.slot(Priority.SALE, max_wait=0.1):
        pass
    with pytest.raises(KineticRateLimitError):
        async with budget.slot(Priority.SALE, max_wait=0.05):
            pass
    async with budget.slot(Priority.URGENT, max_wait=0.1):
        pass
    assert budget.used() == 3
    assert "3/3" in repr(budget)


async def test_waiting_requests_are_served_by_priority_then_arrival() -> None:
    budget = RequestBudget(1, 0.2, urgent_reserve=0, sale_reserve=0)
    order: list[str] = []

    async def one(name: str, priority: Priority) -> None:
        async with budget.slot(priority, max_wait=5.0):
            order.append(name)

    async with budget.slot(Priority.URGENT, max_wait=1.0):
        waiters = [
            asyncio.create_task(one("background", Priority.BACKGROUND)),
            asyncio.create_task(one("sale 1", Priority.SALE)),
            asyncio.create_task(one("urgent", Priority.URGENT)),
            asyncio.create_task(one("sale 2", Priority.SALE)),
        ]
        await asyncio.sleep(0.05)
    await asyncio.gather(*waiters)
    assert order == ["urgent", "sale 1", "sale 2", "background"]


async def test_a_cancelled_waiter_takes_no_slot() -> None:
    budget = RequestBudget(1, 0.2)
    async with budget.slot(Priority.URGENT, max_wait=1.0):
        waiter = asyncio.create_task(_timed(budget, Priority.URGENT, []))
        await asyncio.sleep(0.02)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert budget.used() == 1
    await asyncio.sleep(0.21)
    assert budget.idle()


async def test_a_429_pauses_every_priority_for_its_retry_after() -> None:
    budget = RequestBudget(45, 60.0)
    budget.rate_limited(0.3)
    started = time.monotonic()
    async with budget.slot(Priority.URGENT, max_wait=1.0):
        pass
    assert time.monotonic() - started >= 0.29


def test_one_budget_per_key_and_server_named_by_a_digest() -> None:
    key = "_BUDGETKEY0000000000000001"
    register_secret(key)
    first = shared_budget("https://usaepay.com", key)
    # Held by a request in flight, so it is not dropped as idle in between.
    first._in_flight += 1
    try:
        assert shared_budget("https://usaepay.com", key) is first
        assert shared_budget("https://usaepay.com", key + "2") is not first
        assert shared_budget("https://sandbox.usaepay.com", key) is not first
    finally:
        first._in_flight -= 1
    fingerprint = key_fingerprint("https://usaepay.com", key)
    assert key not in fingerprint
    assert key not in repr(first)
    assert first.limit == 45
    assert first.window == 60.0


def test_budget_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="limit must be"):
        RequestBudget(0, 60.0)
    with pytest.raises(ValueError, match="reserves must"):
        RequestBudget(3, 60.0, urgent_reserve=2, sale_reserve=1)


def _client(sim: PaymentEngineSimulator, session: aiohttp.ClientSession) -> PaymentEngineClient:
    info = sim.describe()
    register_secret(*sim.secrets())
    return PaymentEngineClient(
        api_key=str(info["api_key"]),
        pin=str(info["pin"]),
        base_url=sim.base_url,
        session=session,
        request_timeout=5.0,
    )


async def test_clients_on_one_key_share_its_budget_and_never_see_a_429(
    session: aiohttp.ClientSession,
) -> None:
    sim = PaymentEngineSimulator(host="127.0.0.171", port=0, rate_limit=5, rate_window=0.5)
    async with sim:
        clients = [_client(sim, session) for _ in range(3)]
        budget = RequestBudget(5, 0.5)
        for client in clients:
            client.budget = budget
        key = next(iter(sim.pe_devices))
        started = time.monotonic()
        await asyncio.gather(*(client.device(key) for client in clients for _ in range(5)))
        # 15 requests at 5 per half second: two whole windows of waiting at least.
        assert time.monotonic() - started >= 1.0
        assert sim.rate_limiter.rejected[str(sim.describe()["api_key"])] == 0
        assert sim.rate_limiter.most_in_window[str(sim.describe()["api_key"])] <= 5


async def test_client_backs_off_for_the_servers_retry_after(
    session: aiohttp.ClientSession,
) -> None:
    sim = PaymentEngineSimulator(host="127.0.0.172", port=0, rate_limit=1, rate_window=1.0)
    async with sim:
        client = _client(sim, session)
        client.budget = RequestBudget(10, 1.0)  # looser than the server: it will say 429
        key = next(iter(sim.pe_devices))
        await client.device(key)
        with pytest.raises(KineticRateLimitError) as caught:
            await client.device(key)
        assert caught.value.retry_after == 1.0
        started = time.monotonic()
        await client.device(key)  # held back until the Retry-After has passed
        assert time.monotonic() - started >= 0.95
        assert sim.rate_limiter.rejected[str(sim.describe()["api_key"])] == 1


def _basic(login: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:x".encode()).decode()


async def test_simulator_limits_each_api_key_on_its_own(session: aiohttp.ClientSession) -> None:
    sim = PaymentEngineSimulator(host="127.0.0.173", port=0, rate_limit=2, rate_window=30.0)
    async with sim:
        register_secret(*sim.secrets())
        url = f"{sim.base_url}/paymentengine/devices"
        for _ in range(2):
            async with session.get(url, headers={"Authorization": _basic("other")}) as resp:
                assert resp.status == 401
        async with session.get(url, headers={"Authorization": _basic("other")}) as resp:
            assert resp.status == 429
            assert 1 <= int(resp.headers["Retry-After"]) <= 30
            assert await resp.json() == {"error": "API rate limit exceeded", "errorcode": 0}
        # Another key's requests count for that key only.
        key = next(iter(sim.pe_devices))
        client = _client(sim, session)
        client.budget = RequestBudget(2, 30.0, urgent_reserve=0, sale_reserve=0)
        assert (await client.device(key)).key == key
        assert (await client.device(key)).key == key
        assert sim.rate_limiter.rejected == {"other": 1}
        # The simulator's own control routes never count.
        async with session.get(f"{sim.url}/_sim/state") as resp:
            assert resp.status == 200
