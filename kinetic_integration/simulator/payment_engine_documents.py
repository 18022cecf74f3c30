"""The Payment Engine's objects (devices, pay requests) and the JSON it writes and reads.

Amounts are decimal strings in major units, converted by :mod:`.wire_money`.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ._json import json_response
from .card import MASKED_PAN_X
from .device import Device
from .transaction import SimTransaction, Step
from .wire_money import decimal_amount, decimal_text

#: Where the engine's API lives under the server.
PREFIX = "/api/v2/paymentengine"
#: The pay request commands the engine takes (``cc:`` prefix removed).
COMMANDS = {"sale": "sale", "authonly": "authonly", "refund": "refund"}
_TRANTYPE = {
    "sale": "Credit Card Sale",
    "authonly": "Credit Card Auth Only",
    "refund": "Credit Card Refund",
}
_ENTRY_MODE = {"tap": "Contactless", "insert": "Chip Read", "swipe": "Swiped"}
_ALPHABET = string.ascii_letters + string.digits


def token(prefix: str, length: int = 29) -> str:
    """Return a random key such as ``pr_...`` or ``sa_...``."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def error(message: str, code: int, status: int = 400) -> web.Response:
    """Build the engine's error answer: ``{"error": message, "errorcode": code}``."""
    return json_response({"error": message, "errorcode": code}, status=status)


def stamp(epoch: float) -> str:
    """Return a time as the engine writes it (``2024-01-31 12:00:00``, UTC)."""
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
    txn_key: str = field(default_factory=lambda: token("", 15).lower())
    refnum: str = ""

    def finished(self) -> bool:
        """Whether the request reached a final status."""
        return self.final_status is not None

    @property
    def expiration(self) -> str:
        """When the request stops being valid."""
        return stamp(self.created + self.timeout)


def request_status(request: PayRequest) -> tuple[str, bool]:
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


def transaction_json(request: PayRequest) -> dict[str, Any] | None:
    """Return the request's ``transaction`` object once the device has a result, else None."""
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
        "auth_amount": decimal_text(txn.total) if approved else "0.00",
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


def request_document(request: PayRequest) -> dict[str, Any]:
    """Return the pay request object ``GET /payrequests/{key}`` answers."""
    status, complete = request_status(request)
    body: dict[str, Any] = {
        "type": "request",
        "key": request.key,
        "devicekey": request.pe_device.key,
        "expiration": request.expiration,
        "status": status,
        "complete": complete,
    }
    transaction = transaction_json(request)
    if transaction is not None:
        body["transaction"] = transaction
    return body


def read_amount(value: object) -> Decimal | None:
    """Read a positive amount of whole cents (a decimal string or number); else None."""
    amount = decimal_amount(value)
    if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def read_seconds(value: object, default: float) -> float | None:
    """Read a positive number of seconds (``default`` when absent); None if not one."""
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    try:
        seconds = float(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        return None
    return seconds if seconds > 0 else None
