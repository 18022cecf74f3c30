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
import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from ..models.common import TerminalKind
from ._auth import decode_basic
from ._json import json_response, read_json
from .base import mark_accepted
from .card import card_secrets
from .outcomes import Outcome
from .payment_engine_devices import LOW_BATTERY, PaymentEngineDevices
from .payment_engine_documents import (
    COMMANDS,
    PREFIX,
    PayRequest,
    PeDevice,
    batch_page,
    error,
    read_amount,
    read_seconds,
    request_document,
    token,
)
from .payment_engine_rules import flag, folded_into, funds_decision, request_error
from .rate_limit import KeyRateLimit
from .transaction import DeviceBusyError, SimTransaction

_DEFAULT_TIMEOUT = 180.0


class PaymentEngineSimulator(PaymentEngineDevices):
    """A simulated USAePay Payment Engine with one or more paired devices."""

    kind = TerminalKind.PAYMENT_ENGINE
    default_port = 8443
    label = "Payment Engine"
    #: The USAePay engine is a US gateway.
    currency = ("USD", "$")

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
        self.pe_devices = {}
        for key, device_name in devices:
            self._add_device(key, device_name)
        self.requests: dict[str, PayRequest] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._refnum = 3100000000
        #: The customer's funds (None: unlimited); see :mod:`.payment_engine_rules`.
        self.available_funds: Decimal | None = None
        #: Duplicate folding, an option of the API key (off by default).
        self.duplicate_folding = False
        self.saved_card_tokens: list[str] = []

    @property
    def base_url(self) -> str:
        """``http://host:port/api/v2``."""
        return f"{self.url}/api/v2"

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
        return [self.api_key, self._pin, *card_secrets(), *self.saved_card_tokens]

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
        r.add_post(f"{PREFIX}/payrequests", self._create)
        r.add_get(f"{PREFIX}/payrequests/{{key}}", self._get)
        r.add_delete(f"{PREFIX}/payrequests/{{key}}", self._delete)
        self._add_device_routes(app)
        # USAePay's REST API beside the Payment Engine: the open batch's transactions.
        r.add_get("/api/v2/batches/{batch}/transactions", self._batch_transactions)

    def _is_money_request(self, request: web.Request) -> bool:
        return request.method == "POST" and request.path.rstrip("/") == f"{PREFIX}/payrequests"

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
        return error("Authentication failed", 0, 401)

    def _busy_response(self) -> web.Response:
        return error("Device is currently processing another transaction.", 21146)

    def _error_response(self) -> web.Response:
        return error("Internal server error", 0, 500)

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

    # --- pay requests ---------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error("Request body must be a JSON object", 0)
        devicekey = body.get("devicekey")
        if devicekey is None:
            pe_device = next(iter(self.pe_devices.values()), None)
            if pe_device is None:
                return error("Unknown devicekey", 21121)
        else:
            pe_device = self.pe_devices.get(str(devicekey))
            if pe_device is None or not pe_device.paired:
                return error(f"Unknown devicekey {devicekey}", 21121)
        command = str(body.get("command", "")).removeprefix("cc:")
        if command not in COMMANDS:
            return error("Invalid command; use sale, authonly or refund", 0)
        amount = read_amount(body.get("amount"))
        if amount is None:
            return error("Invalid amount", 0)
        timeout = read_seconds(body.get("timeout"), self.card_timeout or _DEFAULT_TIMEOUT)
        if timeout is None:
            return error("Invalid timeout", 0)
        problem = request_error(body, amount)
        if problem is not None:
            return error(problem, 0)
        if pe_device.device.offline and flag(body, "block_offline"):
            return error("Device is currently offline.", 21145)
        earlier = (
            folded_into(self.requests.values(), pe_device.key, command, amount, body)
            if self.duplicate_folding
            else None
        )
        if earlier is None and self._busy(pe_device):
            return error("Device is currently processing another transaction.", 21146)
        if earlier is None and pe_device.battery < LOW_BATTERY:
            return error("Request failed (Payment terminal battery too low)", 21143)
        self._refnum += 1
        pay = PayRequest(
            key=token("pr_"),
            pe_device=pe_device,
            command=command,
            amount=amount,
            timeout=timeout,
            params=body,
            refnum=str(self._refnum),
            deadline=time.monotonic() + timeout,
            duplicate_of=earlier,
            final_status="transaction complete" if earlier is not None else None,
        )
        self.requests[pay.key] = pay
        if earlier is None:
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
        authorised, pay.partial = funds_decision(self.available_funds, pay)
        txn = SimTransaction(
            id=pay.key, type=pay.command, amount=authorised or pay.amount, card_timeout=remaining
        )
        try:
            device.start(txn)
        except DeviceBusyError:  # pragma: no cover - _busy() guards this
            pay.final_status = "error"
            return
        if authorised is None:
            txn.outcome = Outcome.DECLINED  # not enough funds, no partial authorisation
        pay.txn = txn
        await txn.done.wait()
        if txn.result == "approved" and flag(pay.params, "save_card"):
            pay.card_token = token("tk_", 24)
            self.saved_card_tokens.append(pay.card_token)
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
            return error(f"Pay request {request.match_info['key']} not found", 0, 404)
        return json_response(request_document(pay))

    async def _batch_transactions(self, request: web.Request) -> web.Response:
        """``GET /batches/current/transactions``: the open batch, newest first, paged."""
        if request.match_info["batch"] != "current":
            return error("Batch not found", 0, 404)
        try:
            limit = int(request.query.get("limit", "20"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return error("limit and offset must be integers", 0)
        return json_response(batch_page(list(self.requests.values()), limit, offset))

    async def _delete(self, request: web.Request) -> web.Response:
        pay = self._find(request)
        if pay is None:
            return error(f"Pay request {request.match_info['key']} not found", 0, 404)
        if pay.final_status == "timeout":
            return error("Transaction request has timed out.", 21144)
        if pay.final_status is not None:
            return error("Pay request is already complete", 0)
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
            return json_response(request_document(pay))
        if not pay.pe_device.device.cancel(by="api"):
            return error("Transaction is processing and can no longer be canceled", 0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(txn.done.wait(), 2.0)
        for _ in range(100):
            if pay.finished():
                break
            await asyncio.sleep(0.005)
        return json_response(request_document(pay))
