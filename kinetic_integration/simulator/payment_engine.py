"""USAePay Payment Engine front end: pay requests and devices (seed 004 + API_NOTES).

Simulator choices where the sources are silent (documented for client authors):
- errors are ``{"error": <message>, "errorcode": <int>}`` with HTTP 400 (the documented
  codes 21121/21143/21144/21145/21146); an unknown pay request is HTTP 404 with
  ``errorcode`` 0; other validation errors are HTTP 400 with ``errorcode`` 0;
- 401 answers ``{"error": "Authentication failed", "errorcode": 0}``; a request beyond
  its API key's rate limit answers 429 with ``Retry-After`` (see :mod:`.rate_limit`);
- ``GET /devices`` answers ``{"type": "list", "limit", "offset", "total", "data": [...]}``;
- a declined transaction has ``result_code`` "D" and status ``transaction complete``; a
  host error has ``result_code`` "E" and status ``transaction failed``; a device reboot
  under a request gives status ``error``;
- ``DELETE`` of a request still waiting for the customer answers the request with status
  ``canceled``; of a finished one 400 (``errorcode`` 21144 when it had timed out).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
import string
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ..models.common import TerminalKind
from ..money import format_amount
from ._auth import decode_basic
from ._json import json_response, read_json
from .base import BaseSimulator, mark_accepted
from .card import MASKED_PAN_X, card_secrets
from .device import Device, DeviceBusyError, SimTransaction, Step
from .rate_limit import KeyRateLimit

_PREFIX = "/api/v2/paymentengine"
_DEFAULT_TIMEOUT = 180.0
_COMMANDS = {"sale": "sale", "authonly": "authonly", "refund": "refund"}
_TRANTYPE = {
    "sale": "Credit Card Sale",
    "authonly": "Credit Card Auth Only",
    "refund": "Credit Card Refund",
}
_ENTRY_MODE = {"tap": "Contactless", "insert": "Chip Read", "swipe": "Swiped"}
_ALPHABET = string.ascii_letters + string.digits
#: Below this battery percentage the engine refuses new requests (21143).
LOW_BATTERY = 10


def _token(prefix: str, length: int = 29) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _error(message: str, code: int, status: int = 400) -> web.Response:
    return json_response({"error": message, "errorcode": code}, status=status)


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


@dataclass(eq=False, kw_only=True)
class PeDevice:
    """A payment device registered with the engine."""

    key: str
    name: str
    device: Device
    battery: int = 100
    paired: bool = True
    pairing_code: str = ""
    expiration: str = ""

    @property
    def status(self) -> str:
        """``online``, ``offline`` or ``waiting for device pairing``."""
        if not self.paired:
            return "waiting for device pairing"
        return "offline" if self.device.offline else "online"

    def as_json(self) -> dict[str, Any]:
        """Render the device object."""
        return {
            "type": "device",
            "key": self.key,
            "name": self.name,
            "terminal_type": "standalone",
            "status": self.status,
            "battery": self.battery,
            "pairing_code": self.pairing_code,
            "expiration": self.expiration,
        }


@dataclass(eq=False, kw_only=True)
class PayRequest:
    """One pay request and the transaction it drives on a device."""

    key: str
    pe_device: PeDevice
    command: str
    amount: Decimal
    timeout: float
    params: dict[str, Any]
    created: float = field(default_factory=time.time)
    deadline: float = 0.0
    stage: str = "sending to device"
    final_status: str | None = None
    txn: SimTransaction | None = None
    txn_key: str = field(default_factory=lambda: _token("", 15).lower())
    refnum: str = ""

    def finished(self) -> bool:
        """Whether the request reached a final status."""
        return self.final_status is not None

    @property
    def expiration(self) -> str:
        """When the request stops being valid."""
        return _stamp(self.created + self.timeout)


class PaymentEngineSimulator(BaseSimulator):
    """A simulated USAePay Payment Engine with one or more paired devices."""

    kind = TerminalKind.PAYMENT_ENGINE
    default_port = 8443

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "Payment Engine Simulator",
        api_key: str = "_SIMAPIKEY000000000000000000000",
        pin: str = "sim-pin-4829",
        serial: str = "PESIM0001",
        devices: tuple[tuple[str, str], ...] = (("sa_SIM0000000000000000000000001", "Counter"),),
        customer_delay: float = 0.5,
        processing_delay: float = 0.1,
        card_timeout: float | None = None,
        rate_limit: int = 45,
        rate_window: float = 60.0,
    ) -> None:
        """Create the engine; ``rate_limit`` requests per API key per ``rate_window`` s.

        0 disables the limit (see :mod:`.rate_limit`).
        """
        super().__init__(
            host=host,
            port=port,
            name=name,
            serial=serial,
            customer_delay=customer_delay,
            processing_delay=processing_delay,
            card_timeout=card_timeout,
        )
        self.api_key = api_key
        self._pin = pin
        self.rate_limiter = KeyRateLimit(rate_limit, rate_window)
        self.pe_devices: dict[str, PeDevice] = {}
        for key, device_name in devices:
            self._add_device(key, device_name)
        self.requests: dict[str, PayRequest] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._refnum = 3100000000

    def _add_device(self, key: str, name: str, *, paired: bool = True) -> PeDevice:
        pe_device = PeDevice(
            key=key, name=name, device=self._new_device(name=name, serial=key), paired=paired
        )
        self.pe_devices[key] = pe_device
        return pe_device

    @property
    def base_url(self) -> str:
        """``http://host:port/api/v2``."""
        return f"{self.url}/api/v2"

    @property
    def devices(self) -> list[Device]:
        """Every registered device's core."""
        return [pe.device for pe in self.pe_devices.values()]

    # --- knobs ----------------------------------------------------------------

    def set_battery(self, device_key: str, level: int) -> None:
        """Set a device's battery percentage (below 10 refuses requests with 21143)."""
        self.pe_devices[device_key].battery = level

    def set_device_online(self, device_key: str, online: bool) -> None:
        """Take one device offline (21145 / waits) or bring it back."""
        self.pe_devices[device_key].device.offline = not online

    def pair(self, device_key: str) -> None:
        """Complete pairing of a device registered through ``POST /devices``."""
        self.pe_devices[device_key].paired = True

    def auth_password(self, seed: str = "simseed") -> str:
        """Return a valid Basic-auth password for this engine (as the official SDK builds it)."""
        digest = hashlib.sha256((self.api_key + seed + self._pin).encode()).hexdigest()
        return f"s2/{seed}/{digest}"

    def describe(self) -> dict[str, object]:
        """Return what a client needs to connect."""
        return {
            "kind": str(self.kind),
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "base_url": self.base_url,
            "name": self.name,
            "serial": self.serial,
            "api_key": self.api_key,
            "pin": self._pin,
            "devices": [{"key": pe.key, "name": pe.name} for pe in self.pe_devices.values()],
        }

    def secrets(self) -> list[str]:
        """Credentials a client must never log."""
        return [self.api_key, self._pin, *card_secrets()]

    def state(self) -> dict[str, object]:
        """Return the base state plus every device's status."""
        return {
            **super().state(),
            "devices": [
                {**pe.as_json(), "screen": str(pe.device.screen), "busy": self._busy(pe)}
                for pe in self.pe_devices.values()
            ],
        }

    async def stop(self) -> None:
        """Stop the request tasks too."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().stop()

    # --- plumbing -------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post(f"{_PREFIX}/payrequests", self._create)
        r.add_get(f"{_PREFIX}/payrequests/{{key}}", self._get)
        r.add_delete(f"{_PREFIX}/payrequests/{{key}}", self._delete)
        r.add_get(f"{_PREFIX}/devices", self._list_devices)
        r.add_get(f"{_PREFIX}/devices/{{key}}", self._get_device)
        r.add_post(f"{_PREFIX}/devices", self._register_device)
        # USAePay's REST API beside the Payment Engine: the open batch's transactions.
        r.add_get("/api/v2/batches/{batch}/transactions", self._batch_transactions)

    def _is_money_request(self, request: web.Request) -> bool:
        return request.method == "POST" and request.path.rstrip("/") == f"{_PREFIX}/payrequests"

    def _extra_middlewares(self) -> list[Any]:
        return [self.rate_limiter.middleware]

    def _authorized(self, request: web.Request) -> bool:
        credentials = decode_basic(request.headers.get("Authorization", ""))
        if credentials is None:
            return False
        login, password = credentials
        parts = password.split("/")
        if len(parts) != 3 or parts[0] != "s2" or not parts[1]:
            return False
        return hmac.compare_digest(login, self.api_key) and hmac.compare_digest(
            password, self.auth_password(parts[1])
        )

    def _unauthorized(self) -> web.Response:
        return _error("Authentication failed", 0, 401)

    def _busy_response(self) -> web.Response:
        return _error("Device is currently processing another transaction.", 21146)

    def _error_response(self) -> web.Response:
        return _error("Internal server error", 0, 500)

    def _malformed_body(self) -> str:
        return '{"type": "request", "key": "pr_'

    def _busy(self, pe_device: PeDevice) -> bool:
        return (
            any(
                request.pe_device is pe_device and request.final_status is None
                for request in self.requests.values()
            )
            or pe_device.device.busy
        )

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- documents ------------------------------------------------------------

    def _status(self, request: PayRequest) -> tuple[str, bool]:
        """Return the request's status string and whether it is complete."""
        if request.final_status is not None:
            return request.final_status, True
        txn = request.txn
        if txn is None:
            return request.stage, False
        if txn.active:
            request.stage = {
                Step.STARTING: "sent to device",
                Step.WAITING_FOR_CARD: "waiting for card dip",
                Step.WAITING_FOR_PIN: "processing payment",
                Step.PROCESSING: "processing payment",
                Step.SIGNATURE: "capturing signature",
            }[txn.step]
            return request.stage, False
        if txn.result in ("approved", "declined"):
            return "completing payment", False
        # A timeout or cancel is recorded as soon as the engine's task runs; until then
        # nothing visible has changed.
        return request.stage, False

    def _transaction(self, request: PayRequest) -> dict[str, Any] | None:
        txn = request.txn
        if txn is None:
            return None
        # While the signature is captured the approval already exists (complete is false).
        approved = txn.result == "approved" or txn.step is Step.SIGNATURE
        if approved:
            code, result, error, error_code = "A", "Approved", "Approved", "00"
        elif txn.result == "declined":
            code, result, error, error_code = "D", "Declined", "Card Declined", "10127"
        elif txn.result == "error":
            code, result, error, error_code = "E", "Error", txn.message, "10128"
        else:
            return None
        card = txn.card
        return {
            "type": "transaction",
            "key": request.txn_key,
            "refnum": request.refnum,
            "is_duplicate": "N",
            "result_code": code,
            "result": result,
            "authcode": txn.auth_code or "",
            "error": error,
            "error_code": error_code,
            "auth_amount": format_amount(txn.total) if approved else "0.00",
            "trantype": _TRANTYPE[request.command],
            "invoice": str(request.params.get("invoice", "")),
            "orderid": str(request.params.get("orderid", "")),
            "creditcard": {
                "type": "Visa",
                "number": MASKED_PAN_X,
                "cardholder": "",
                "entry_mode": _ENTRY_MODE[card.entry],
                "category_code": "A",
            }
            if card
            else None,
        }

    def _document(self, request: PayRequest) -> dict[str, Any]:
        status, complete = self._status(request)
        body: dict[str, Any] = {
            "type": "request",
            "key": request.key,
            "devicekey": request.pe_device.key,
            "expiration": request.expiration,
            "status": status,
            "complete": complete,
        }
        transaction = self._transaction(request)
        if transaction is not None:
            body["transaction"] = transaction
        return body

    # --- pay requests ---------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return _error("Request body must be a JSON object", 0)
        devicekey = body.get("devicekey")
        if devicekey is None:
            pe_device = next(iter(self.pe_devices.values()), None)
            if pe_device is None:
                return _error("Unknown devicekey", 21121)
        else:
            pe_device = self.pe_devices.get(str(devicekey))
            if pe_device is None or not pe_device.paired:
                return _error(f"Unknown devicekey {devicekey}", 21121)
        command = str(body.get("command", "")).removeprefix("cc:")
        if command not in _COMMANDS:
            return _error("Invalid command; use sale, authonly or refund", 0)
        amount = _amount(body.get("amount"))
        if amount is None:
            return _error("Invalid amount", 0)
        timeout = _seconds(body.get("timeout"), self.card_timeout or _DEFAULT_TIMEOUT)
        if timeout is None:
            return _error("Invalid timeout", 0)
        block_offline = body.get("block_offline", False) in (True, "true", "1", 1, "Y")
        if pe_device.device.offline and block_offline:
            return _error("Device is currently offline.", 21145)
        if self._busy(pe_device):
            return _error("Device is currently processing another transaction.", 21146)
        if pe_device.battery < LOW_BATTERY:
            return _error("Request failed (Payment terminal battery too low)", 21143)
        self._refnum += 1
        pay = PayRequest(
            key=_token("pr_"),
            pe_device=pe_device,
            command=command,
            amount=amount,
            timeout=timeout,
            params=body,
            refnum=str(self._refnum),
            deadline=time.monotonic() + timeout,
        )
        self.requests[pay.key] = pay
        self._spawn(self._drive(pay))
        mark_accepted()
        return json_response(
            {
                "type": "request",
                "key": pay.key,
                "expiration": pay.expiration,
                "status": pay.stage,
            }
        )

    async def _drive(self, pay: PayRequest) -> None:
        """Deliver the request to its device (waiting while offline) and follow it."""
        device = pay.pe_device.device
        while device.offline or device.busy:
            if time.monotonic() >= pay.deadline:
                self._timeout(pay)
                return
            await asyncio.sleep(0.02)
        await asyncio.sleep(self.processing_delay / 2)
        if pay.finished():
            return
        pay.stage = "sent to device"
        await asyncio.sleep(self.processing_delay / 2)
        if pay.finished():
            return
        remaining = pay.deadline - time.monotonic()
        if remaining <= 0:
            self._timeout(pay)
            return
        txn = SimTransaction(
            id=pay.key, type=pay.command, amount=pay.amount, card_timeout=remaining
        )
        try:
            device.start(txn)
        except DeviceBusyError:  # pragma: no cover - _busy() guards this
            pay.final_status = "error"
            return
        pay.txn = txn
        await txn.done.wait()
        if txn.result in ("approved", "declined"):
            # The engine takes a moment to record the result after the device is done.
            await asyncio.sleep(self.processing_delay)
        if txn.cancelled_by == "reboot":
            # The device restarted under the request: the engine reports a plain error.
            pay.final_status = "error"
            return
        pay.final_status = {
            "approved": "transaction complete",
            "declined": "transaction complete",
            "timeout": "timeout",
            "error": "transaction failed",
        }.get(txn.result or "error") or (
            "canceled" if txn.cancelled_by == "api" else "transaction canceled"
        )

    def _timeout(self, pay: PayRequest) -> None:
        pay.final_status = "timeout"
        self._ledger.record(
            reference=pay.key,
            type_=pay.command,
            amount=pay.amount,
            result="timeout",
            device=pay.pe_device.key,
        )

    def _find(self, request: web.Request) -> PayRequest | None:
        return self.requests.get(request.match_info["key"])

    async def _get(self, request: web.Request) -> web.Response:
        pay = self._find(request)
        if pay is None:
            return _error(f"Pay request {request.match_info['key']} not found", 0, 404)
        return json_response(self._document(pay))

    async def _batch_transactions(self, request: web.Request) -> web.Response:
        """``GET /batches/current/transactions``: the open batch, newest first, paged."""
        if request.match_info["batch"] != "current":
            return _error("Batch not found", 0, 404)
        try:
            limit = int(request.query.get("limit", "20"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return _error("limit and offset must be integers", 0)
        rows: list[dict[str, Any]] = []
        for pay in sorted(self.requests.values(), key=lambda item: item.created, reverse=True):
            transaction = self._transaction(pay) if pay.finished() else None
            if transaction is not None:
                rows.append({**transaction, "amount": format_amount(pay.amount)})
        return json_response(
            {
                "type": "list",
                "limit": limit,
                "offset": offset,
                "data": rows[offset : offset + limit],
                "total": str(len(rows)),
            }
        )

    async def _delete(self, request: web.Request) -> web.Response:
        pay = self._find(request)
        if pay is None:
            return _error(f"Pay request {request.match_info['key']} not found", 0, 404)
        if pay.final_status == "timeout":
            return _error("Transaction request has timed out.", 21144)
        if pay.final_status is not None:
            return _error("Pay request is already complete", 0)
        txn = pay.txn
        if txn is None:
            pay.final_status = "canceled"
            self._ledger.record(
                reference=pay.key,
                type_=pay.command,
                amount=pay.amount,
                result="cancelled",
                device=pay.pe_device.key,
            )
            return json_response(self._document(pay))
        if not pay.pe_device.device.cancel(by="api"):
            return _error("Transaction is processing and can no longer be canceled", 0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(txn.done.wait(), 2.0)
        for _ in range(100):
            if pay.finished():
                break
            await asyncio.sleep(0.005)
        return json_response(self._document(pay))

    # --- devices --------------------------------------------------------------

    async def _list_devices(self, request: web.Request) -> web.Response:
        data = [pe.as_json() for pe in self.pe_devices.values()]
        return json_response(
            {"type": "list", "limit": 100, "offset": 0, "total": len(data), "data": data}
        )

    async def _get_device(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        pe_device = self.pe_devices.get(key)
        if pe_device is None:
            return _error(f"Unknown devicekey {key}", 21121, 404)
        return json_response(pe_device.as_json())

    async def _register_device(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            return _error("name is required", 0)
        pe_device = self._add_device(_token("sa_"), body["name"], paired=False)
        pe_device.pairing_code = "".join(secrets.choice(string.digits) for _ in range(6))
        pe_device.expiration = _stamp(time.time() + 900)
        return json_response(pe_device.as_json())


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def _seconds(value: object, default: float) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    try:
        seconds = float(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        return None
    return seconds if seconds > 0 else None
