"""Client for DeviceService (Kinetic / Castles MP200), a local Windows HTTP service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from ..errors import (
    FieldError,
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDuplicateTransactionError,
    KineticError,
    KineticInputError,
    KineticNotFoundError,
    KineticRateLimitError,
    KineticReferenceMismatchError,
    KineticRequestError,
    KineticValidationError,
)
from ..models.device_service import DsOfflineCount, DsStatus, DsTransaction
from ..money import format_amount, parse_amount
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

DEFAULT_PORT = 8526
_BASE_PATH = "/DeviceService/Kinetic"


def check_reference(reference: str) -> str:
    """Return ``reference`` in canonical form if it is a uuid4, else raise.

    The service silently allocates a new id for anything else, which would make the
    transaction impossible to recover by our reference.
    """
    try:
        parsed = uuid.UUID(reference) if isinstance(reference, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 4:
        raise KineticInputError(f"reference must be a uuid4, got {reference!r}")
    return str(parsed)


def _field_errors(errors: Any) -> tuple[FieldError, ...]:
    if not isinstance(errors, list):
        return ()
    return tuple(
        FieldError(
            field=item.get("FieldName") if isinstance(item.get("FieldName"), str) else None,
            code=str(item.get("ErrorCode") or ""),
            message=str(item.get("Message") or ""),
        )
        for item in errors
        if isinstance(item, dict)
    )


@dataclass
class DeviceServiceClient(SessionOwner):
    """Talks to a DeviceService instance driving one Kinetic / MP200 reader.

    ``POST /Transaction`` blocks until the customer is done, so it has its own
    ``transaction_timeout``; ``GET /Transaction?uuid=`` may wait for the status to
    settle (30 s on real services), so lookups use ``lookup_timeout``.
    """

    host: str = "localhost"
    port: int = DEFAULT_PORT
    username: str = field(default="", kw_only=True)
    password: str = field(default="", repr=False, kw_only=True)
    request_timeout: float = 10.0
    transaction_timeout: float = 300.0
    session: aiohttp.ClientSession | None = None
    lookup_timeout: float = field(default=90.0, kw_only=True)
    scheme: str = field(default="http", kw_only=True)
    _close_session: bool = field(default=False, init=False, repr=False)
    _replies: ReplyMemo = field(default_factory=ReplyMemo, init=False, repr=False)

    # --- plumbing -------------------------------------------------------------

    def _url(self, path: str) -> URL:
        return build_url(self.scheme, self.host, self.port, _BASE_PATH + path)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        time_limit: float | None = None,
        expect_body: bool = True,
    ) -> Any:
        """Send a request, raise the typed error for any failure, return the JSON body."""
        response = await request(
            self._get_session(),
            method,
            self._url(path),
            time_limit=time_limit if time_limit is not None else self.request_timeout,
            auth=BasicCredentials(self.username, self.password),
            json_body=json_body,
            params=params,
        )
        if response.is_error:
            raise self._error(response)
        if not expect_body:
            return None
        return response.json()

    async def _poll(self, path: str, parse: Callable[[Any], _T]) -> _T:
        """GET ``path``, ``parse`` its JSON, reusing the last reading of the same reply."""
        response = await request(
            self._get_session(),
            "GET",
            self._url(path),
            time_limit=self.request_timeout,
            auth=BasicCredentials(self.username, self.password),
        )
        if response.is_error:
            raise self._error(response)
        return self._replies.read(path, response, lambda r: parse(r.json()))

    @staticmethod
    def _error(response: Response) -> KineticError:
        """Map an error response (``ResponseStatus`` body or bare status) to our errors."""
        if response.status == 401:
            return KineticAuthenticationError("DeviceService rejected the username or password")
        if response.status == 429:
            return KineticRateLimitError(
                retry_after=retry_after_seconds(response.headers.get("retry-after"))
            )
        data = response.json_or_none()
        status = data.get("ResponseStatus") if isinstance(data, dict) else None
        if not isinstance(status, dict):
            if response.status == 404:
                return KineticNotFoundError("Not found")
            if response.status >= 500:
                return KineticDeviceError(f"DeviceService error (HTTP {response.status})")
            return KineticRequestError(f"DeviceService refused the request ({response.status})")
        code = str(status.get("ErrorCode") or "")
        field_errors = _field_errors(status.get("Errors"))
        message = str(status.get("Message") or "") or next(
            (error.message for error in field_errors if error.message), code
        )
        details = "; ".join(e.message for e in field_errors if e.message) or None
        kwargs: dict[str, Any] = {"field_errors": field_errors, "details": details}
        lowered = code.lower()
        if lowered == "devicebusy" or any(e.code == "device_busy" for e in field_errors):
            return KineticDeviceBusyError(message, **kwargs)
        if lowered == "notfound" or response.status == 404:
            return KineticNotFoundError(message, **kwargs)
        if lowered == "badrequest":
            return KineticValidationError(message, **kwargs)
        if any("already exists" in e.message.lower() for e in field_errors):
            return KineticDuplicateTransactionError(message, **kwargs)
        if lowered == "deviceerror" or response.status >= 500:
            return KineticDeviceError(message, **kwargs)
        if "password" in lowered or "username" in lowered:
            return KineticAuthenticationError(message)
        return KineticValidationError(message, **kwargs)

    # --- endpoints ------------------------------------------------------------

    async def status(self) -> DsStatus:
        """Return the reader's connection and transaction status."""
        return await self._poll("/Status", DsStatus.from_dict)

    async def start_transaction(
        self,
        reference: str,
        amount: Decimal,
        *,
        offline: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-call limit, part of the contract
    ) -> DsTransaction:
        """Run a sale of ``amount`` (major units) under ``reference`` (a uuid4).

        Blocks until the customer is done (up to ``timeout``, by default
        ``transaction_timeout``). Raises
        :class:`KineticReferenceMismatchError` if the service answered under another
        id, and :class:`KineticDuplicateTransactionError` if ``reference`` was used before.
        """
        reference = check_reference(reference)
        body: dict[str, Any] = {
            "Amount": format_amount(parse_amount(amount, max_amount=None)),
            "Reference": reference,
        }
        if offline:
            body["Offline"] = True
        data = await self._request(
            "POST",
            "/Transaction",
            json_body=body,
            time_limit=timeout if timeout is not None else self.transaction_timeout,
        )
        transaction = DsTransaction.from_dict(data)
        if transaction.transaction_id.lower() != reference:
            raise KineticReferenceMismatchError(
                f"DeviceService answered for {transaction.transaction_id!r}, not our reference",
                expected_id=reference,
                returned_id=transaction.transaction_id,
                transaction=transaction,
            )
        return transaction

    async def transaction(
        self,
        reference: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-call limit, part of the contract
    ) -> DsTransaction:
        """Look up a transaction by its uuid (recovery); ``Complete`` false means keep checking."""
        reference = check_reference(reference)
        data = await self._request(
            "GET",
            "/Transaction/",
            params={"uuid": reference},
            time_limit=timeout if timeout is not None else self.lookup_timeout,
        )
        transaction = DsTransaction.from_dict(data)
        if transaction.transaction_id.lower() != reference:
            raise KineticReferenceMismatchError(
                f"DeviceService answered for {transaction.transaction_id!r}, not our reference",
                expected_id=reference,
                returned_id=transaction.transaction_id,
                transaction=transaction,
            )
        return transaction

    async def offline_count(self) -> DsOfflineCount:
        """Return how many offline transactions wait to be sent to the host."""
        return await self._poll("/OfflineTransaction/Count", DsOfflineCount.from_dict)

    async def send_offline_transactions(self) -> None:
        """Send stored offline transactions to the host; returns when all are sent."""
        await self._request(
            "POST",
            "/OfflineTransaction/Send",
            time_limit=self.transaction_timeout,
            expect_body=False,
        )


def new_reference() -> str:
    """Return a fresh uuid4 reference for :meth:`DeviceServiceClient.start_transaction`."""
    return str(uuid.uuid4())
