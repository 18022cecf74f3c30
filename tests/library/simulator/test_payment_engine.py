"""Payment Engine simulator over raw HTTP: auth, pay requests, devices, errors (seed 004)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import aiohttp

from kinetic_integration.simulator import PaymentEngineSimulator

from .helpers import pe_auth, read, wait_until

DEVICE = "sa_SIM0000000000000000000000001"


def _url(sim: PaymentEngineSimulator, path: str) -> str:
    return f"{sim.base_url}/paymentengine/{path}"


async def _create(
    session: aiohttp.ClientSession, sim: PaymentEngineSimulator, **body: Any
) -> aiohttp.ClientResponse:
    payload = {"devicekey": DEVICE, "command": "sale", "amount": "8.88", **body}
    return await session.post(_url(sim, "payrequests"), json=payload, auth=pe_auth(sim))


async def _follow(
    session: aiohttp.ClientSession, sim: PaymentEngineSimulator, key: str
) -> tuple[list[str], dict[str, Any]]:
    """Poll a request until complete; return every distinct status seen and the last body."""
    seen: list[str] = []
    for _ in range(1000):
        body = await read(await session.get(_url(sim, f"payrequests/{key}"), auth=pe_auth(sim)))
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["complete"]:
            return seen, body
        await asyncio.sleep(0.002)
    raise AssertionError("request never completed")


async def test_auth_is_the_sdk_pin_hash(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    sim = payment_engine_sim
    seed = "abcdef"
    pin = str(sim.describe()["pin"])
    digest = hashlib.sha256(f"{sim.api_key}{seed}{pin}".encode()).hexdigest()
    good = aiohttp.BasicAuth(sim.api_key, f"s2/{seed}/{digest}")
    assert (await session.get(_url(sim, "devices"), auth=good)).status == 200
    for auth in (
        None,
        aiohttp.BasicAuth(sim.api_key, f"s2/other/{digest}"),
        aiohttp.BasicAuth("someone", f"s2/{seed}/{digest}"),
        aiohttp.BasicAuth(sim.api_key, pin),
    ):
        response = await session.get(_url(sim, "devices"), auth=auth)
        assert response.status == 401
        assert "error" in await read(response)
    denied = await session.post(
        _url(sim, "payrequests"), json={"command": "sale", "amount": "1.00"}
    )
    assert denied.status == 401
    assert sim.money_requests() == 1
    assert sim.ledger == []


async def test_status_progression_to_complete(session: aiohttp.ClientSession) -> None:
    # Slower than the fixture so that a loaded machine still sees every status.
    async with PaymentEngineSimulator(
        host="127.0.0.14", customer_delay=0.15, processing_delay=0.15, rate_limit=0
    ) as sim:
        await _check_progression(session, sim)


async def _check_progression(
    session: aiohttp.ClientSession, payment_engine_sim: PaymentEngineSimulator
) -> None:
    response = await _create(session, payment_engine_sim, command="cc:sale", invoice="INV1")
    assert response.status == 200
    created = await read(response)
    assert set(created) == {"type", "key", "expiration", "status"}
    assert created["type"] == "request"
    assert created["key"].startswith("pr_")
    assert created["status"] == "sending to device"
    seen, body = await _follow(session, payment_engine_sim, created["key"])
    assert seen == [
        "sending to device",
        "sent to device",
        "waiting for card dip",
        "processing payment",
        "completing payment",
        "transaction complete",
    ]
    txn = body["transaction"]
    assert txn["result_code"] == "A"
    assert txn["result"] == "Approved"
    assert txn["auth_amount"] == "8.88"
    assert txn["invoice"] == "INV1"
    assert txn["creditcard"]["number"] == "4xxxxxxxxxxx0119"
    assert {"type", "key", "refnum", "is_duplicate", "authcode", "error", "error_code"} <= set(txn)
    [entry] = payment_engine_sim.charges()
    assert entry.reference == created["key"]
    assert entry.device == DEVICE


async def test_declined_error_and_customer_cancel(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    outcomes = {}
    for amount in ("2.01", "2.05", "2.04"):
        key = (await read(await _create(session, payment_engine_sim, amount=amount)))["key"]
        outcomes[amount] = (await _follow(session, payment_engine_sim, key))[1]
    assert outcomes["2.01"]["status"] == "transaction complete"
    assert outcomes["2.01"]["transaction"]["result_code"] == "D"
    assert outcomes["2.05"]["status"] == "transaction failed"
    assert outcomes["2.05"]["transaction"]["result_code"] == "E"
    assert outcomes["2.04"]["status"] == "transaction canceled"
    assert "transaction" not in outcomes["2.04"]
    assert payment_engine_sim.charges() == []


async def test_signature_shows_transaction_before_complete(
    session: aiohttp.ClientSession,
) -> None:
    async with PaymentEngineSimulator(
        host="127.0.0.7", customer_delay=0.01, processing_delay=0.1, rate_limit=0
    ) as sim:
        key = (await read(await _create(session, sim, amount="3.06")))["key"]
        seen, body = await _follow(session, sim, key)
        assert "capturing signature" in seen
        assert body["transaction"]["result_code"] == "A"


async def test_request_timeout_and_no_new_request(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    key = (await read(await _create(session, payment_engine_sim, amount="4.03", timeout=0.3)))[
        "key"
    ]
    seen, body = await _follow(session, payment_engine_sim, key)
    assert seen[-2:] == ["waiting for card dip", "timeout"]
    assert "transaction" not in body
    assert payment_engine_sim.money_requests() == 1
    assert [entry.result for entry in payment_engine_sim.ledger] == ["timeout"]
    late = await session.delete(
        _url(payment_engine_sim, f"payrequests/{key}"), auth=pe_auth(payment_engine_sim)
    )
    assert late.status == 400
    assert (await read(late))["errorcode"] == 21144


async def test_delete_cancels_and_busy_device(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    key = (await read(await _create(session, payment_engine_sim, amount="5.03")))["key"]
    busy = await _create(session, payment_engine_sim, amount="1.00")
    assert busy.status == 400
    assert await read(busy) == {
        "error": "Device is currently processing another transaction.",
        "errorcode": 21146,
    }
    await wait_until(lambda: payment_engine_sim.screen == "Present card")
    cancelled = await session.delete(
        _url(payment_engine_sim, f"payrequests/{key}"), auth=pe_auth(payment_engine_sim)
    )
    assert cancelled.status == 200
    assert (await read(cancelled))["status"] == "canceled"
    _, body = await _follow(session, payment_engine_sim, key)
    assert body["status"] == "canceled"
    again = await session.delete(
        _url(payment_engine_sim, f"payrequests/{key}"), auth=pe_auth(payment_engine_sim)
    )
    assert again.status == 400
    missing = await session.get(
        _url(payment_engine_sim, "payrequests/pr_nope"), auth=pe_auth(payment_engine_sim)
    )
    assert missing.status == 404
    assert payment_engine_sim.ledger[-1].result == "cancelled"


async def test_error_codes(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    sim = payment_engine_sim
    unknown = await _create(session, sim, devicekey="sa_nope")
    assert (await read(unknown))["errorcode"] == 21121
    sim.set_battery(DEVICE, 5)
    low = await _create(session, sim)
    assert await read(low) == {
        "error": "Request failed (Payment terminal battery too low)",
        "errorcode": 21143,
    }
    sim.set_battery(DEVICE, 80)
    sim.set_device_online(DEVICE, False)
    offline = await _create(session, sim, block_offline=True)
    assert await read(offline) == {"error": "Device is currently offline.", "errorcode": 21145}
    bad_bodies: list[dict[str, Any]] = [
        {"command": "capture"},
        {"amount": "0"},
        {"amount": "1.234"},
        {"amount": "abc"},
        {"amount": True},
        {"timeout": 0},
    ]
    for body in bad_bodies:
        response = await _create(session, sim, **body)
        assert response.status == 400, body
    assert sim.ledger == []
    assert sim.money_requests() == 9


async def test_offline_device_waits_then_runs(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    sim = payment_engine_sim
    sim.set_device_online(DEVICE, False)
    key = (await read(await _create(session, sim)))["key"]
    await asyncio.sleep(0.1)
    body = await read(await session.get(_url(sim, f"payrequests/{key}"), auth=pe_auth(sim)))
    assert body["status"] == "sending to device"
    device = await read(await session.get(_url(sim, f"devices/{DEVICE}"), auth=pe_auth(sim)))
    assert device["status"] == "offline"
    sim.set_device_online(DEVICE, True)
    _, body = await _follow(session, sim, key)
    assert body["status"] == "transaction complete"


async def test_devices_list_get_register(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    sim = payment_engine_sim
    listing = await read(await session.get(_url(sim, "devices"), auth=pe_auth(sim)))
    assert listing["type"] == "list"
    assert [(d["key"], d["name"], d["status"]) for d in listing["data"]] == [
        (DEVICE, "Counter", "online")
    ]
    missing = await session.get(_url(sim, "devices/sa_missing"), auth=pe_auth(sim))
    assert missing.status == 404
    assert (await read(missing))["errorcode"] == 21121
    registered = await read(
        await session.post(
            _url(sim, "devices"),
            json={"terminal_type": "standalone", "name": "Bar"},
            auth=pe_auth(sim),
        )
    )
    assert registered["key"].startswith("sa_")
    assert len(registered["pairing_code"]) == 6
    assert registered["expiration"]
    assert registered["status"] == "waiting for device pairing"
    # Not paired yet: the engine does not know it as a payment device.
    unpaired = await _create(session, sim, devicekey=registered["key"])
    assert (await read(unpaired))["errorcode"] == 21121
    sim.pair(registered["key"])
    key = (await read(await _create(session, sim, devicekey=registered["key"])))["key"]
    _, body = await _follow(session, sim, key)
    assert body["devicekey"] == registered["key"]
    assert sim.charges()[0].device == registered["key"]


async def test_rate_limit_answers_429_with_retry_after(session: aiohttp.ClientSession) -> None:
    async with PaymentEngineSimulator(host="127.0.0.8", rate_limit=3, rate_window=60) as sim:
        for _ in range(3):
            assert (await session.get(_url(sim, "devices"), auth=pe_auth(sim))).status == 200
        limited = await session.get(_url(sim, "devices"), auth=pe_auth(sim))
        assert limited.status == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "error" in await read(limited)
        # A rate-limited pay request is counted but never reaches a device.
        refused = await _create(session, sim)
        assert refused.status == 429
        assert sim.money_requests() == 1
        assert sim.ledger == []
        # The control API is not rate limited.
        async with session.get(f"{sim.url}/_sim/state") as state:
            assert state.status == 200


async def test_default_device_when_devicekey_omitted(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    response = await session.post(
        _url(payment_engine_sim, "payrequests"),
        json={"command": "refund", "amount": "1.50", "timeout": "30"},
        auth=pe_auth(payment_engine_sim),
    )
    key = (await read(response))["key"]
    _, body = await _follow(session, payment_engine_sim, key)
    assert body["devicekey"] == DEVICE
    assert body["transaction"]["trantype"] == "Credit Card Refund"
    assert payment_engine_sim.charges()[0].type == "refund"


async def test_two_devices_run_side_by_side(session: aiohttp.ClientSession) -> None:
    devices = (
        ("sa_A0000000000000000000000000001", "Front"),
        ("sa_B0000000000000000000000000002", "Back"),
    )
    async with PaymentEngineSimulator(
        host="127.0.0.13", devices=devices, customer_delay=0, rate_limit=0
    ) as sim:
        keys = []
        for device_key, _ in devices:
            created = await _create(session, sim, devicekey=device_key)
            assert created.status == 200
            keys.append((await read(created))["key"])
        await sim.customer("tap", device="Back")
        _, back = await _follow(session, sim, keys[1])
        assert back["status"] == "transaction complete"
        front = await read(
            await session.get(_url(sim, f"payrequests/{keys[0]}"), auth=pe_auth(sim))
        )
        assert front["status"] == "waiting for card dip"
        await sim.customer("cancel", device=devices[0][0])
        _, front = await _follow(session, sim, keys[0])
        assert front["status"] == "transaction canceled"
        assert [(e.device, e.result) for e in sim.ledger] == [
            (devices[1][0], "approved"),
            (devices[0][0], "cancelled"),
        ]


async def test_device_reboot_mid_request_is_an_error(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    key = (await read(await _create(session, payment_engine_sim, amount="6.03")))["key"]
    await wait_until(lambda: payment_engine_sim.screen == "Present card")
    await payment_engine_sim.reboot()
    _, body = await _follow(session, payment_engine_sim, key)
    assert body["status"] == "error"
    assert payment_engine_sim.ledger[-1].result == "error"
    # The request (held by the engine, not the device) is still there after the reboot.
    again = await session.get(
        _url(payment_engine_sim, f"payrequests/{key}"), auth=pe_auth(payment_engine_sim)
    )
    assert again.status == 200
