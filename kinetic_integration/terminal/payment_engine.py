"""USAePay Payment Engine behind the Terminal facade.

The Payment Engine chooses the id (the pay request key), so a lost answer to the
create request leaves nothing to recover by: the result is UNKNOWN and no second
request is ever created for that reference. Once the key is known the request is
polled for its whole timeout plus a grace margin, no faster than the rate limit allows;
its own ``timeout`` status is the final TIMEOUT.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aiohttp

from ..clients.payment_engine import PRODUCTION_URL, PaymentEngineClient
from ..errors import KineticInputError, KineticRateLimitError
from ..models.common import TerminalKind, TerminalStatus, Transaction, TransactionType
from ..models.payment_engine import (
    Address,
    AmountDetail,
    LineItem,
    PayRequest,
    PayRequestParams,
)
from .base import Capability, Operation, Terminal, TerminalConfig

#: Fields the caller sets through the facade itself, not as pass-through.
_OWN_FIELDS = frozenset({"amount", "command", "devicekey", "timeout"})
PASSTHROUGH_FIELDS = frozenset(
    f.name for f in dataclasses.fields(PayRequestParams) if f.name not in _OWN_FIELDS
)
#: Device statuses that mean a request is being worked on.
_BUSY_WORDS = ("processing", "busy", "transaction", "payment")


class PaymentEngineTerminal(Terminal):
    """A terminal paired with the USAePay Payment Engine (cloud pay requests)."""

    kind = TerminalKind.PAYMENT_ENGINE
    capabilities = frozenset(
        {
            Capability.SALE,
            Capability.REFUND,
            Capability.TIP,
            Capability.CANCEL,
            Capability.TRANSACTION_LOOKUP,
            Capability.SCREEN,
            Capability.PASSTHROUGH,
        }
    )
    default_poll_interval = 2.0
    # 45 requests a minute per API key, shared with the polling of a running sale.
    min_status_interval = 3.0
    reference_is_terminal_id = False

    def __init__(
        self, config: TerminalConfig, session: aiohttp.ClientSession | None = None
    ) -> None:
        """Build the client from the configuration."""
        super().__init__(config)
        self.client = PaymentEngineClient(
            api_key=config.api_key or "",
            pin=config.pin or "",
            base_url=config.base_url or PRODUCTION_URL,
            request_timeout=config.request_timeout,
            session=session,
        )

    @property
    def address_identity(self) -> str:
        """``payment-engine:<device key>``, or the account's default device.

        Not the base URL: one account reached by two spellings of it is one terminal.
        The account is named by a short digest of the API key, never the key itself.
        """
        if self.config.device_key:
            return f"{self.kind.value}:{self.config.device_key}"
        digest = hashlib.sha256(self.client.api_key.encode()).hexdigest()[:16]
        return f"{self.kind.value}:default-device:{digest}"

    def new_reference(self) -> str:
        """Return a uuid4 (our own reference; the Payment Engine names its request)."""
        return str(uuid.uuid4())

    def _validate_extra(self, extra: Mapping[str, Any]) -> None:
        unknown = sorted(set(extra) - PASSTHROUGH_FIELDS)
        if unknown:
            raise KineticInputError(f"Unknown pay request fields: {', '.join(unknown)}")
        # Build (and serialise) once so every mistake shows before anything is sent.
        probe = Operation(
            type=TransactionType.SALE,
            reference="check",
            caller_reference=False,
            amount=Decimal("1.00"),
            extra=extra,
        )
        self._params(probe, timeout=None)

    def _params(self, operation: Operation, *, timeout: float | None) -> PayRequestParams:
        """Build and validate the create request (raises before anything is sent)."""
        try:
            params = self._build(operation, timeout)
            params.to_json()
        except (TypeError, ValueError, AttributeError, ArithmeticError) as err:
            # Wrong names or shapes in pass-through fields: the caller's mistake.
            raise KineticInputError(f"Invalid pay request fields: {err}") from err
        return params

    def _build(self, operation: Operation, timeout: float | None) -> PayRequestParams:
        assert operation.amount is not None
        extra: dict[str, Any] = dict(operation.extra)
        detail = extra.pop("amount_detail", None)
        if isinstance(detail, Mapping):
            detail = AmountDetail(**detail)
        if operation.tip is not None:
            detail = dataclasses.replace(detail or AmountDetail(), tip=operation.tip)
        for name in ("billing_address", "shipping_address"):
            if isinstance(extra.get(name), Mapping):
                extra[name] = Address(**extra[name])
        if "lineitems" in extra:
            extra["lineitems"] = tuple(
                LineItem(**item) if isinstance(item, Mapping) else item
                for item in extra["lineitems"]
            )
        # Our reference on the gateway's record, so a person can find a request whose
        # create answer was lost (unless the caller set an order id of their own).
        extra.setdefault("orderid", operation.reference)
        return PayRequestParams(
            # The Payment Engine charges ``amount``; the tip is a part of it, while the
            # facade's amount is before the tip (as on the Kinetic Go).
            amount=operation.amount + (operation.tip or 0),
            command="refund" if operation.type is TransactionType.REFUND else "sale",
            devicekey=self.config.device_key,
            timeout=math.ceil(timeout) if timeout is not None else None,
            amount_detail=detail,
            **extra,
        )

    def _wait_budget(self, timeout: float) -> float:
        # Poll past the request's own timeout, so its final status is seen.
        return timeout + self.config.recovery_grace

    async def _start(self, operation: Operation, budget: float, deadline: float) -> Transaction:
        params = self._params(operation, timeout=budget)
        loop = asyncio.get_running_loop()
        while True:
            try:
                created = await self.client.create_pay_request(params)
            except KineticRateLimitError as err:
                # A 429 created nothing: wait as told, then ask again while time remains.
                pause = err.retry_after if err.retry_after is not None else self.poll_interval
                if loop.time() + pause >= deadline:
                    raise
                await asyncio.sleep(pause)
                continue
            return self._translate(operation, created)

    async def _fetch(self, operation: Operation, terminal_id: str, remaining: float) -> Transaction:
        return self._translate(operation, await self.client.pay_request(terminal_id))

    @staticmethod
    def _translate(operation: Operation, request: PayRequest) -> Transaction:
        if operation.amount is None:
            # A plain lookup: the request itself says what it was.
            return request.to_transaction(reference=operation.reference)
        tip = operation.tip
        txn = request.to_transaction(
            reference=operation.reference,
            type=operation.type,
            amount=operation.amount + (tip or 0),
        )
        if tip is None:
            return txn
        charged = txn.amount
        return dataclasses.replace(
            txn,
            amount=charged - tip if charged is not None else operation.amount,
            tip=tip,
            total=charged,
        )

    async def status(self) -> TerminalStatus:
        """Return the paired device's status as the Payment Engine reports it."""
        if self.config.device_key:
            device = await self.client.device(self.config.device_key)
        else:
            devices = await self.client.devices()
            if not devices:
                raise KineticInputError("No device is paired with this API key")
            device = devices[0]
        status = (device.status or "").strip()
        return TerminalStatus(
            kind=self.kind,
            online=device.is_online,
            busy=any(word in status.lower() for word in _BUSY_WORDS),
            screen=status or None,
            name=device.name,
        )

    async def cancel(self, request_key: str) -> None:
        """Cancel a pay request that has not completed (DELETE)."""
        self.require(Capability.CANCEL, "cancel a transaction")
        key = self.validate_reference(request_key)
        await self.client.cancel_pay_request(self._terminal_ids.get(key, key))

    async def close(self) -> None:
        """Close the client."""
        await self.client.close()
