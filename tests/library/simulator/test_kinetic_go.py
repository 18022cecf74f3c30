"""Kinetic Go 2 simulator over raw HTTP: paths, auth, bodies, status codes (seed 000)."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from kinetic_integration.simulator import KineticGoSimulator

from .helpers import go_auth, read, wait_until

API = "/api/v2"


async def _sale(
    session: aiohttp.ClientSession, sim: KineticGoSimulator, body: dict[str, object]
) -> aiohttp.ClientResponse:
    return await session.post(
        f"{sim.url}{API}/transactions/sale.json", json=body, auth=go_auth(sim)
    )


async def _final(
    session: aiohttp.ClientSession, sim: KineticGoSimulator, tid: str
) -> dict[str, object]:
    for _ in range(300):
        response = await session.get(f"{sim.url}{API}/transactions/{tid}.json", auth=go_auth(sim))
        txn: dict[str, object] = (await read(response))["transaction"]
        if not txn["is_active"]:
            return txn
        await asyncio.sleep(0.01)
    raise AssertionError("transaction did not finish")


async def test_ping_needs_no_auth_everything_else_does(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    response = await session.get(f"{kinetic_go_sim.url}{API}/ping.json")
    assert response.status == 200
    assert await read(response) == {"success": True, "ping": True}
    for path in ("device.json", "settings.json", "transactions.json", "screens/current.json"):
        response = await session.get(f"{kinetic_go_sim.url}{API}/{path}")
        assert response.status == 401, path
        assert (await read(response))["success"] is False
        wrong = aiohttp.BasicAuth("kinetic", "wrong")
        response = await session.get(f"{kinetic_go_sim.url}{API}/{path}", auth=wrong)
        assert response.status == 401, path
    response = await session.post(
        f"{kinetic_go_sim.url}{API}/transactions/sale.json", json={"amount": 100}
    )
    assert response.status == 401
    assert kinetic_go_sim.ledger == []


async def test_device_settings_and_idle_screen(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    auth = go_auth(kinetic_go_sim)
    device = await read(await session.get(f"{kinetic_go_sim.url}{API}/device.json", auth=auth))
    assert device["success"] is True
    assert device["device"]["serial_number"] == "KG2SIM0001"
    assert set(device["device"]) == {"manufacturer", "family", "serial_number"}
    settings = await read(await session.get(f"{kinetic_go_sim.url}{API}/settings.json", auth=auth))
    assert settings["settings"]["host"]["module"] == "dummy"
    screen = await read(
        await session.get(f"{kinetic_go_sim.url}{API}/screens/current.json", auth=auth)
    )
    assert screen["success"] is True
    assert screen["scene"]["path"] == "app.views.layouts.idle"
    assert screen["scene"]["text"].startswith("Tap Green To Start\n")


async def test_sale_lifecycle_with_client_id(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    tid = str(uuid.uuid4())
    response = await _sale(
        session, kinetic_go_sim, {"id": tid, "amount": 1250, "tip_amount": 150, "amount_other": 0}
    )
    assert response.status == 200
    started = (await read(response))["transaction"]
    assert started["id"] == tid
    assert started["status"] == "starting"
    assert started["is_active"] is True
    assert started["result"] is None
    assert started["amount"] == 1250
    assert started["total_amount"] == 1400
    assert started["timeout_ms"] == 150000

    current = await read(
        await session.get(
            f"{kinetic_go_sim.url}{API}/transactions/current.json", auth=go_auth(kinetic_go_sim)
        )
    )
    assert current["transaction"]["id"] == tid

    txn = await _final(session, kinetic_go_sim, tid)
    assert txn["status"] == "approved"
    assert txn["result"] == "approved"
    assert txn["account_number"] == "4***********0119"
    card_details = txn["card_details"]
    assert isinstance(card_details, dict)
    assert card_details["track2"].startswith("4***********0119")
    assert txn["pin_block"] is None
    assert isinstance(txn["tags"], dict)
    assert txn["tags"]
    assert "services" in txn
    assert isinstance(txn["auth_code"], str)
    for name in ("amount", "tip_amount", "amount_other", "total_amount", "stan"):
        assert isinstance(txn[name], int), name

    for which in ("latest", "last"):
        latest = await read(
            await session.get(
                f"{kinetic_go_sim.url}{API}/transactions/{which}.json",
                auth=go_auth(kinetic_go_sim),
            )
        )
        assert latest["transaction"]["id"] == tid
    listing = await read(
        await session.get(
            f"{kinetic_go_sim.url}{API}/transactions.json", auth=go_auth(kinetic_go_sim)
        )
    )
    # The seed's shape: the rows themselves, no "success" wrapper.
    assert [item["id"] for item in listing] == [tid]
    assert listing[0]["account_number"] == "4***********0119"

    [entry] = kinetic_go_sim.charges()
    assert entry.reference == tid
    assert str(entry.amount) == "14.00"
    assert kinetic_go_sim.money_requests() == 1


async def test_id_is_generated_when_omitted(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    txn = (await read(await _sale(session, kinetic_go_sim, {"amount": 100})))["transaction"]
    assert uuid.UUID(txn["id"]).version == 4


async def test_busy_and_duplicate_and_not_found(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    auth = go_auth(kinetic_go_sim)
    url = kinetic_go_sim.url
    none = await session.get(f"{url}{API}/transactions/current.json", auth=auth)
    assert none.status == 404
    assert (await read(none))["success"] is False
    missing = await session.get(f"{url}{API}/transactions/nope.json", auth=auth)
    assert missing.status == 404
    latest = await session.get(f"{url}{API}/transactions/latest.json", auth=auth)
    assert latest.status == 404

    # .03: the customer never presents a card, so the device stays busy.
    first = await _sale(session, kinetic_go_sim, {"id": "a", "amount": 103})
    assert first.status == 200
    busy = await _sale(session, kinetic_go_sim, {"id": "b", "amount": 100})
    assert busy.status == 409
    body = await read(busy)
    assert body["success"] is False
    assert body["description"] == "Transaction in progress"
    assert "status" in body
    duplicate = await _sale(session, kinetic_go_sim, {"id": "a", "amount": 100})
    assert duplicate.status == 400
    assert "already exists" in (await read(duplicate))["description"]
    assert kinetic_go_sim.money_requests() == 3
    await kinetic_go_sim.customer("cancel")
    txn = await _final(session, kinetic_go_sim, "a")
    assert txn["result"] == "cancelled"
    assert kinetic_go_sim.charges() == []
    missing_receipt = await session.get(
        f"{url}{API}/transactions/zz/receipts/merchant.json", auth=auth
    )
    assert missing_receipt.status == 404


async def test_invalid_amounts_are_rejected(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    for amount in (0, -1, "100", 1.5, None, True):
        response = await _sale(session, kinetic_go_sim, {"amount": amount})
        assert response.status == 400, amount
    refund_tip = await session.post(
        f"{kinetic_go_sim.url}{API}/transactions/refund.json",
        json={"amount": 100, "tip_amount": 10},
        auth=go_auth(kinetic_go_sim),
    )
    assert refund_tip.status == 400
    unknown = await session.post(
        f"{kinetic_go_sim.url}{API}/transactions/payout.json",
        json={"amount": 100},
        auth=go_auth(kinetic_go_sim),
    )
    assert unknown.status == 404
    assert kinetic_go_sim.ledger == []


async def test_refund_reversal_and_reconciliation(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    auth = go_auth(kinetic_go_sim)
    url = kinetic_go_sim.url
    await _sale(session, kinetic_go_sim, {"id": "s1", "amount": 500})
    await _final(session, kinetic_go_sim, "s1")
    bad = await session.post(f"{url}{API}/transactions/reversal.json", json={"id": "r0"}, auth=auth)
    assert bad.status == 400
    reversal = await session.post(
        f"{url}{API}/transactions/reversal.json",
        json={"id": "r1", "reference_txn_id": "s1"},
        auth=auth,
    )
    assert reversal.status == 200
    txn = await _final(session, kinetic_go_sim, "r1")
    assert txn["type"] == "reversal"
    assert txn["reference_txn_id"] == "s1"
    assert txn["result"] == "approved"
    original = await _final(session, kinetic_go_sim, "s1")
    assert original["is_reversed"] is True
    again = await session.post(
        f"{url}{API}/transactions/reversal.json",
        json={"id": "r2", "reference_txn_id": "s1"},
        auth=auth,
    )
    assert again.status == 400

    refund = await session.post(
        f"{url}{API}/transactions/refund.json", json={"id": "f1", "amount": 200}, auth=auth
    )
    assert refund.status == 200
    assert (await _final(session, kinetic_go_sim, "f1"))["result"] == "approved"

    recon = await session.post(
        f"{url}{API}/transactions/reconciliation.json", json={"id": "z1"}, auth=auth
    )
    assert recon.status == 200
    assert (await _final(session, kinetic_go_sim, "z1"))["type"] == "reconciliation"
    types = [(entry.type, entry.result) for entry in kinetic_go_sim.ledger]
    assert types == [
        ("sale", "approved"),
        ("reversal", "approved"),
        ("refund", "approved"),
        ("reconciliation", "approved"),
    ]
    # Reconciliation moves no money; the rest did.
    assert [entry.type for entry in kinetic_go_sim.charges()] == ["sale", "reversal", "refund"]
    # Every sale/refund/reversal POST counts, rejected ones too; reconciliation does not.
    assert kinetic_go_sim.money_requests() == 5
    assert kinetic_go_sim.money_requests(f"{API}/transactions/reversal") == 3


async def test_receipts_and_their_quirks(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    auth = go_auth(kinetic_go_sim)
    url = kinetic_go_sim.url
    await _sale(session, kinetic_go_sim, {"id": "s1", "amount": 106})
    sale = await _final(session, kinetic_go_sim, "s1")
    assert sale["is_signature_required"] is True
    await session.post(f"{url}{API}/transactions/reconciliation.json", json={"id": "z1"}, auth=auth)
    await _final(session, kinetic_go_sim, "z1")

    def receipt_url(tid: str, copy: str) -> str:
        return f"{url}{API}/transactions/{tid}/receipts/{copy}.json"

    merchant = await read(await session.get(receipt_url("s1", "merchant"), auth=auth))
    assert merchant["success"] is True
    assert merchant["receipt"][0] == {"command": "scroll", "amount": 100}
    texts = [item["text"] for item in merchant["receipt"] if item["command"] == "text"]
    assert "PLEASE SIGN BELOW" in texts
    cardholder = await read(await session.get(receipt_url("s1", "cardholder"), auth=auth))
    assert cardholder["receipt"][0] == {"command": "scroll", "amount": "100"}
    not_recon = await session.get(receipt_url("s1", "reconciliation"), auth=auth)
    assert not_recon.status == 400
    recon = await read(await session.get(receipt_url("z1", "reconciliation"), auth=auth))
    assert recon["receipt"][0] == {"command": "scroll", "mount": 100}
    assert any(item.get("text") == "SALES: 1 GBP 1.06" for item in recon["receipt"])
    alias = await read(await session.get(receipt_url("z1", "merchant"), auth=auth))
    assert alias == recon
    no_cardholder = await session.get(receipt_url("z1", "cardholder"), auth=auth)
    assert no_cardholder.status == 400


async def test_print_and_paper_out(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    auth = go_auth(kinetic_go_sim)
    url = f"{kinetic_go_sim.url}{API}/print.json"
    instructions = [
        {"command": "text", "text": "second", "x": 0, "y": 40, "font_size": 12},
        {"command": "text", "text": "first", "x": 0, "y": 10, "font_size": 12},
        {"command": "scroll", "amount": 100},
        {"command": "text", "text": "third", "x": 0, "y": "0", "font_size": 12},
    ]
    response = await session.post(url, json={"instructions": instructions}, auth=auth)
    assert response.status == 200
    assert await read(response) == {"success": True}
    assert kinetic_go_sim.printed == [["first", "second", "third"]]
    bad = await session.post(url, json={"instructions": [{"command": "beep"}]}, auth=auth)
    assert bad.status == 400
    kinetic_go_sim.set_paper(False)
    no_paper = await session.post(url, json={"instructions": instructions}, auth=auth)
    assert no_paper.status == 400
    assert "paper" in (await read(no_paper))["description"]
    assert len(kinetic_go_sim.printed) == 1


async def test_screens_follow_the_transaction(
    session: aiohttp.ClientSession,
) -> None:
    async with KineticGoSimulator(host="127.0.0.5", customer_delay=0, processing_delay=0.05) as sim:
        auth = go_auth(sim)

        async def path() -> str:
            body = await read(await session.get(f"{sim.url}{API}/screens/current.json", auth=auth))
            return str(body["scene"]["path"])

        await _sale(session, sim, {"id": "p1", "amount": 202})
        await wait_until(lambda: sim.screen == "Present card")
        assert await path() == "app.views.transaction.present_card"
        await sim.customer("insert")
        await wait_until(lambda: sim.screen == "Enter PIN")
        assert await path() == "app.views.transaction.pin_entry"
        await sim.customer("pin")
        txn = await _final(session, sim, "p1")
        assert txn["result"] == "approved"
        assert txn["is_online_pin"] is True
        assert txn["ksn"] is not None
        assert txn["input_source"] == "contact_emv"
        await wait_until(lambda: sim.screen == "Idle")
        assert await path() == "app.views.layouts.idle"


async def test_card_wait_timeout_from_timeout_ms(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    await _sale(session, kinetic_go_sim, {"id": "t1", "amount": 100, "timeout_ms": 100})
    # With the automatic customer at 50 ms, 100 ms is enough: approved.
    assert (await _final(session, kinetic_go_sim, "t1"))["result"] == "approved"
    await _sale(session, kinetic_go_sim, {"id": "t2", "amount": 103, "timeout_ms": 100})
    txn = await _final(session, kinetic_go_sim, "t2")
    assert txn["result"] == "cancelled"
    assert txn["status_details"] == "card_wait_timed_out"
    assert kinetic_go_sim.ledger[-1].result == "timeout"
