"""DeviceService simulator over raw HTTP: blocking POST, busy answers, recovery (seed 001)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import aiohttp

from kinetic_integration.simulator import DeviceServiceSimulator

from .helpers import DS_BASE, ds_auth, read, wait_until


def _url(sim: DeviceServiceSimulator, path: str) -> str:
    return f"{sim.url}{DS_BASE}/{path}"


async def _post(
    session: aiohttp.ClientSession,
    sim: DeviceServiceSimulator,
    body: Any,
    path: str = "Transaction",
) -> aiohttp.ClientResponse:
    return await session.post(_url(sim, path), json=body, auth=ds_auth(sim))


async def test_status_header_and_auth(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    response = await session.get(
        _url(device_service_sim, "Status"), auth=ds_auth(device_service_sim)
    )
    assert response.status == 200
    assert response.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    assert response.headers["Content-Type"].startswith("application/json")
    assert await read(response) == {
        "IsConnected": True,
        "TransactionInProgress": False,
        "Status": "Idle",
        "SupportOfflineTransaction": True,
    }
    for method, path in (
        ("GET", "Status"),
        ("POST", "Transaction"),
        ("GET", f"Transaction?uuid={uuid.uuid4()}"),
        ("GET", "OfflineTransaction/Count"),
        ("POST", "OfflineTransaction/Send"),
    ):
        denied = await session.request(
            method,
            _url(device_service_sim, path),
            auth=aiohttp.BasicAuth("kittens", "wrong"),
            json={"amount": "1.00"},
        )
        assert denied.status == 401, path
        assert denied.headers["Server"] == "Microsoft-HTTPAPI/2.0"
        assert await read(denied) == {
            "ResponseStatus": {
                "ErrorCode": "Invalid UserName or Password",
                "Message": "Invalid UserName or Password",
            }
        }
    assert device_service_sim.ledger == []


async def test_paths_are_case_insensitive_with_optional_slash(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    auth = ds_auth(device_service_sim)
    for path in ("/deviceservice/kinetic/status", "/DEVICESERVICE/Kinetic/Status/"):
        response = await session.get(f"{device_service_sim.url}{path}", auth=auth)
        assert response.status == 200, path
    missing = await session.get(f"{device_service_sim.url}{DS_BASE}/Nope", auth=auth)
    assert missing.status == 404
    assert (await read(missing))["ResponseStatus"]["ErrorCode"] == "NotFound"


async def test_blocking_sale_with_seed_keys(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    reference = "d9c95df1-b52c-4a44-aa52-ed4b3fd61cee"
    response = await session.post(
        f"{device_service_sim.url}/DeviceService/Kinetic/transaction",
        json={"amount": "1.23", "Reference": reference},
        auth=ds_auth(device_service_sim),
    )
    assert response.status == 200
    body = await read(response)
    assert body["Complete"] is True
    assert body["Description"] == "Transaction found"
    assert body["TransactionId"] == reference
    assert body["Result"] == "approved"
    assert body["TotalAmount"] == Decimal("1.23")
    assert body["MaskedPan"] == "**** **** **** 0119"
    assert body["TransactionType"] == "sale"
    assert body["AuthResponse"].startswith("AUTH CODE:")
    assert "IsOffline" not in body
    # A numeric amount works too, and a whole amount comes back as a JSON integer.
    number = await _post(session, device_service_sim, {"Amount": 2, "Reference": str(uuid.uuid4())})
    assert '"TotalAmount": 2,' in await number.text()
    assert [str(entry.amount) for entry in device_service_sim.charges()] == ["1.23", "2.00"]


async def test_non_uuid4_reference_gets_a_new_id(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    for reference in ("kittens", str(uuid.uuid1()), None):
        body = await read(
            await _post(session, device_service_sim, {"amount": "1.00", "Reference": reference})
        )
        assert body["TransactionId"] != reference
        assert uuid.UUID(body["TransactionId"]).version == 4


async def test_bad_amounts(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    for amount in (0, "0", "-1", "abc", "1.234", None):
        response = await _post(session, device_service_sim, {"amount": amount})
        assert response.status == 400, amount
        status = (await read(response))["ResponseStatus"]
        assert status["ErrorCode"] == "BadRequest"
        assert status["Message"] == "invalid_argument"
        assert status["Errors"][0]["FieldName"] == "amount"
    zero = await read(await _post(session, device_service_sim, {"amount": 0}))
    assert (
        zero["ResponseStatus"]["Errors"][0]["Message"] == "Amount 0 is not valid for a transaction"
    )
    assert device_service_sim.ledger == []
    assert device_service_sim.money_requests() == 7


async def test_existing_reference_is_a_device_error(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    reference = str(uuid.uuid4())
    await _post(session, device_service_sim, {"amount": "1.00", "reference": reference})
    again = await _post(session, device_service_sim, {"amount": "1.00", "reference": reference})
    assert again.status == 500
    assert await read(again) == {
        "ResponseStatus": {
            "ErrorCode": "DeviceError",
            "Message": None,
            "StackTrace": None,
            "Errors": [
                {"ErrorCode": "kinetic_error", "Message": "Transaction UUID already exists"}
            ],
        }
    }
    assert len(device_service_sim.charges()) == 1


async def test_everything_but_status_is_busy_while_a_post_blocks(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    reference = str(uuid.uuid4())
    # .03: nobody presents a card, so the POST blocks until we act.
    post = asyncio.ensure_future(
        _post(session, device_service_sim, {"amount": "5.03", "reference": reference})
    )
    await wait_until(lambda: device_service_sim.device.busy)
    auth = ds_auth(device_service_sim)
    status = await read(await session.get(_url(device_service_sim, "Status"), auth=auth))
    assert status["TransactionInProgress"] is True
    assert status["Status"] == "Present card"
    for method, path in (
        ("GET", f"Transaction?uuid={reference}"),
        ("GET", "OfflineTransaction/Count"),
        ("POST", "OfflineTransaction/Send"),
        ("POST", "Transaction"),
    ):
        response = await session.request(
            method, _url(device_service_sim, path), auth=auth, json={"amount": "1.00"}
        )
        assert response.status == 400, path
        assert (await read(response))["ResponseStatus"] == {
            "ErrorCode": "DeviceBusy",
            "Message": None,
            "StackTrace": None,
            "Errors": [
                {
                    "ErrorCode": "device_busy",
                    "Message": "Device is busy. Please wait until other actions finished.",
                }
            ],
        }
    await device_service_sim.customer("tap")
    body = await read(await post)
    assert body["Result"] == "approved"
    assert len(device_service_sim.charges()) == 1


async def test_lost_response_is_recovered_with_get_uuid(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """The client gives up on the POST; the customer still pays; GET ?uuid= finds it."""
    reference = str(uuid.uuid4())
    timeout = aiohttp.ClientTimeout(total=0.2)
    try:
        await session.post(
            _url(device_service_sim, "Transaction"),
            json={"amount": "7.03", "reference": reference},
            auth=ds_auth(device_service_sim),
            timeout=timeout,
        )
    except TimeoutError:
        pass
    else:  # pragma: no cover - the POST must block
        raise AssertionError("the POST did not block")
    # The service notices the client went away; the transaction runs on.
    get_url = f"{device_service_sim.url}{DS_BASE}/Transaction/?uuid={reference}"
    await wait_until(lambda: device_service_sim.state()["service_busy"] is False)
    assert device_service_sim.device.busy
    pending = await read(await session.get(get_url, auth=ds_auth(device_service_sim)))
    # Nobody acts, so after stable_wait (0.3 s) of quiet the answer is "not complete".
    assert pending["Complete"] is False
    assert pending["TransactionId"] == reference
    assert pending["Result"] is None
    waiter = asyncio.ensure_future(session.get(get_url, auth=ds_auth(device_service_sim)))
    await asyncio.sleep(0.05)
    await device_service_sim.customer("tap")
    done = await read(await waiter)
    assert done["Complete"] is True
    assert done["Result"] == "approved"
    assert [entry.reference for entry in device_service_sim.charges()] == [reference]
    assert device_service_sim.money_requests() == 1


async def test_get_uuid_errors(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    auth = ds_auth(device_service_sim)
    bad = await session.get(_url(device_service_sim, "Transaction?uuid=kittens"), auth=auth)
    assert bad.status == 400
    error = (await read(bad))["ResponseStatus"]["Errors"][0]
    assert error == {
        "ErrorCode": "invalid",
        "FieldName": "uuid",
        "Message": "kittens is not a valid transaction id, cannot be formatted as Guid",
    }
    unknown = str(uuid.uuid4())
    missing = await session.get(_url(device_service_sim, f"Transaction?uuid={unknown}"), auth=auth)
    assert missing.status == 404
    body = (await read(missing))["ResponseStatus"]
    assert body["ErrorCode"] == "NotFound"
    assert body["Errors"][0]["Message"] == f"{unknown} was not found"


async def test_results_declined_cancelled_void_error(
    session: aiohttp.ClientSession,
) -> None:
    async with DeviceServiceSimulator(
        host="127.0.0.6", customer_delay=0.02, processing_delay=0.01, card_timeout=0.3
    ) as sim:
        results = {}
        for amount in ("1.01", "1.04", "1.03", "1.05", "1.02", "1.06"):
            body = await read(await _post(session, sim, {"amount": amount}))
            results[amount] = body
        assert results["1.01"]["Result"] == "declined"
        assert results["1.01"]["AuthResponse"] == "Declined"
        assert results["1.04"]["Result"] == "cancelled"
        assert results["1.04"]["AuthResponse"] == "Transaction Void"
        assert results["1.04"]["MaskedPan"] is None
        assert results["1.03"]["Result"] == "void"
        assert results["1.05"]["Result"] == "error"
        assert results["1.02"]["VerifiedByPin"] is True
        assert results["1.06"]["SignatureRequired"] is True
        assert [entry.result for entry in sim.ledger] == [
            "declined",
            "cancelled",
            "timeout",
            "error",
            "approved",
            "approved",
        ]
        assert [str(entry.amount) for entry in sim.charges()] == ["1.02", "1.06"]


async def test_offline_transactions_count_and_send(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    auth = ds_auth(device_service_sim)
    count_url = _url(device_service_sim, "OfflineTransaction/Count")
    assert await read(await session.get(count_url, auth=auth)) == {
        "offlineCount": 0,
        "storedRecords": 0,
    }
    device_service_sim.set_offline(True)
    online_only = await read(await _post(session, device_service_sim, {"amount": "3.00"}))
    assert online_only["Result"] == "error"
    stored = await read(
        await _post(session, device_service_sim, {"amount": "3.00", "Offline": True})
    )
    assert stored["Result"] == "approved"
    assert stored["IsOffline"] is True
    assert stored["ResponseCode"] is None
    assert await read(await session.get(count_url, auth=auth)) == {
        "offlineCount": 1,
        "storedRecords": 1,
    }
    refused = await _post(session, device_service_sim, {}, path="OfflineTransaction/Send")
    assert refused.status == 500
    device_service_sim.set_offline(False)
    sent = await _post(session, device_service_sim, None, path="OfflineTransaction/Send")
    assert sent.status == 200
    assert sent.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    assert (await read(await session.get(count_url, auth=auth)))["offlineCount"] == 0
    synced = await read(
        await session.get(
            _url(device_service_sim, f"Transaction?uuid={stored['TransactionId']}"), auth=auth
        )
    )
    assert synced["ResponseCode"] == "00"


async def test_reader_disconnected(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    device_service_sim.set_connected(False)
    status = await read(
        await session.get(_url(device_service_sim, "Status"), auth=ds_auth(device_service_sim))
    )
    assert status["IsConnected"] is False
    response = await _post(session, device_service_sim, {"amount": "1.00"})
    assert response.status == 500
    assert (await read(response))["ResponseStatus"]["ErrorCode"] == "DeviceError"
    assert device_service_sim.ledger == []
