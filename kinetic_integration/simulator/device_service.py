"""DeviceService front end: the Kinetic / Castles MP200 Windows service (seed 001).

Behaviour worth knowing (all from the seed unless marked):
- base ``/DeviceService/Kinetic/``; paths and JSON keys are case-insensitive, a trailing
  slash is optional; every response carries ``Server: Microsoft-HTTPAPI/2.0``;
- ``POST Transaction`` blocks until the customer finishes. While it runs (and while a
  ``GET Transaction?uuid=`` waits) every call but ``Status`` answers DeviceBusy. A client
  that disconnects stops blocking the service, but the transaction runs on;
- a card-wait timeout gives ``Result: "void"`` ("aborted or timed out"); a cancel gives
  ``"cancelled"`` (the seed's Cancelled example);
- ``report_unknown`` makes it answer ``Result: "unknown"`` ("usually indicates an
  unexpected error") for completed transactions, while the ledger keeps what really
  happened (money may have moved);
- ``support_offline`` is ``SupportOfflineTransaction``; an ``Offline`` sale on a service
  without it is refused (simulator choice: a 400 BadRequest on ``offline``);
- (simulator choice) a still-running transaction reads ``Complete: false`` with
  ``Result: null`` and ``Description`` set to the screen text;
- (simulator choice) ``OfflineTransaction/Send`` while the host is unreachable answers a
  500 DeviceError.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from decimal import Decimal
from typing import Any

from aiohttp import web

from ..models.common import TerminalKind
from ._auth import decode_basic
from ._json import json_response, read_json
from .base import BaseSimulator, mark_accepted
from .card import MASKED_PAN_SPACED, card_secrets
from .device import Device
from .transaction import DeviceBusyError, SimTransaction
from .wire_money import decimal_amount

_BASE = "/deviceservice/kinetic"
_DEFAULT_CARD_TIMEOUT = 120.0
_SERVER = "Microsoft-HTTPAPI/2.0"
_RESULT = {"approved", "declined", "cancelled", "error"}
_DATA_SOURCE = {"tap": "tap", "insert": "chip", "swipe": "swipe"}


def _status_error(
    status: int, code: str, message: str | None, errors: list[dict[str, Any]] | None = None
) -> web.Response:
    body: dict[str, Any] = {"ErrorCode": code, "Message": message}
    if errors is not None:
        body = {**body, "StackTrace": None, "Errors": errors}
    return json_response({"ResponseStatus": body}, status=status)


def _busy() -> web.Response:
    return _status_error(
        400,
        "DeviceBusy",
        None,
        [
            {
                "ErrorCode": "device_busy",
                "Message": "Device is busy. Please wait until other actions finished.",
            }
        ],
    )


def _bad_request(field: str, message: str) -> web.Response:
    return _status_error(
        400,
        "BadRequest",
        "invalid_argument",
        [{"ErrorCode": "invalid", "FieldName": field, "Message": message}],
    )


def _device_error(code: str, message: str) -> web.Response:
    return _status_error(500, "DeviceError", None, [{"ErrorCode": code, "Message": message}])


def _is_uuid4(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return uuid.UUID(value).version == 4
    except ValueError:
        return False


class DeviceServiceSimulator(BaseSimulator):
    """A simulated DeviceService with a Castles MP200 attached (default port 8526)."""

    kind = TerminalKind.DEVICE_SERVICE
    default_port = 8526
    label = "DeviceService · Castles MP200"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "DeviceService Simulator",
        username: str = "kittens",
        password: str = "aresolovely",  # noqa: S107 - the seed's example credentials
        serial: str = "MP200SIM0001",
        customer_delay: float = 0.5,
        processing_delay: float = 0.1,
        card_timeout: float | None = None,
        stable_wait: float = 30.0,
        support_offline: bool = True,
        terminal_id: str = "22001111",
    ) -> None:
        """Create the simulator; ``stable_wait`` is how long GET ?uuid= waits for quiet."""
        super().__init__(
            host=host,
            port=port,
            name=name,
            serial=serial,
            customer_delay=customer_delay,
            processing_delay=processing_delay,
            card_timeout=card_timeout,
        )
        self.username = username
        self._password = password
        self.stable_wait = stable_wait
        self.support_offline = support_offline
        self.terminal_id = terminal_id
        #: Answer ``Result: "unknown"`` for every completed transaction (the service's
        #: "unexpected error"); what really happened stays in the ledger.
        self.report_unknown = False
        self.connected = True
        self.device = self._new_device(name=name, serial=serial)
        # Held by a blocking POST or a waiting GET; everything but Status is then busy.
        self._service_busy = 0

    @property
    def devices(self) -> list[Device]:
        """The one MP200."""
        return [self.device]

    def set_connected(self, connected: bool) -> None:
        """Plug or unplug the card reader (``IsConnected``)."""
        self.connected = connected

    def describe(self) -> dict[str, object]:
        """Return what a client needs to connect."""
        return {
            "kind": str(self.kind),
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "base_url": f"{self.url}/DeviceService/Kinetic/",
            "name": self.name,
            "serial": self.serial,
            "username": self.username,
            "password": self._password,
        }

    def secrets(self) -> list[str]:
        """Credentials a client must never log."""
        return [self._password, *card_secrets()]

    def state(self) -> dict[str, object]:
        """Return the base state plus the reader connection."""
        return {
            **super().state(),
            "connected": self.connected,
            "service_busy": self._service_busy > 0,
        }

    # --- plumbing -------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        # One catch-all: the Windows service matches paths without regard to case.
        app.router.add_route("*", "/{tail:.*}", self._dispatch)

    @staticmethod
    def _route(request: web.Request) -> str | None:
        path = request.path.lower().rstrip("/")
        if not path.startswith(_BASE):
            return None
        return path[len(_BASE) :].lstrip("/")

    def _is_money_request(self, request: web.Request) -> bool:
        return request.method == "POST" and self._route(request) == "transaction"

    def _authorized(self, request: web.Request) -> bool:
        credentials = decode_basic(request.headers.get("Authorization", ""))
        if credentials is None:
            return False
        login, password = credentials
        return hmac.compare_digest(login, self.username) and hmac.compare_digest(
            password, self._password
        )

    def _unauthorized(self) -> web.Response:
        message = "Invalid UserName or Password"
        response = _status_error(401, message, message)
        response.headers["WWW-Authenticate"] = 'Basic realm="DeviceService"'
        return response

    def _busy_response(self) -> web.Response:
        return _busy()

    def _error_response(self) -> web.Response:
        return _device_error("device_failure", "Internal error while processing transaction")

    def _malformed_body(self) -> str:
        return '{"Complete": true, "Description": "Transaction fou'

    def _decorate(self, response: web.StreamResponse) -> None:
        response.headers["Server"] = _SERVER

    # --- documents ------------------------------------------------------------

    def transaction_document(self, txn: SimTransaction) -> dict[str, Any]:
        """Build the seed's Transaction body."""
        card = txn.card if txn.result in ("approved", "declined") else None
        if txn.active:
            result: str | None = None
            description = str(self.device.screen)
        else:
            result = "void" if txn.result == "timeout" else txn.result
            description = "Transaction found" if txn.result in _RESULT else txn.message
            if txn.result == "error":
                description = txn.message
            if self.report_unknown:
                result, description = "unknown", "Transaction found"
        auth = {
            "approved": f"AUTH CODE:{txn.auth_code}",
            "declined": "Declined",
            "cancelled": "Transaction Void",
            "timeout": "Transaction Void",
        }.get(txn.result or "", txn.message if txn.result else "")
        body: dict[str, Any] = {
            "Complete": not txn.active,
            "Description": description,
            "TransactionId": txn.id,
            "Result": result,
            "TotalAmount": txn.total,
            "AuthResponse": auth or None,
            "MaskedPan": MASKED_PAN_SPACED if card else None,
            "TerminalId": self.terminal_id if card else None,
            "CardNetwork": "visa" if card else None,
            "DataSource": _DATA_SOURCE[card.entry] if card else None,
            "TransactionType": "sale",
            "SignatureRequired": txn.signature_required,
            "IsContactless": bool(card and card.is_contactless),
            "VerifiedByPin": txn.pin_entered,
            "VerifiedByOdcvm": False,
        }
        if txn.is_offline:
            # The seed's examples omit these two; offline transactions carry them.
            body["IsOffline"] = True
            body["ResponseCode"] = txn.response_code
        return body

    # --- handlers -------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route = self._route(request)
        method = request.method
        if route == "status" and method == "GET":
            return self._status()
        handlers = {
            ("transaction", "POST"): self._post_transaction,
            ("transaction", "GET"): self._get_transaction,
            ("offlinetransaction/count", "GET"): self._offline_count,
            ("offlinetransaction/send", "POST"): self._offline_send,
        }
        handler = handlers.get((route or "", method))
        if handler is None:
            return _status_error(
                404,
                "NotFound",
                "Requested resource was not found",
                [{"ErrorCode": "not_found", "Message": f"{request.path} was not found"}],
            )
        if self._service_busy or (method == "POST" and route == "transaction" and self.device.busy):
            return _busy()
        self._service_busy += 1
        try:
            return await handler(request)
        finally:
            self._service_busy -= 1

    def _status(self) -> web.Response:
        device = self.device
        return json_response(
            {
                "IsConnected": self.connected,
                "TransactionInProgress": device.busy,
                "Status": str(device.screen) if self.connected else None,
                "SupportOfflineTransaction": self.support_offline,
            }
        )

    async def _post_transaction(self, request: web.Request) -> web.StreamResponse:
        raw = await read_json(request)
        if not isinstance(raw, dict):
            return _bad_request("amount", "A JSON body with an Amount is required")
        body = {str(key).lower(): value for key, value in raw.items()}
        amount = decimal_amount(body.get("amount"))
        if amount is None or amount <= 0:
            shown = body.get("amount", 0)
            return _bad_request("amount", f"Amount {shown} is not valid for a transaction")
        if amount != amount.quantize(Decimal("0.01")):
            return _bad_request("amount", f"Amount {amount} is not valid for a transaction")
        offline = body.get("offline", False)
        if not isinstance(offline, bool):
            return _bad_request("offline", "Offline must be true or false")
        if offline and not self.support_offline:
            return _bad_request("offline", "Offline transactions are not supported")
        reference = body.get("reference")
        # The service silently allocates a new id unless given a uuid4.
        tid = str(uuid.UUID(str(reference))) if _is_uuid4(reference) else str(uuid.uuid4())
        if tid in self.device.db:
            return _device_error("kinetic_error", "Transaction UUID already exists")
        if not self.connected:
            return _device_error("device_failure", "Card reader is not connected")
        txn = SimTransaction(
            id=tid,
            type="sale",
            amount=amount.quantize(Decimal("0.01")),
            card_timeout=self.card_timeout or _DEFAULT_CARD_TIMEOUT,
            offline_requested=offline,
        )
        try:
            self.device.start(txn)
        except DeviceBusyError:
            return _busy()
        mark_accepted()
        await txn.done.wait()
        return json_response(self.transaction_document(txn))

    async def _get_transaction(self, request: web.Request) -> web.StreamResponse:
        query = {key.lower(): value for key, value in request.query.items()}
        value = query.get("uuid", "")
        try:
            key = str(uuid.UUID(value))
        except ValueError:
            return _bad_request(
                "uuid", f"{value} is not a valid transaction id, cannot be formatted as Guid"
            )
        txn = self.device.db.get(key)
        if txn is None:
            return _status_error(
                404,
                "NotFound",
                "Requested resource was not found",
                [
                    {
                        "ErrorCode": "not_found",
                        "FieldName": "uuid",
                        "Message": f"{value} was not found",
                    }
                ],
            )
        # Wait until the status has been quiet for stable_wait (watched from this call on),
        # or the transaction ends.
        asked = time.monotonic()
        while txn.active:
            quiet_for = time.monotonic() - max(asked, txn.changed_at)
            if quiet_for >= self.stable_wait:
                break
            try:
                await asyncio.wait_for(txn.done.wait(), min(0.02, self.stable_wait - quiet_for))
            except TimeoutError:
                continue
        return json_response(self.transaction_document(txn))

    async def _offline_count(self, request: web.Request) -> web.StreamResponse:
        queue = self.device.offline_queue
        approved = [txn for txn in queue if txn.result == "approved"]
        return json_response({"offlineCount": len(approved), "storedRecords": len(queue)})

    async def _offline_send(self, request: web.Request) -> web.StreamResponse:
        if self.device.offline:
            return _device_error("device_failure", "Host unreachable: offline transactions kept")
        queue = self.device.offline_queue
        await asyncio.sleep(self.processing_delay)
        for txn in queue:
            txn.response_code = "00"
        queue.clear()
        return web.Response(status=200)
