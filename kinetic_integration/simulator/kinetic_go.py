"""Kinetic Go 2 front end: the on-device REST API v2 (seed 000).

Choices where the seed is silent (documented for client authors):
- a POST while a transaction is active answers HTTP 409 with
  ``{"success": false, "description": "Transaction in progress", "status": <status>}``;
- a POST with an ``id`` that already exists answers HTTP 400 with
  ``{"success": false, "description": "Transaction id <id> already exists"}`` (checked
  before "in progress", so a retry of the running transaction learns it exists);
- errors are ``{"success": false, "description": ...}``: 401 bad credentials, 404 unknown
  transaction or no transaction in progress, 400 invalid input / printer problems;
- ``transactions.json`` answers the seed's unwrapped shape: a bare array of the
  summary objects the seed shows (no ``success`` wrapper), newest last;
- ``deferred_auth=True`` (also ``settings.json``'s ``deferred_auth.enabled``) approves a
  sale whose host fails (cents ``.05`` or the host link down) as a deferred
  authorisation; :meth:`KineticGoSimulator.start_on_terminal` starts a sale the way a
  merchant does on the device itself (its id generated there);
- a card-wait timeout ends with ``result`` ``cancelled`` (``status_details`` says why).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aiohttp import web

from ..models.common import TerminalKind
from ._auth import decode_basic
from ._json import json_response, read_json
from .base import BaseSimulator, mark_accepted
from .card import card_secrets
from .device import Device
from .kinetic_go_wire import (
    SCREEN_PATH,
    STATUS,
    minor_units_field,
    transaction_document,
    transaction_summary,
)
from .printer import PrinterError
from .receipts import (
    cardholder_receipt,
    merchant_receipt,
    reconciliation_lines,
    reconciliation_receipt,
    transaction_lines,
)
from .transaction import DeviceBusyError, SimTransaction
from .wire_money import go_major_units

_PREFIX = "/api/v2"
_TYPES = frozenset({"sale", "refund", "reversal", "reconciliation"})
_MONEY_TYPES = frozenset({"sale", "refund", "reversal"})
_DEFAULT_CARD_TIMEOUT = 150.0


def _error(description: str, http_status: int, **extra: Any) -> web.Response:
    body = {"success": False, "description": description, **extra}
    return json_response(body, status=http_status)


class KineticGoSimulator(BaseSimulator):
    """A simulated Cashflows / Kinetic Go 2 terminal (default port 8080)."""

    kind = TerminalKind.KINETIC_GO
    default_port = 8080
    label = "Kinetic Go 2"
    prints = True

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "Kinetic Go Simulator",
        username: str = "kinetic",
        password: str = "kinetic-sim-passcode",  # noqa: S107 - a simulator default
        serial: str = "KG2SIM0001",
        customer_delay: float = 0.5,
        processing_delay: float = 0.1,
        card_timeout: float | None = None,
        terminal_id: str = "22001111",
        has_printer: bool = True,
        deferred_auth: bool = False,
        receipt_header: Sequence[str] = (),
        receipt_footer: Sequence[str] = (),
    ) -> None:
        """Create the simulator; ``card_timeout`` overrides the default 150 s card wait."""
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
        self.terminal_id = terminal_id
        self.printer.present = has_printer
        self.device = self._new_device(name=name, serial=serial)
        self.device.deferred_auth = deferred_auth
        self.receipt_header = list(receipt_header)
        self.receipt_footer = list(receipt_footer)
        self.print_requests = 0

    @property
    def devices(self) -> list[Device]:
        """The one device."""
        return [self.device]

    def describe(self) -> dict[str, object]:
        """Return what a client needs to connect."""
        return {
            "kind": str(self.kind),
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "name": self.name,
            "serial": self.serial,
            "username": self.username,
            "password": self._password,
        }

    def secrets(self) -> list[str]:
        """Credentials and card data a client must never log."""
        cryptograms = [txn.cryptogram for txn in self.device.db.values()]
        return [self._password, *card_secrets(), *cryptograms]

    # --- plumbing -------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{_PREFIX}/ping.json", self._ping)
        r.add_get(f"{_PREFIX}/device.json", self._device)
        r.add_get(f"{_PREFIX}/settings.json", self._settings)
        r.add_get(f"{_PREFIX}/transactions.json", self._list)
        r.add_get(f"{_PREFIX}/transactions/{{tid}}.json", self._get)
        r.add_post(f"{_PREFIX}/transactions/{{ttype}}.json", self._start)
        r.add_get(f"{_PREFIX}/transactions/{{tid}}/receipts/{{copy}}.json", self._receipt)
        r.add_get(f"{_PREFIX}/screens/current.json", self._screen)
        r.add_post(f"{_PREFIX}/print.json", self._print)

    def _is_money_request(self, request: web.Request) -> bool:
        if request.method != "POST":
            return False
        path = request.path
        return any(path == f"{_PREFIX}/transactions/{ttype}.json" for ttype in _MONEY_TYPES)

    def _authorized(self, request: web.Request) -> bool:
        if request.path == f"{_PREFIX}/ping.json":
            return True
        credentials = decode_basic(request.headers.get("Authorization", ""))
        if credentials is None:
            return False
        login, password = credentials
        return hmac.compare_digest(login, self.username) and hmac.compare_digest(
            password, self._password
        )

    def _unauthorized(self) -> web.Response:
        response = _error("Unauthorized", 401)
        response.headers["WWW-Authenticate"] = 'Basic realm="Kinetic"'
        return response

    def _busy_response(self) -> web.Response:
        return _error("Transaction in progress", 409, status="waiting_for_card")

    def _error_response(self) -> web.Response:
        return _error("Internal server error", 500)

    def _malformed_body(self) -> str:
        return '{"success": true, "transaction": {"id": "'

    # --- documents ------------------------------------------------------------

    def transaction_document(self, txn: SimTransaction) -> dict[str, Any]:
        """Build the full transaction object of the seed (masked card data included on purpose)."""
        return transaction_document(txn)

    def _one(self, txn: SimTransaction) -> web.Response:
        return json_response({"success": True, "transaction": self.transaction_document(txn)})

    # --- handlers -------------------------------------------------------------

    async def _ping(self, request: web.Request) -> web.Response:
        return json_response({"success": True, "ping": True})

    async def _device(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "success": True,
                "device": {
                    "manufacturer": "Castles Technology",
                    "family": "S1F2",
                    "serial_number": self.serial,
                },
            }
        )

    def start_on_terminal(self, amount: Decimal) -> str:
        """Start a sale on the device itself (no API request); return its generated id."""
        txn = SimTransaction(
            id=str(uuid.uuid4()),
            type="sale",
            amount=amount,
            card_timeout=self.card_timeout or _DEFAULT_CARD_TIMEOUT,
        )
        self.device.start(txn)
        return txn.id

    async def _settings(self, request: web.Request) -> web.Response:
        blank = {f"line{i}": "" for i in range(1, 6)}
        header = {**blank, **{f"line{i}": t for i, t in enumerate(self.receipt_header, 1)}}
        footer = {**blank, **{f"line{i}": t for i, t in enumerate(self.receipt_footer, 1)}}
        return json_response(
            {
                "success": True,
                "settings": {
                    "host": {"module": "dummy"},
                    "dummy": {
                        "address": "127.0.0.1",
                        "port": 23215,
                        "terminal_id": self.terminal_id,
                        "merchant_id": "87654321",
                        "deferred_auth": {"enabled": self.device.deferred_auth},
                        # The host module overrides the default header, not the footer.
                        "receipt": {"footer": dict(blank), "header": {**blank, "line1": self.name}},
                    },
                    "receipt": {"footer": footer, "header": header},
                    "webserver": {"http": {"enabled": True, "port": self.default_port}},
                },
            }
        )

    async def _list(self, request: web.Request) -> web.Response:
        return json_response([transaction_summary(txn) for txn in self.device.db.values()])

    async def _get(self, request: web.Request) -> web.Response:
        tid = request.match_info["tid"]
        device = self.device
        if tid == "current":
            if device.current is None or not device.current.active:
                return _error("No transaction in progress", 404)
            return self._one(device.current)
        if tid in ("latest", "last"):
            if not device.db:
                return _error("No transactions", 404)
            return self._one(max(device.db.values(), key=lambda t: (t.started_at, t.stan)))
        txn = device.db.get(tid)
        if txn is None:
            return _error(f"Transaction {tid} not found", 404)
        return self._one(txn)

    async def _start(self, request: web.Request) -> web.Response:
        ttype = request.match_info["ttype"]
        if ttype not in _TYPES:
            return _error(f"Unknown transaction type {ttype}", 404)
        body = await read_json(request)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            return _error("Request body must be a JSON object", 400)
        tid = body.get("id")
        if tid is None:
            tid = str(uuid.uuid4())
        if not isinstance(tid, str) or not tid.strip() or "/" in tid:
            return _error("id must be a non-empty string", 400)
        device = self.device
        if tid in device.db:
            return _error(f"Transaction id {tid} already exists", 400)
        if device.busy and device.current is not None:
            return _error(
                "Transaction in progress", 409, status=STATUS.get(device.current.step, "starting")
            )
        try:
            txn = self._build(tid, ttype, body)
        except ValueError as err:
            return _error(str(err), 400)
        try:
            device.start(txn)
        except DeviceBusyError:
            return _error("Transaction in progress", 409, status="starting")
        mark_accepted()
        return self._one(txn)

    def _build(self, tid: str, ttype: str, body: dict[str, Any]) -> SimTransaction:
        timeout = self.card_timeout or _DEFAULT_CARD_TIMEOUT
        timeout_ms = body.get("timeout_ms")
        if timeout_ms is not None:
            timeout = minor_units_field(timeout_ms, "timeout_ms", positive=True) / 1000
        if ttype == "reconciliation":
            return SimTransaction(
                id=tid, type=ttype, amount=Decimal("0.00"), needs_card=False, card_timeout=timeout
            )
        if ttype == "reversal":
            ref = body.get("reference_txn_id")
            if not isinstance(ref, str) or not ref:
                raise ValueError("reference_txn_id is required for a reversal")
            original = self.device.db.get(ref)
            if original is None:
                raise ValueError(f"Transaction {ref} not found")
            if original.type not in ("sale", "refund") or original.result != "approved":
                raise ValueError(f"Transaction {ref} cannot be reversed")
            if original.is_reversed:
                raise ValueError(f"Transaction {ref} is already reversed")
            return SimTransaction(
                id=tid,
                type=ttype,
                amount=original.total,
                needs_card=False,
                card_timeout=timeout,
                reference_txn_id=ref,
            )
        amount = go_major_units(minor_units_field(body.get("amount"), "amount", positive=True))
        tip = go_major_units(minor_units_field(body.get("tip_amount", 0), "tip_amount"))
        cashback = go_major_units(minor_units_field(body.get("amount_other", 0), "amount_other"))
        if ttype != "sale" and (tip or cashback):
            raise ValueError("tip_amount and amount_other are only valid for a sale")
        return SimTransaction(
            id=tid, type=ttype, amount=amount, tip=tip, cashback=cashback, card_timeout=timeout
        )

    async def _receipt(self, request: web.Request) -> web.Response:
        tid = request.match_info["tid"]
        copy = request.match_info["copy"]
        txn = self.device.db.get(tid)
        if txn is None:
            return _error(f"Transaction {tid} not found", 404)
        if copy not in ("merchant", "cardholder", "reconciliation"):
            return _error(f"Unknown receipt {copy}", 404)
        if txn.active:
            return _error("Transaction in progress", 400)
        is_recon = txn.type == "reconciliation"
        if copy == "cardholder" and is_recon:
            return _error("No cardholder receipt for a reconciliation", 400)
        if copy == "reconciliation" and not is_recon:
            return _error("Transaction is not a reconciliation", 400)
        if is_recon:
            session = [t for t in self.device.db.values() if t.session_number == txn.session_number]
            lines = reconciliation_lines(
                txn, session, merchant=self.name, terminal_id=self.terminal_id
            )
            return json_response({"success": True, "receipt": reconciliation_receipt(lines)})
        lines = transaction_lines(txn, merchant=self.name, terminal_id=self.terminal_id, copy=copy)
        # The receipt header and footer of settings.json frame every copy.
        lines = [*self.receipt_header, *lines, *self.receipt_footer]
        render = merchant_receipt if copy == "merchant" else cardholder_receipt
        return json_response({"success": True, "receipt": render(lines)})

    async def _screen(self, request: web.Request) -> web.Response:
        screen = self.device.screen
        text = str(screen)
        txn = self.device.current
        if screen.name == "IDLE":
            text = f"Tap Green To Start\n{self.name}\n\n\n\n"
        elif txn is not None and txn.active:
            text = f"{screen}\nGBP {txn.total:.2f}"
        return json_response(
            {"scene": {"path": SCREEN_PATH[str(screen)], "text": text}, "success": True}
        )

    async def _print(self, request: web.Request) -> web.Response:
        # Every print request counts, refused or not (tests prove nothing was sent).
        self.print_requests += 1
        body = await read_json(request)
        instructions = body.get("instructions") if isinstance(body, dict) else None
        if not isinstance(instructions, list):
            return _error("instructions must be an array", 400)
        try:
            self.printer.print(_as_mappings(instructions))
        except PrinterError as err:
            return _error(str(err), 400)
        return json_response({"success": True})


def _as_mappings(items: Sequence[Any]) -> list[Any]:
    return list(items)
