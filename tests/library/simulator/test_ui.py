"""The virtual terminal page (``/_sim/ui``), its state endpoint and the network cable.

Simulators here use 127.0.0.140-147, 150 and 151 (nothing else in the suite does).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from kinetic_integration.errors import KineticConnectionError
from kinetic_integration.models.common import TerminalKind, TransactionResult
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    Fleet,
    KineticGoSimulator,
    PaymentEngineSimulator,
    ui,
)
from kinetic_integration.simulator.ui import asset, mask_pans, money
from kinetic_integration.terminal import create_terminal, kind_facts
from tests.library.terminal.support import config_for
from tests.log_hygiene import register_secret

from .helpers import DS_BASE, ds_auth, go_auth, wait_until

PAGE_TESTIDS = (
    "device",
    "screen",
    "amount",
    "prompt",
    "pinpad",
    "pin-dots",
    "action-tap",
    "action-insert",
    "action-swipe",
    "action-pin",
    "action-cancel",
    "cable",
    "paper",
    "printer-strip",
    "toast",
    "sim-name",
    "sim-kind",
    "sim-serial",
    "sim-address",
)
#: 13 or more digits in a row (spaces and dashes allowed): what a full card number looks like.
_LONG_DIGITS = re.compile(r"\d(?:[ -]?\d){12,}")


async def _ui_state(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(f"{url}/_sim/ui/state") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        return await response.json()


async def _state_until(
    session: aiohttp.ClientSession, url: str, check: Any, within: float = 5.0
) -> Any:
    """Poll the page's state until ``check(state)`` holds; return that state."""
    async with asyncio.timeout(within):
        while True:
            state = await _ui_state(session, url)
            if check(state):
                return state
            await asyncio.sleep(0.02)


def _assert_nothing_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text
    assert not _LONG_DIGITS.search(text), text


# --- the page and its files ----------------------------------------------------------


async def test_page_and_assets_on_every_kind(session: aiohttp.ClientSession) -> None:
    fleet = Fleet(kinetic_go=1, device_service=1, payment_engine=1, first_host=140, port=0)
    async with fleet:
        for sim in fleet.simulators:
            register_secret(*sim.secrets())
            async with session.get(f"{sim.url}/_sim/ui") as page:
                assert page.status == 200
                assert page.content_type == "text/html"
                assert page.charset == "utf-8"
                assert "script-src 'self'" in page.headers["Content-Security-Policy"]
                html = await page.text()
            for testid in PAGE_TESTIDS:
                assert f'data-testid="{testid}"' in html, testid
            assert 'aria-live="polite"' in html
            assert "/_sim/ui/app.js" in html
            assert "/_sim/ui/app.css" in html
            assert "http://" not in html
            assert "https://" not in html  # no CDN
            async with session.get(f"{sim.url}/_sim/ui/app.js") as script:
                assert script.status == 200
                assert script.content_type == "text/javascript"
                js = await script.text()
            assert "/_sim/customer" in js
            assert "/_sim/ui/state" in js
            assert "/_sim/cable" in js
            # The keypad never looks at which digit was pressed.
            assert "dataset.key" not in js
            assert "data-key" not in js
            async with session.get(f"{sim.url}/_sim/ui/app.css") as css:
                assert css.status == 200
                assert css.content_type == "text/css"
                assert ".terminal" in await css.text()
            async with session.get(f"{sim.url}/_sim/ui/", allow_redirects=False) as slash:
                assert slash.status == 302
                assert slash.headers["Location"] == "/_sim/ui"
            state = await _ui_state(session, sim.url)
            assert state["kind"] == str(sim.kind)
            assert state["name"] == sim.name
            assert state["serial"] == sim.serial
            assert state["address"] == f"{sim.host}:{sim.port}"
            assert state["cable"] == {"connected": True}
            assert [d["serial"] for d in state["devices"]] == [d.serial for d in sim.devices]
            for device in state["devices"]:
                assert device["screen"] == "Idle"
                assert device["step"] == "idle"
                assert device["accepts"] == []
                assert device["transaction"] is None
                assert device["offline"] is False
        kinds = {sim.kind: await _ui_state(session, sim.url) for sim in fleet.simulators}
        assert kinds[TerminalKind.KINETIC_GO]["currency"] == "GBP"
        assert kinds[TerminalKind.KINETIC_GO]["printer"]["present"] is True
        assert kinds[TerminalKind.DEVICE_SERVICE]["printer"]["present"] is False
        assert kinds[TerminalKind.PAYMENT_ENGINE]["currency"] == "USD"
        assert kinds[TerminalKind.PAYMENT_ENGINE]["devices"][0]["name"] == "Counter 1"


def test_mask_pans_and_money() -> None:
    assert mask_pans("CARD: 4111111111111111") == "CARD: ************1111"
    assert mask_pans("4111 1111 1111 1111 X") == "************1111 X"
    assert mask_pans("CARD: 4***********0119") == "CARD: 4***********0119"
    for kept in ("AUTH CODE: 123456", "22/11/2026 03:10:08", "REF: 000000000012", "TID: 22001111"):
        assert mask_pans(kept) == kept
    assert money(Decimal("1234.5"), "£") == "£1,234.50"
    assert money(Decimal("-2.00"), "$") == "-$2.00"
    # Only the page's own files are served, whatever name is asked for.
    with pytest.raises(KeyError):
        asset("../ui.py")


# --- the state follows a real sale --------------------------------------------------


async def test_state_follows_a_sale_through_the_terminal(session: aiohttp.ClientSession) -> None:
    async with KineticGoSimulator(
        host="127.0.0.143", customer_delay=0, processing_delay=0.05
    ) as sim:
        url = sim.url
        terminal = create_terminal(config_for(sim), session)
        # A total ending in .02 is the scripted "PIN then approved" outcome.
        sale = asyncio.ensure_future(terminal.sale("40.00", tip="2.02", timeout=20))
        waiting = await _state_until(
            session, url, lambda s: s["devices"][0]["step"] == "waiting_for_card"
        )
        device = waiting["devices"][0]
        assert device["serial"] == "KG2SIM0001"
        assert device["screen"] == "Present card"
        assert device["busy"] is True
        assert device["accepts"] == ["tap", "insert", "swipe", "cancel"]
        txn = device["transaction"]
        assert txn["type"] == "sale"
        assert (txn["amount"], txn["tip"], txn["total"]) == ("40.00", "2.02", "42.02")
        assert (txn["amount_display"], txn["total_display"]) == ("£40.00", "£42.02")
        assert txn["result"] is None
        # What the page does when a button is pressed at the wrong moment: 409, a toast.
        wrong = await session.post(
            f"{url}/_sim/customer", json={"action": "pin", "device": "KG2SIM0001", "wait": 0}
        )
        assert wrong.status == 409
        unknown = await session.post(
            f"{url}/_sim/customer", json={"action": "tap", "device": "NOSUCH", "wait": 0}
        )
        assert unknown.status == 404
        inserted = await session.post(
            f"{url}/_sim/customer", json={"action": "insert", "device": "KG2SIM0001", "wait": 0}
        )
        assert inserted.status == 200
        pin = await _state_until(session, url, lambda s: s["devices"][0]["screen"] == "Enter PIN")
        assert pin["devices"][0]["accepts"] == ["pin", "cancel"]
        assert pin["devices"][0]["step"] == "waiting_for_pin"
        entered = await session.post(
            f"{url}/_sim/customer", json={"action": "pin", "device": "KG2SIM0001", "wait": 0}
        )
        assert entered.status == 200
        result = await sale
        assert result.result is TransactionResult.APPROVED
        done = await _ui_state(session, url)
        device = done["devices"][0]
        # The device's own screen moved on long ago; the page keeps the result up to read.
        assert device["screen"] == "Approved"
        assert device["step"] == "done"
        assert device["busy"] is False
        assert device["accepts"] == []
        txn = device["transaction"]
        assert txn["result"] == "approved"
        assert txn["entry"] == "insert"
        assert txn["pin_verified"] is True
        assert txn["total_display"] == "£42.02"

        await terminal.print_text(await terminal.receipt(result.reference))
        printed = await _ui_state(session, url)
        assert printed["printer"]["jobs_total"] == 1
        lines = printed["printer"]["jobs"][0]
        assert "CARD: 4***********0119" in lines
        assert "TOTAL: GBP 42.02" in lines
        assert "PIN VERIFIED" in lines
        _assert_nothing_secret(json.dumps(printed), sim.secrets())
        # A client printing a full card number still shows only its last four digits.
        await terminal.print_text(["CARD 4111 1111 1111 1111"])
        masked = await _ui_state(session, url)
        assert masked["printer"]["jobs"][-1] == ["CARD ************1111"]
        assert sim.printed[-1] == ["CARD 4111 1111 1111 1111"]
        # Out of paper: the page's toggle is the ordinary printer control.
        assert (await session.post(f"{url}/_sim/printer", json={"paper": False})).status == 200
        assert (await _ui_state(session, url))["printer"]["paper"] is False


async def test_state_of_a_payment_engine_with_two_devices(
    session: aiohttp.ClientSession,
) -> None:
    first, second = "sa_UiFirstCounterKeyAbcdefghijk", "sa_UiSecondCounterKeyAbcdefghij"
    async with PaymentEngineSimulator(
        host="127.0.0.144",
        # Not "1234": four digits that an ephemeral port number could contain.
        pin="page-test-pin",
        customer_delay=0,
        processing_delay=0.02,
        rate_limit=0,
        devices=((first, "Counter 1"), (second, "Counter 2")),
    ) as sim:
        terminal = create_terminal(config_for(sim, device_key=second), session)
        sale = asyncio.ensure_future(terminal.sale("42.50", timeout=20))
        state = await _state_until(
            session, sim.url, lambda s: s["devices"][1]["step"] == "waiting_for_card"
        )
        idle, busy = state["devices"]
        assert (idle["serial"], idle["name"], idle["screen"]) == (first, "Counter 1", "Idle")
        assert idle["transaction"] is None
        assert (busy["serial"], busy["name"]) == (second, "Counter 2")
        assert busy["transaction"]["amount_display"] == "$42.50"
        assert busy["transaction"]["currency"] == "USD"
        refused = await session.post(
            f"{sim.url}/_sim/customer", json={"action": "tap", "device": first, "wait": 0}
        )
        assert refused.status == 409
        tapped = await session.post(
            f"{sim.url}/_sim/customer", json={"action": "tap", "device": second, "wait": 0}
        )
        assert tapped.status == 200
        assert (await sale).result is TransactionResult.APPROVED
        done = await _ui_state(session, sim.url)
        assert done["devices"][1]["screen"] == "Approved"
        assert done["devices"][1]["transaction"]["entry"] == "tap"
        text = json.dumps(done)
        _assert_nothing_secret(text, [*sim.secrets(), sim.auth_password()])
        assert "api_key" not in text
        assert "pin" not in done
        assert "pin" not in done["devices"][1]


# --- the network cable ----------------------------------------------------------------


async def test_pulled_cable_drops_the_api_but_not_the_page(
    session: aiohttp.ClientSession,
) -> None:
    async with KineticGoSimulator(
        host="127.0.0.145", customer_delay=0.02, processing_delay=0.02
    ) as sim:
        url = sim.url
        auth = go_auth(sim)
        terminal = create_terminal(config_for(sim), session)
        await terminal.status()
        bad = await session.post(f"{url}/_sim/cable", json={"connected": "no"})
        assert bad.status == 400
        pulled = await session.post(f"{url}/_sim/cable", json={"connected": False})
        assert await pulled.json() == {"ok": True, "connected": False}
        assert sim.cable_connected is False

        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{url}/api/v2/ping.json")
        with pytest.raises(KineticConnectionError):
            await terminal.status()
        # A money request is counted (the client did send it) but never reaches the
        # terminal: no transaction, nothing in the ledger.
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(
                f"{url}/api/v2/transactions/sale.json",
                json={"id": "lost", "amount": 100},
                auth=auth,
            )
        assert sim.money_requests() == 1
        # Through the library: it cannot know whether the sale went through, so UNKNOWN.
        lost = await terminal.sale("10.00", timeout=1)
        assert lost.result is TransactionResult.UNKNOWN
        assert sim.money_requests() == 2
        assert sim.device.db == {}
        assert sim.ledger == []
        # The control API and the page keep answering, so the page can plug it back.
        state = await _ui_state(session, url)
        assert state["cable"] == {"connected": False}
        assert state["devices"][0]["offline"] is True
        async with session.get(f"{url}/_sim/state") as raw:
            body = await raw.json()
        assert body["cable"] == {"connected": False}
        assert body["offline"] is True
        assert (await session.get(f"{url}/_sim/ui")).status == 200

        plugged = await session.post(f"{url}/_sim/cable", json={"connected": True})
        assert await plugged.json() == {"ok": True, "connected": True}
        assert (await session.get(f"{url}/api/v2/ping.json")).status == 200
        assert (await terminal.status()) is not None
        assert (await _ui_state(session, url))["devices"][0]["offline"] is False
        sale = await terminal.sale("10.00", timeout=10)
        assert sale.result is TransactionResult.APPROVED
        assert [entry.reference for entry in sim.charges()] == [sale.reference]


async def test_cable_restores_the_offline_setting_it_found() -> None:
    async with KineticGoSimulator(host="127.0.0.146") as sim:
        seen: list[tuple[bool, bool]] = []

        def look() -> None:
            seen.append((sim.cable_connected, sim.device.offline))

        sim.set_offline(True)
        sim.set_cable(False)
        sim.set_cable(False)  # pulling twice changes nothing
        look()
        sim.set_cable(True)
        look()  # offline still: it was before the pull
        sim.set_cable(False)
        sim.set_offline(False)  # remembered for later; the cable is still out
        look()
        sim.set_cable(True)
        look()
        assert seen == [(False, True), (True, True), (False, True), (True, False)]
        assert sim.state()["cable"] == {"connected": True}


async def test_pulling_the_cable_cuts_a_request_in_flight_and_the_host(
    session: aiohttp.ClientSession,
) -> None:
    async with DeviceServiceSimulator(
        host="127.0.0.147", customer_delay=0, processing_delay=0.02, stable_wait=0.1
    ) as sim:
        register_secret(*sim.secrets())
        reference = str(uuid.uuid4())
        # DeviceService's POST blocks until the customer is done.
        post = asyncio.ensure_future(
            session.post(
                f"{sim.url}{DS_BASE}/Transaction",
                json={"Amount": "42.50", "Reference": reference},
                auth=ds_auth(sim),
            )
        )
        await wait_until(lambda: sim.device.busy)
        sim.set_cable(False)
        with pytest.raises(aiohttp.ClientConnectionError):
            await post
        # The transaction runs on: the customer taps, but the host is out of reach.
        state = await _ui_state(session, sim.url)
        assert state["devices"][0]["accepts"] == ["tap", "insert", "swipe", "cancel"]
        tapped = await session.post(f"{sim.url}/_sim/customer", json={"action": "tap", "wait": 0})
        assert tapped.status == 200
        await wait_until(lambda: len(sim.ledger) == 1)
        assert sim.ledger[0].result == "error"
        assert sim.charges() == []
        done = await _ui_state(session, sim.url)
        assert done["devices"][0]["screen"] == "Error"
        assert done["devices"][0]["transaction"]["message"] == "Host unreachable"
        sim.set_cable(True)
        async with session.get(
            f"{sim.url}{DS_BASE}/Transaction", params={"uuid": reference}, auth=ds_auth(sim)
        ) as response:
            assert response.status == 200
            assert (await response.json())["Result"] == "error"


async def test_idle_screen_shows_no_finished_sale(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the result's hold is over the screen says Idle, and no amount stays on it."""
    monkeypatch.setattr(ui, "RESULT_HOLD", 0.2)
    async with KineticGoSimulator(
        host="127.0.0.150", customer_delay=0.01, processing_delay=0.01
    ) as sim:
        terminal = create_terminal(config_for(sim), session)
        result = await terminal.sale("42.50", timeout=20)
        assert result.result is TransactionResult.APPROVED
        shown = await _ui_state(session, sim.url)
        assert shown["devices"][0]["transaction"]["total_display"] == "£42.50"
        idle = await _state_until(session, sim.url, lambda s: s["devices"][0]["screen"] == "Idle")
        device = idle["devices"][0]
        assert device["transaction"] is None
        assert device["step"] == "idle"


def test_fleet_names_are_home_assistants() -> None:
    """Each simulator is called what Home Assistant calls the terminal it serves."""
    fleet = Fleet(kinetic_go=2, device_service=1, payment_engine=1, first_host=145)
    names = [sim.name for sim in fleet.simulators]
    go = kind_facts(TerminalKind.KINETIC_GO).model
    ds = kind_facts(TerminalKind.DEVICE_SERVICE).model
    assert names == [
        f"{go} KG2SIM0001",
        f"{go} KG2SIM0002",
        f"{ds} 127.0.0.147:8526",
        "Counter 1",
    ]
    [pe] = [sim for sim in fleet.simulators if sim.kind is TerminalKind.PAYMENT_ENGINE]
    assert [device.name for device in pe.devices] == ["Counter 1"]


async def test_fleet_names_an_ephemeral_device_service_by_its_port() -> None:
    """On an ephemeral port the DeviceService is named once its port is known."""
    async with Fleet(
        kinetic_go=0, device_service=1, payment_engine=0, first_host=151, port=0
    ) as fleet:
        [ds] = fleet.simulators
        assert ds.port != 0
        assert ds.name == f"{kind_facts(TerminalKind.DEVICE_SERVICE).model} 127.0.0.151:{ds.port}"
