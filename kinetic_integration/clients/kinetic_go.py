"""Client for the Kinetic Go 2 on-device REST API (v2)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from ..errors import (
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDuplicateTransactionError,
    KineticError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticNotFoundError,
    KineticPrinterError,
    KineticRateLimitError,
    KineticReferenceMismatchError,
    KineticRequestError,
    KineticValidationError,
)
from ..models.common import ReceiptCopy
from ..models.kinetic_go import GoDevice, GoScreen, GoTransaction, GoTransactionSummary
from ..money import parse_amount, to_minor_units
from ._http import (
    BasicCredentials,
    ReplyMemo,
    Response,
    SessionOwner,
    build_url,
    request,
    retry_after_seconds,
)

_T = TypeVar("_T")

DEFAULT_PORT = 8080
_BASE_PATH = "/api/v2"
# Ids go into URL paths: keep them to characters that need no escaping.
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}")


def _check_id(value: str, name: str = "transaction_id") -> str:
    if not isinstance(value, str) or not _TRANSACTION_ID.fullmatch(value):
        raise KineticInputError(f"{name} must be 1-128 letters, digits, '.', '_', ':', '~' or '-'")
    return value


def _message(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("description", "message", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    return ""


@dataclass
class KineticGoClient(SessionOwner):
    """Talks to one Kinetic Go 2 terminal over its embedded REST API.

    ``ping`` needs no credentials; every other endpoint uses HTTP Basic auth.
    """

    host: str
    port: int = DEFAULT_PORT
    username: str = field(default="", kw_only=True)
    password: str = field(default="", repr=False, kw_only=True)
    request_timeout: float = 10.0
    session: aiohttp.ClientSession | None = None
    scheme: str = field(default="http", kw_only=True)
    _close_session: bool = field(default=False, init=False, repr=False)

    _replies: ReplyMemo = field(default_factory=ReplyMemo, init=False, repr=False)
    _urls: dict[str, URL] = field(default_factory=dict, init=False, repr=False)
    _urls_at: tuple[str, str, int] | None = field(default=None, init=False, repr=False)

    # --- plumbing -------------------------------------------------------------

    def _url(self, path: str) -> URL:
        # Polls ask for the same four paths: each URL built once per address.
        at = (self.scheme, self.host, self.port)
        if at != self._urls_at:
            self._urls.clear()
            self._urls_at = at
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = build_url(*at, _BASE_PATH + path)
        return url

    async def _send(
        self, method: str, path: str, *, json_body: Any = None, authorized: bool = True
    ) -> Response:
        return await request(
            self._get_session(),
            method,
            self._url(path),
            time_limit=self.request_timeout,
            auth=BasicCredentials(self.username, self.password) if authorized else None,
            json_body=json_body,
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        authorized: bool = True,
        printer: bool = False,
    ) -> dict[str, Any]:
        """Send a request, raise the typed error for any failure, return the JSON object."""
        response = await self._send(method, path, json_body=json_body, authorized=authorized)
        return self._object(response, path, printer=printer)

    async def _request_any(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        authorized: bool = True,
        printer: bool = False,
    ) -> Any:
        """Send a request, raise the typed error for any failure, return the JSON body."""
        response = await self._send(method, path, json_body=json_body, authorized=authorized)
        return self._body(response, printer=printer)

    async def _poll(
        self, path: str, parse: Callable[[Response], _T], *, authorized: bool = True
    ) -> _T:
        """GET ``path`` and read it with ``parse``, reusing the last reading of the same reply."""
        response = await self._send("GET", path, authorized=authorized)
        return self._replies.read(path, response, parse)

    def _body(self, response: Response, *, printer: bool = False) -> Any:
        """Return the JSON body, or raise the typed error of an error answer."""
        data = response.json_or_none() if response.is_error else response.json()
        if response.is_error or (isinstance(data, dict) and data.get("success") is False):
            raise self._error(response, data, printer=printer)
        return data

    def _object(self, response: Response, path: str, *, printer: bool = False) -> dict[str, Any]:
        """Return the JSON object, or raise the typed error of an error answer."""
        data = self._body(response, printer=printer)
        if not isinstance(data, dict):
            raise KineticInvalidResponseError(f"Expected a JSON object from {path}")
        return data

    def _read_optional(
        self, response: Response, path: str, absent: Callable[[KineticError], bool]
    ) -> GoTransaction | None:
        """Read a ``{"transaction": ...}`` answer; None for none, or for an error ``absent``.

        Polls of an idle terminal get such error answers as a matter of course: they are
        mapped without being raised.
        """
        data = response.json_or_none() if response.is_error else response.json()
        if response.is_error or (isinstance(data, dict) and data.get("success") is False):
            error = self._error(response, data, printer=False)
            if absent(error):
                return None
            raise error
        if not isinstance(data, dict):
            raise KineticInvalidResponseError(f"Expected a JSON object from {path}")
        if data.get("transaction") is None:
            return None
        return self._transaction(data)

    @staticmethod
    def _error(response: Response, data: Any, *, printer: bool) -> KineticError:
        """Map an error status or a ``success: false`` body to the library's errors."""
        status = response.status
        message = _message(data)
        lowered = message.lower()
        if status == 401:
            return KineticAuthenticationError("Kinetic Go rejected the username or password")
        if status == 429:
            return KineticRateLimitError(
                message, retry_after=retry_after_seconds(response.headers.get("retry-after"))
            )
        if ("in progress" in lowered and "no transaction" not in lowered) or "busy" in lowered:
            return KineticDeviceBusyError(message or "A transaction is in progress")
        if "duplicate" in lowered or "already exists" in lowered:
            return KineticDuplicateTransactionError(message or "Transaction id already exists")
        if status == 404:
            return KineticNotFoundError(message or "Not found")
        if printer or "paper" in lowered or "printer" in lowered:
            return KineticPrinterError(message or f"Printer error (HTTP {status})")
        if status >= 500:
            return KineticDeviceError(message or f"Terminal error (HTTP {status})")
        if 400 <= status < 500:
            return KineticValidationError(message or f"Request rejected (HTTP {status})")
        return KineticRequestError(message or "The terminal refused the request")

    @staticmethod
    def _transaction(data: Mapping[str, Any]) -> GoTransaction:
        return GoTransaction.from_dict(data.get("transaction"))

    # --- endpoints ------------------------------------------------------------

    async def ping(self) -> bool:
        """Return True when the terminal's software answers ``ping.json``."""
        return await self._poll(
            "/ping.json",
            lambda r: self._object(r, "/ping.json").get("ping") is True,
            authorized=False,
        )

    async def device(self) -> GoDevice:
        """Return the manufacturer, family and serial number of the hardware."""
        data = await self._request("GET", "/device.json")
        return GoDevice.from_dict(data.get("device"))

    async def settings(self) -> dict[str, Any]:
        """Return the device's settings document (free-form, host-module dependent)."""
        data = await self._request("GET", "/settings.json")
        settings = data.get("settings")
        if not isinstance(settings, dict):
            raise KineticInvalidResponseError("settings.json has no settings object")
        return settings

    async def transactions(self) -> list[GoTransactionSummary]:
        """Return the transactions in the device's database (common fields only)."""
        data = await self._request_any("GET", "/transactions.json")
        # The seed shows one bare row; accept a bare list or a wrapped list too.
        rows: Any = data
        if isinstance(data, dict):
            rows = data.get("transactions", [data] if "id" in data else None)
        if not isinstance(rows, list):
            raise KineticInvalidResponseError("transactions.json is not a list of transactions")
        return [GoTransactionSummary.from_dict(row) for row in rows]

    async def transaction(self, transaction_id: str) -> GoTransaction:
        """Return one transaction by id; :class:`KineticNotFoundError` if it does not exist."""
        data = await self._request("GET", f"/transactions/{_check_id(transaction_id)}.json")
        return self._transaction(data)

    async def latest_transaction(self) -> GoTransaction | None:
        """Return the most recent transaction, or None when the database is empty."""
        return await self._poll("/transactions/latest.json", self._read_latest)

    def _read_latest(self, response: Response) -> GoTransaction | None:
        return self._read_optional(
            response,
            "/transactions/latest.json",
            lambda error: isinstance(error, KineticNotFoundError),
        )

    async def current_transaction(self) -> GoTransaction | None:
        """Return the transaction in progress, or None when there is none.

        The terminal answers an error status when nothing is in progress; only that
        (a 4xx other than auth/rate limit) means None, so an outage still raises.
        """
        return await self._poll("/transactions/current.json", self._read_current)

    def _read_current(self, response: Response) -> GoTransaction | None:
        return self._read_optional(
            response,
            "/transactions/current.json",
            lambda error: (
                isinstance(error, KineticRequestError) and not isinstance(error, KineticDeviceError)
            ),
        )

    async def _start(self, kind: str, transaction_id: str, body: dict[str, Any]) -> GoTransaction:
        body = {"id": _check_id(transaction_id), **body}
        data = await self._request("POST", f"/transactions/{kind}.json", json_body=body)
        transaction = self._transaction(data)
        if transaction.id != transaction_id:
            # Recovery by our id would not find it: hand the caller the terminal's id.
            raise KineticReferenceMismatchError(
                f"Terminal started transaction {transaction.id!r}, not {transaction_id!r}",
                expected_id=transaction_id,
                returned_id=transaction.id,
                transaction=transaction,
            )
        return transaction

    async def start_sale(
        self,
        transaction_id: str,
        amount: Decimal,
        *,
        tip: Decimal | None = None,
        cashback: Decimal | None = None,
        card_timeout: float | None = None,
    ) -> GoTransaction:
        """Start a sale of ``amount`` (major units) under the caller's ``transaction_id``.

        ``card_timeout`` (seconds) is sent as ``timeout_ms``, how long the customer has to
        present a card (the terminal's default is 150 s).
        """
        body: dict[str, Any] = {"amount": _minor(amount, "amount")}
        if tip is not None:
            body["tip_amount"] = _minor(tip, "tip", allow_zero=True)
        if cashback is not None:
            body["amount_other"] = _minor(cashback, "cashback", allow_zero=True)
        body.update(_card_timeout(card_timeout))
        return await self._start("sale", transaction_id, body)

    async def start_refund(
        self, transaction_id: str, amount: Decimal, *, card_timeout: float | None = None
    ) -> GoTransaction:
        """Start a refund of ``amount`` (major units) under the caller's ``transaction_id``."""
        body = {"amount": _minor(amount, "amount"), **_card_timeout(card_timeout)}
        return await self._start("refund", transaction_id, body)

    async def start_reversal(
        self, transaction_id: str, reversed_transaction_id: str
    ) -> GoTransaction:
        """Reverse (void) ``reversed_transaction_id``; the reversal itself is ``transaction_id``."""
        body = {"reference_txn_id": _check_id(reversed_transaction_id, "reversed_transaction_id")}
        return await self._start("reversal", transaction_id, body)

    async def start_reconciliation(self, transaction_id: str) -> GoTransaction:
        """Start an end-of-day reconciliation under the caller's ``transaction_id``."""
        return await self._start("reconciliation", transaction_id, {})

    async def current_screen(self) -> GoScreen:
        """Return the screen the terminal shows (``is_idle`` once a transaction is done)."""
        return await self._poll(
            "/screens/current.json",
            lambda r: GoScreen.from_dict(self._object(r, "/screens/current.json").get("scene")),
        )

    async def print_instructions(self, instructions: Sequence[Mapping[str, Any]]) -> None:
        """Send printer instructions (``text``/``scroll``/``flush``) to the printer."""
        if not all(isinstance(item, Mapping) for item in instructions):
            raise KineticInputError("printer instructions must be JSON objects")
        await self._request(
            "POST",
            "/print.json",
            json_body={"instructions": [dict(item) for item in instructions]},
            printer=True,
        )

    async def receipt(self, transaction_id: str, copy: ReceiptCopy) -> list[dict[str, Any]]:
        """Return a receipt's printer instructions (compatible with :meth:`print_instructions`)."""
        copy = ReceiptCopy(copy)
        data = await self._request(
            "GET", f"/transactions/{_check_id(transaction_id)}/receipts/{copy.value}.json"
        )
        receipt = data.get("receipt")
        if not isinstance(receipt, list) or not all(isinstance(i, dict) for i in receipt):
            raise KineticInvalidResponseError("receipt is not a list of printer instructions")
        return receipt


#: The longest card wait a request may ask for (one hour).
MAX_CARD_TIMEOUT = 3600.0


def _card_timeout(seconds: float | None) -> dict[str, int]:
    """Return ``{"timeout_ms": ...}`` for a card wait in seconds (nothing for None)."""
    if seconds is None:
        return {}
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 1 <= seconds <= MAX_CARD_TIMEOUT
    ):
        raise KineticInputError(f"card_timeout must be 1 to {MAX_CARD_TIMEOUT:.0f} seconds")
    return {"timeout_ms": round(seconds * 1000)}


def _minor(amount: Decimal, name: str, *, allow_zero: bool = False) -> int:
    """Validate an amount before sending and convert it to exact minor units."""
    return to_minor_units(parse_amount(amount, max_amount=None, field=name, allow_zero=allow_zero))
