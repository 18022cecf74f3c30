"""Client for the USAePay Payment Engine (cloud pay requests to a paired terminal)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from ..errors import (
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDeviceOfflineError,
    KineticError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticLowBatteryError,
    KineticNotFoundError,
    KineticRateLimitError,
    KineticRequestError,
    KineticRequestTimedOutError,
    KineticUnknownDeviceError,
    KineticValidationError,
)
from ..models.payment_engine import PayRequest, PayRequestParams, PeDevice, PeTransactionList
from ._http import (
    BasicCredentials,
    Response,
    SessionOwner,
    request,
    retry_after_seconds,
)
from .rate_budget import Priority, RequestBudget, shared_budget

PRODUCTION_URL = "https://usaepay.com/api/v2"
SANDBOX_URL = "https://sandbox.usaepay.com/api/v2"
_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")

_ERROR_CODES: dict[int, type[KineticRequestError]] = {
    21121: KineticUnknownDeviceError,
    21143: KineticLowBatteryError,
    21144: KineticRequestTimedOutError,
    21145: KineticDeviceOfflineError,
    21146: KineticDeviceBusyError,
}


def pin_hash(api_key: str, pin: str, seed: str | None = None) -> str:
    """Return the ``s2/<seed>/<sha256(api_key + seed + pin)>`` password of one request."""
    seed = seed if seed is not None else secrets.token_hex(16)
    digest = hashlib.sha256(f"{api_key}{seed}{pin}".encode()).hexdigest()
    return f"s2/{seed}/{digest}"


def _check_key(value: str, name: str) -> str:
    # Keys go into URL paths: refuse anything that would need escaping.
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise KineticInputError(f"{name} must be letters, digits, '_' or '-'")
    return value


def _error_code(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    value = data.get("errorcode")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@dataclass
class PaymentEngineClient(SessionOwner):
    """Talks to the USAePay Payment Engine REST API (``base_url`` ends in ``/api/v2``).

    Every request is authenticated with the API key and a freshly seeded PIN hash.
    The client never polls or retries: the caller decides when to ask again.

    Every request first takes a slot of the API key's request budget (45 a minute,
    shared by every client of the key in this process, or ``budget`` when set), with the
    priority its caller gives; a 429 pauses the whole budget for its ``Retry-After``.
    """

    api_key: str = field(repr=False)
    pin: str = field(repr=False)
    base_url: str = PRODUCTION_URL
    request_timeout: float = 10.0
    session: aiohttp.ClientSession | None = None
    #: Set to replace the key's shared budget (tests, or a key with another limit).
    budget: RequestBudget | None = field(default=None, init=False, repr=False)
    _close_session: bool = field(default=False, init=False, repr=False)

    # --- plumbing -------------------------------------------------------------

    def _budget(self) -> RequestBudget:
        if self.budget is not None:
            return self.budget
        # Looked up every time: an idle budget is dropped and a fresh one is the same.
        return shared_budget(str(URL(self.base_url).origin()), self.api_key)

    def _url(self, path: str) -> URL:
        base = URL(self.base_url.rstrip("/"))
        return base.with_path(base.path.rstrip("/") + path)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        query: dict[str, str] | None = None,
        priority: Priority = Priority.BACKGROUND,
    ) -> Any:
        """Send a request within the budget, raise the typed error, return the JSON body.

        Raises KineticRateLimitError, with nothing sent, when the budget has no slot for
        ``priority`` within ``request_timeout``.
        """
        url = self._url(path)
        budget = self._budget()
        async with budget.slot(priority, max_wait=self.request_timeout):
            response = await request(
                self._get_session(),
                method,
                url.with_query(query) if query else url,
                time_limit=self.request_timeout,
                auth=BasicCredentials(self.api_key, pin_hash(self.api_key, self.pin)),
                json_body=json_body,
            )
        if response.is_error:
            error = self._error(response)
            if isinstance(error, KineticRateLimitError):
                budget.rate_limited(error.retry_after)
            raise error
        data = response.json_or_none() if method == "DELETE" else response.json()
        if isinstance(data, dict) and "error" in data and _error_code(data):
            # An error body with a 200 status is still an error.
            raise self._error(response)
        return data

    @staticmethod
    def _error(response: Response) -> KineticError:
        """Map an error status / ``{"error", "errorcode"}`` body to our errors."""
        status = response.status
        data = response.json_or_none()
        message = ""
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            message = data["error"]
        if status == 401:
            return KineticAuthenticationError("The Payment Engine rejected the API key or PIN")
        if status == 429:
            return KineticRateLimitError(
                message or "Payment Engine rate limit reached",
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        code = _error_code(data)
        if code in _ERROR_CODES:
            return _ERROR_CODES[code](message, details=f"errorcode {code}")
        details = f"errorcode {code}" if code is not None else None
        if status == 404:
            return KineticNotFoundError(message or "Not found", details=details)
        if status >= 500:
            return KineticDeviceError(
                message or f"Payment Engine error (HTTP {status})", details=details
            )
        if status == 403:
            return KineticAuthenticationError(message or "Forbidden")
        return KineticValidationError(
            message or f"Request rejected (HTTP {status})", details=details
        )

    # --- endpoints ------------------------------------------------------------

    async def create_pay_request(self, request: PayRequestParams) -> PayRequest:
        """Start a pay request on the terminal; keep its ``key`` to poll or recover."""
        body = request.to_json()  # validates before anything is sent
        data = await self._request(
            "POST", "/paymentengine/payrequests", json_body=body, priority=Priority.URGENT
        )
        try:
            return PayRequest.from_dict(data)
        except KineticInvalidResponseError:
            key = data.get("key") if isinstance(data, dict) else None
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                raise
            # A partial answer still names the request: keep its key to recover by.
            return PayRequest(
                type=None, key=key, expiration=None, status="", complete=None, transaction=None
            )

    async def pay_request(self, key: str, *, priority: Priority = Priority.SALE) -> PayRequest:
        """Return a pay request's status and, once the customer paid, its transaction.

        ``priority`` URGENT when its result is near (see :mod:`.rate_budget`).
        """
        path = f"/paymentengine/payrequests/{_check_key(key, 'key')}"
        return PayRequest.from_dict(await self._request("GET", path, priority=priority))

    async def batch_transactions(
        self, batch: str = "current", *, limit: int = 100, offset: int = 0
    ) -> PeTransactionList:
        """Return one page of a batch's transactions (``current``: the open batch).

        ``GET /batches/:batch_key:/transactions`` of USAePay's REST API, beyond the
        Payment Engine document; each transaction carries the ``orderid`` it was sent
        with, which is how a pay request whose create answer was lost is found again.
        """
        if not (1 <= limit <= 1000) or offset < 0:
            raise KineticInputError("limit must be 1 to 1000 and offset not negative")
        path = f"/batches/{_check_key(batch, 'batch')}/transactions"
        query = {"limit": str(limit), "offset": str(offset)}
        data = await self._request("GET", path, query=query, priority=Priority.SALE)
        return PeTransactionList.from_dict(data)

    async def cancel_pay_request(self, key: str) -> None:
        """Cancel a pay request that has not completed yet."""
        path = f"/paymentengine/payrequests/{_check_key(key, 'key')}"
        await self._request("DELETE", path, priority=Priority.URGENT)

    async def devices(self, *, priority: Priority = Priority.BACKGROUND) -> list[PeDevice]:
        """Return the payment devices registered to this API key."""
        data = await self._request("GET", "/paymentengine/devices", priority=priority)
        rows: Any = data
        if isinstance(data, dict):
            rows = data.get("data", data.get("devices"))
        if not isinstance(rows, list):
            raise KineticInvalidResponseError("devices is not a list")
        return [PeDevice.from_dict(row) for row in rows]

    async def device(
        self, device_key: str, *, priority: Priority = Priority.BACKGROUND
    ) -> PeDevice:
        """Return one device (its ``status`` says whether it is online)."""
        path = f"/paymentengine/devices/{_check_key(device_key, 'device_key')}"
        return PeDevice.from_dict(await self._request("GET", path, priority=priority))

    async def register_device(self, name: str) -> PeDevice:
        """Register a standalone terminal; the result carries the ``pairing_code``."""
        if not isinstance(name, str) or not name.strip():
            raise KineticInputError("name must be a non-empty string")
        body = {"terminal_type": "standalone", "name": name}
        return PeDevice.from_dict(
            await self._request("POST", "/paymentengine/devices", json_body=body)
        )
