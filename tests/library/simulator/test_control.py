"""The control API, reboot, ledger, printer, scripted outcomes and the fleet."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

from kinetic_integration.models.common import TerminalKind
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    Fleet,
    KineticGoSimulator,
    LedgerEntry,
    NoCustomerPromptError,
    run_fleet,
)
from kinetic_integration.simulator.outcomes import Outcome, outcome_for

from .helpers import DS_BASE, ds_auth, go_auth, read, wait_until


def test_outcomes_by_cents() -> None:
    from decimal import Decimal

    expected = {
        "1.01": Outcome.DECLINED,
        "1.02": Outcome.PIN_THEN_APPROVED,
        "1.03": Outcome.NO_CARD,
        "1.04": Outcome.CUSTOMER_CANCELS,
        "1.05": Outcome.HOST_ERROR,
        "1.06": Outcome.SIGNATURE,
        "1.00": Outcome.APPROVED,
        "1.07": Outcome.APPROVED,
        "12.11": Outcome.APPROVED,
        "0.01": Outcome.DECLINED,
    }
    for amount, outcome in expected.items():
        assert outcome_for(Decimal(amount)) is outcome, amount


async def test_state_ledger_requests_over_http(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    url = kinetic_go_sim.url
    state = await read(await session.get(f"{url}/_sim/state"))
    assert state["kind"] == "kinetic-go"
    assert state["serial"] == "KG2SIM0001"
    assert state["screen"] == "Idle"
    assert state["busy"] is False
    assert state["printer"] == {"present": True, "paper": True, "jobs": 0}
    await session.post(
        f"{url}/api/v2/transactions/sale.json",
        json={"id": "x", "amount": 1234},
        auth=go_auth(kinetic_go_sim),
    )
    await wait_until(lambda: len(kinetic_go_sim.ledger) == 1)
    ledger = await read(await session.get(f"{url}/_sim/ledger"))
    assert len(ledger) == 1
    assert ledger[0]["reference"] == "x"
    assert ledger[0]["amount"] == "12.34"
    assert ledger[0]["result"] == "approved"
    assert ledger[0]["type"] == "sale"
    requests = await read(await session.get(f"{url}/_sim/requests"))
    assert requests == {"total": 1, "paths": {"/api/v2/transactions/sale.json": 1}}
    entry = kinetic_go_sim.ledger[0]
    assert isinstance(entry, LedgerEntry)
    assert entry.moved_money


async def test_manual_customer_over_http(session: aiohttp.ClientSession) -> None:
    async with KineticGoSimulator(host="127.0.0.9", customer_delay=0) as sim:
        url = sim.url
        nothing = await session.post(f"{url}/_sim/customer", json={"action": "tap", "wait": 0.05})
        assert nothing.status == 409
        unknown = await session.post(f"{url}/_sim/customer", json={"action": "dance"})
        assert unknown.status == 400
        await session.post(
            f"{url}/api/v2/transactions/sale.json",
            json={"id": "m", "amount": 100},
            auth=go_auth(sim),
        )
        await asyncio.sleep(0.3)
        # Without an automatic customer the sale waits for us.
        assert sim.device.busy
        assert sim.screen == "Present card"
        tapped = await session.post(f"{url}/_sim/customer", json={"action": "swipe"})
        assert tapped.status == 200
        await wait_until(lambda: len(sim.ledger) == 1)
        assert sim.ledger[0].result == "approved"
        with pytest.raises(NoCustomerPromptError):
            await sim.customer("pin", wait=0.05)


async def test_reboot_keeps_the_database_and_aborts_the_running_sale(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    url = kinetic_go_sim.url
    auth = go_auth(kinetic_go_sim)
    await session.post(
        f"{url}/api/v2/transactions/sale.json", json={"id": "done", "amount": 100}, auth=auth
    )
    await wait_until(lambda: len(kinetic_go_sim.ledger) == 1)
    await session.post(
        f"{url}/api/v2/transactions/sale.json", json={"id": "running", "amount": 103}, auth=auth
    )
    kinetic_go_sim.inject("error_500", path="/nothing")
    assert (await session.post(f"{url}/_sim/reboot", json={})).status == 200
    assert kinetic_go_sim.faults == []
    assert not kinetic_go_sim.device.busy
    current = await session.get(f"{url}/api/v2/transactions/current.json", auth=auth)
    assert current.status == 404
    for tid, result in (("done", "approved"), ("running", "error")):
        body = await read(await session.get(f"{url}/api/v2/transactions/{tid}.json", auth=auth))
        assert body["transaction"]["result"] == result
    assert [(e.reference, e.result) for e in kinetic_go_sim.ledger] == [
        ("done", "approved"),
        ("running", "error"),
    ]
    # The device works after the reboot.
    again = await session.post(
        f"{url}/api/v2/transactions/sale.json", json={"id": "after", "amount": 100}, auth=auth
    )
    assert again.status == 200
    await wait_until(lambda: len(kinetic_go_sim.charges()) == 2)


async def test_offline_and_printer_over_http(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    url = kinetic_go_sim.url
    assert (await session.post(f"{url}/_sim/offline", json={"offline": "yes"})).status == 400
    assert (await session.post(f"{url}/_sim/offline", json={"offline": True})).status == 200
    await session.post(
        f"{url}/api/v2/transactions/sale.json",
        json={"id": "o", "amount": 100},
        auth=go_auth(kinetic_go_sim),
    )
    await wait_until(lambda: len(kinetic_go_sim.ledger) == 1)
    assert kinetic_go_sim.ledger[0].result == "error"
    assert (await read(await session.get(f"{url}/_sim/state")))["offline"] is True
    assert (await session.post(f"{url}/_sim/printer", json={"paper": False})).status == 200
    printed = await session.post(
        f"{url}/api/v2/print.json",
        json={"instructions": [{"command": "text", "text": "hi", "x": 0, "y": 0}]},
        auth=go_auth(kinetic_go_sim),
    )
    assert printed.status == 400
    assert (await read(await session.get(f"{url}/_sim/state")))["printer"]["paper"] is False
    assert await read(await session.get(f"{url}/_sim/printed")) == []


async def test_scripted_outcomes_on_device_service_with_manual_customer(
    session: aiohttp.ClientSession,
) -> None:
    async with DeviceServiceSimulator(host="127.0.0.10", customer_delay=0, stable_wait=0.1) as sim:
        reference = str(uuid.uuid4())
        post = asyncio.ensure_future(
            session.post(
                f"{sim.url}{DS_BASE}/Transaction",
                json={"Amount": "2.02", "Reference": reference},
                auth=ds_auth(sim),
            )
        )
        await sim.customer("insert")
        await wait_until(lambda: sim.screen == "Enter PIN")
        await sim.customer("pin")
        body = await read(await post)
        assert body["Result"] == "approved"
        assert body["VerifiedByPin"] is True
        assert body["DataSource"] == "chip"


async def test_fleet_on_distinct_loopback_addresses(session: aiohttp.ClientSession) -> None:
    fleet = Fleet(
        kinetic_go=2, device_service=1, payment_engine=1, first_host=20, port=0, customer_delay=0.01
    )
    async with fleet:
        described = fleet.describe()
        assert [item["host"] for item in described] == [
            "127.0.0.20",
            "127.0.0.21",
            "127.0.0.22",
            "127.0.0.23",
        ]
        assert [item["kind"] for item in described] == [
            TerminalKind.KINETIC_GO,
            TerminalKind.KINETIC_GO,
            TerminalKind.DEVICE_SERVICE,
            TerminalKind.PAYMENT_ENGINE,
        ]
        assert described[0]["serial"] != described[1]["serial"]
        assert "password" in described[2]
        assert "api_key" in described[3]
        assert "pin" in described[3]
        assert str(described[3]["base_url"]).endswith("/api/v2")
        for sim in fleet.simulators:
            state = await read(await session.get(f"{sim.url}/_sim/state"))
            assert state["kind"] == sim.kind


async def test_run_fleet_until_cancelled(session: aiohttp.ClientSession) -> None:
    fleet = Fleet(kinetic_go=1, device_service=0, payment_engine=0, first_host=30, port=0)
    ready = asyncio.Event()
    task = asyncio.ensure_future(run_fleet(fleet, ready=ready))
    await asyncio.wait_for(ready.wait(), 5)
    url = fleet.simulators[0].url
    assert (await session.get(f"{url}/api/v2/ping.json")).status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.get(f"{url}/api/v2/ping.json")


def test_fleet_refuses_too_many_addresses() -> None:
    with pytest.raises(ValueError, match="addresses"):
        Fleet(kinetic_go=200, device_service=100, payment_engine=0)


async def test_reboot_with_downtime_refuses_connections_then_returns(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    url = kinetic_go_sim.url
    accepted = await session.post(f"{url}/_sim/reboot", json={"downtime": 0.3})
    assert accepted.status == 202
    await asyncio.sleep(0.1)
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.get(f"{url}/api/v2/ping.json")
    await asyncio.sleep(0.4)
    assert (await session.get(f"{url}/api/v2/ping.json")).status == 200
    assert kinetic_go_sim.url == url


async def test_stop_is_quick_with_a_hanging_request(session: aiohttp.ClientSession) -> None:
    sim = KineticGoSimulator(host="127.0.0.11")
    await sim.start()
    sim.inject("hang")
    request = asyncio.ensure_future(session.get(f"{sim.url}/api/v2/ping.json"))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(sim.stop(), 3)
    with pytest.raises(aiohttp.ClientError):
        await request


async def test_go_without_a_printer(session: aiohttp.ClientSession) -> None:
    async with KineticGoSimulator(host="127.0.0.12", has_printer=False) as sim:
        response = await session.post(
            f"{sim.url}/api/v2/print.json",
            json={"instructions": [{"command": "flush"}]},
            auth=go_auth(sim),
        )
        assert response.status == 400
        assert "printer" in (await read(response))["description"]
