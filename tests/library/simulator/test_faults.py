"""Fault injection, through the Python API and the control API, on all three kinds."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import pytest

from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .helpers import DS_BASE, ds_auth, go_auth, pe_auth, read, wait_until

SALE = "/api/v2/transactions/sale.json"


async def _go_sale(
    session: aiohttp.ClientSession, sim: KineticGoSimulator, tid: str, amount: int = 100
) -> aiohttp.ClientResponse:
    return await session.post(
        f"{sim.url}{SALE}", json={"id": tid, "amount": amount}, auth=go_auth(sim)
    )


async def test_latency_delays_then_answers(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("latency", seconds=0.2, path="/api/v2/device")
    started = time.monotonic()
    response = await session.get(
        f"{kinetic_go_sim.url}/api/v2/device.json", auth=go_auth(kinetic_go_sim)
    )
    assert response.status == 200
    assert time.monotonic() - started >= 0.2
    # Used up: the next one is fast.
    started = time.monotonic()
    await session.get(f"{kinetic_go_sim.url}/api/v2/device.json", auth=go_auth(kinetic_go_sim))
    assert time.monotonic() - started < 0.2


async def test_error_500_does_nothing(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("error_500", times=2)
    for tid in ("a", "b"):
        response = await _go_sale(session, kinetic_go_sim, tid)
        assert response.status == 500
        assert (await read(response))["success"] is False
    assert not kinetic_go_sim.device.busy
    assert kinetic_go_sim.device.db == {}
    assert kinetic_go_sim.money_requests() == 2
    assert (await _go_sale(session, kinetic_go_sim, "c")).status == 200


async def test_busy_fault_answers_each_kinds_busy_body(
    kinetic_go_sim: KineticGoSimulator,
    device_service_sim: DeviceServiceSimulator,
    payment_engine_sim: PaymentEngineSimulator,
    session: aiohttp.ClientSession,
) -> None:
    kinetic_go_sim.inject("busy")
    go = await _go_sale(session, kinetic_go_sim, "a")
    assert go.status == 409
    assert (await read(go))["description"] == "Transaction in progress"
    device_service_sim.inject("busy")
    ds = await session.post(
        f"{device_service_sim.url}{DS_BASE}/Transaction",
        json={"amount": "1.00"},
        auth=ds_auth(device_service_sim),
    )
    assert ds.status == 400
    assert (await read(ds))["ResponseStatus"]["ErrorCode"] == "DeviceBusy"
    payment_engine_sim.inject("busy")
    pe = await session.post(
        f"{payment_engine_sim.base_url}/paymentengine/payrequests",
        json={"command": "sale", "amount": "1.00"},
        auth=pe_auth(payment_engine_sim),
    )
    assert (await read(pe))["errorcode"] == 21146
    for sim in (kinetic_go_sim, device_service_sim, payment_engine_sim):
        assert sim.ledger == []
        assert not any(device.busy for device in sim.devices)


async def test_hang_never_answers_and_does_nothing(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("hang", path=SALE)
    with pytest.raises(TimeoutError):
        await session.post(
            f"{kinetic_go_sim.url}{SALE}",
            json={"id": "h", "amount": 100},
            auth=go_auth(kinetic_go_sim),
            timeout=aiohttp.ClientTimeout(total=0.2),
        )
    assert kinetic_go_sim.device.db == {}
    assert kinetic_go_sim.money_requests() == 1


async def test_malformed_json_processes_the_request(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("malformed_json", path=SALE)
    response = await _go_sale(session, kinetic_go_sim, "m")
    assert response.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(await response.text())
    await wait_until(lambda: len(kinetic_go_sim.charges()) == 1)
    assert kinetic_go_sim.charges()[0].reference == "m"


async def test_drop_after_accept_kinetic_go(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    kinetic_go_sim.inject("drop_after_accept", path=SALE)
    with pytest.raises(aiohttp.ClientConnectionError):
        await _go_sale(session, kinetic_go_sim, "d")
    await wait_until(lambda: len(kinetic_go_sim.charges()) == 1)
    found = await session.get(
        f"{kinetic_go_sim.url}/api/v2/transactions/d.json", auth=go_auth(kinetic_go_sim)
    )
    assert (await read(found))["transaction"]["result"] == "approved"


async def test_drop_after_accept_device_service(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """The blocking POST is cut as soon as the device starts; the customer still pays."""
    reference = str(uuid.uuid4())
    device_service_sim.inject("drop_after_accept", path="/deviceservice/kinetic/transaction")
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.post(
            f"{device_service_sim.url}{DS_BASE}/Transaction",
            json={"amount": "9.99", "reference": reference},
            auth=ds_auth(device_service_sim),
        )
    response = await session.get(
        f"{device_service_sim.url}{DS_BASE}/Transaction?uuid={reference}",
        auth=ds_auth(device_service_sim),
    )
    body = await read(response)
    assert body["Complete"] is True
    assert body["Result"] == "approved"
    assert [entry.reference for entry in device_service_sim.charges()] == [reference]


async def test_drop_after_accept_payment_engine(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.post(
            f"{payment_engine_sim.base_url}/paymentengine/payrequests",
            json={"command": "sale", "amount": "1.00"},
            auth=pe_auth(payment_engine_sim),
        )
    await wait_until(lambda: len(payment_engine_sim.charges()) == 1)
    assert payment_engine_sim.money_requests() == 1


async def test_faults_over_the_control_api(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    url = kinetic_go_sim.url
    bad = await session.post(f"{url}/_sim/faults", json={"fault": "explode"})
    assert bad.status == 400
    armed = await session.post(
        f"{url}/_sim/faults", json={"fault": "error_500", "times": 3, "path": "/API/V2/DEVICE"}
    )
    assert armed.status == 200
    # The path prefix is case-insensitive and other paths are untouched.
    assert (await session.get(f"{url}/api/v2/ping.json")).status == 200
    assert (
        await session.get(f"{url}/api/v2/device.json", auth=go_auth(kinetic_go_sim))
    ).status == 500
    state = await read(await session.get(f"{url}/_sim/state"))
    assert state["faults"] == [
        {"fault": "error_500", "times": 2, "path": "/API/V2/DEVICE", "seconds": None}
    ]
    assert (await session.delete(f"{url}/_sim/faults")).status == 200
    assert (
        await session.get(f"{url}/api/v2/device.json", auth=go_auth(kinetic_go_sim))
    ).status == 200
    latency = await session.post(f"{url}/_sim/faults", json={"fault": "latency", "seconds": 0.01})
    assert latency.status == 200
    kinetic_go_sim.clear_faults()
    assert kinetic_go_sim.faults == []
    with pytest.raises(ValueError, match="seconds"):
        kinetic_go_sim.inject("latency")


async def test_latency_comes_before_the_handler(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    """A client that gives up during injected latency started nothing."""
    kinetic_go_sim.inject("latency", seconds=0.5, path=SALE)
    task = asyncio.ensure_future(_go_sale(session, kinetic_go_sim, "late"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Latency comes before the handler, so a client that gave up started nothing.
    await asyncio.sleep(0.6)
    assert kinetic_go_sim.device.db == {}
