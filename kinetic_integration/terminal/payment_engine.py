"""USAePay Payment Engine behind the Terminal facade.

The Payment Engine chooses the id (the pay request key). Once the key is known the
request is polled for its whole timeout plus a grace margin; its own ``timeout`` status
is the final TIMEOUT. Every request draws on the API key's budget (45 a minute, shared
by every device on the key, see :mod:`..clients.rate_budget`): a request waiting for the
customer is polled every ``default_poll_interval`` s, one past the card ("processing
payment") every ``near_poll_interval`` s and before anything else; the device status
that Home Assistant polls yields to both. Waiting for the budget only delays a check:
the outcome is still confirmed by the request's key, or UNKNOWN at the deadline.

A lost answer to the create request leaves no key, and no second request is ever
created for that reference. The pay request cannot be listed or searched (its GET
needs the key), but its transaction can: every pay request carries our reference as
``orderid``, and USAePay's REST API lists the open batch's transactions with their
``orderid`` (``GET /batches/current/transactions``). So the batch is searched until
the request's own timeout has passed; found, the outcome is final. Not found, it stays
UNKNOWN (a declined or cancelled request, or one in a batch closed meanwhile, does not
show there) with the checks a person makes in USAePay's console.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import math
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp

from ..clients.payment_engine import PRODUCTION_URL, PaymentEngineClient
from ..clients.rate_budget import Priority
from ..errors import (
    KineticDeviceBusyError,
    KineticError,
    KineticInputError,
    KineticRateLimitError,
)
from ..models.common import TerminalKind, TerminalStatus, Transaction, TransactionType
from ..models.payment_engine import (
    Address,
    AmountDetail,
    LineItem,
    PayRequest,
    PayRequestParams,
    PeTransaction,
)
from .base import Terminal
from .config import Capability, TerminalConfig
from .operation import Operation
from .pacing import NearResults
from .payment_engine_fields import (
    REFERENCE_MARK,
    carries_reference,
    carry_reference,
    with_tip_detail,
)
from .payment_engine_progress import PayRequestProgress

#: Fields the caller sets through the facade itself, not as pass-through.
_OWN_FIELDS = frozenset({"amount", "command", "devicekey", "timeout"})
PASSTHROUGH_FIELDS = frozenset(
    f.name for f in dataclasses.fields(PayRequestParams) if f.name not in _OWN_FIELDS
)
_LOGGER = logging.getLogger(__name__)

#: The pay request command of each transaction type.
_COMMANDS = {
    TransactionType.SALE: "sale",
    TransactionType.AUTHORIZATION: "authonly",
    TransactionType.REFUND: "refund",
}
#: Device statuses that mean a request is being worked on.
_BUSY_WORDS = ("processing", "busy", "transaction", "payment")
#: Searching the open batch for a lost request: page size, at most this many pages per
#: search (a very busy day's batch), and seconds between two searches at least.
_SEARCH_PAGE = 100
_SEARCH_PAGES = 20
_SEARCH_INTERVAL = 1.0


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
            Capability.AUTHORIZE,
        }
    )
    # While the customer is still to present a card; the key's budget slows it when
    # several devices share it (45 a minute in all).
    default_poll_interval = 1.25
    near_statuses = frozenset({"processing payment", "completing payment"})
    near_poll_interval = 0.5
    #: The fastest a pay request is ever checked, whatever is configured: faster polling
    #: would spend the key's 45 requests a minute in seconds and then wait for a minute.
    min_poll_interval = 0.5
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
        self._progress = PayRequestProgress()
        self._near = NearResults(self.result_near)
        self._status_seen = False
        self._last_status: TerminalStatus | None = None

    @property
    def poll_interval(self) -> float:
        """Seconds between two checks of a pay request (at least ``min_poll_interval``)."""
        return max(super().poll_interval, self.min_poll_interval)

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

    def _check_operation(self, operation: Operation) -> None:
        # Build the pay request once: every mistake in the pass-through fields, and a
        # broken rule of the seed (amount_detail that does not add up to the amount,
        # custom_flow out of order), shows before anything is sent.
        if operation.amount is not None:
            self._params(operation, timeout=None)

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
            detail = with_tip_detail(detail, operation.tip)
        for name in ("billing_address", "shipping_address"):
            if isinstance(extra.get(name), Mapping):
                extra[name] = Address(**extra[name])
        if "lineitems" in extra:
            extra["lineitems"] = tuple(
                LineItem(**item) if isinstance(item, Mapping) else item
                for item in extra["lineitems"]
            )
        # Our reference on the gateway's record, so a request whose create answer was
        # lost is found again (and a person can search for it): as the order id, or
        # beside the caller's own order id in the merchant-only comments.
        if extra.get("orderid") is None:
            extra["orderid"] = operation.reference
        else:
            extra["comments"] = carry_reference(extra.get("comments"), operation.reference)
        return PayRequestParams(
            # The Payment Engine charges ``amount``; the tip is a part of it, while the
            # facade's amount is before the tip (as on the Kinetic Go).
            amount=operation.amount + (operation.tip or 0),
            command=_COMMANDS[operation.type],
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
            except KineticDeviceBusyError as err:
                # 21146: the device still works on a request, ours if an earlier answer
                # was lost. Nothing was created for this one.
                raise KineticDeviceBusyError(
                    "A request is still pending on the device (Payment Engine error 21146): "
                    "wait until it finishes; if an earlier sale's answer was lost, that sale "
                    "is still running on the device",
                    details=err.details,
                ) from err
            except KineticRateLimitError as err:
                # A 429 created nothing: wait as told, then ask again while time remains.
                pause = err.retry_after if err.retry_after is not None else self.poll_interval
                if loop.time() + pause >= deadline:
                    raise
                await asyncio.sleep(pause)
                continue
            return self._follow(operation, created)

    async def _fetch(self, operation: Operation, terminal_id: str, remaining: float) -> Transaction:
        priority = self._near.priority(terminal_id)
        request = await self.client.pay_request(terminal_id, priority=priority)
        return self._near.seen(terminal_id, self._follow(operation, request))

    def _follow(self, operation: Operation, request: PayRequest) -> Transaction:
        """Translate a request's answer and note its progress (not for a plain lookup)."""
        txn = self._translate(operation, request)
        if operation.amount is not None:
            self._progress.note(operation.reference, txn)
        return txn

    async def _execute(self, operation: Operation, *args: Any, **kwargs: Any) -> Transaction:
        try:
            return await super()._execute(operation, *args, **kwargs)
        finally:
            self._progress.finish(operation.reference)

    @staticmethod
    def _translate(operation: Operation, request: PayRequest) -> Transaction:
        if operation.amount is None:
            # A plain lookup: the request itself says what it was.
            return request.to_transaction(reference=operation.reference)
        txn = request.to_transaction(
            reference=operation.reference,
            type=operation.type,
            amount=operation.amount + (operation.tip or 0),
        )
        return PaymentEngineTerminal._with_tip(operation, txn)

    @staticmethod
    def _with_tip(operation: Operation, txn: Transaction) -> Transaction:
        """Split the charged amount into the facade's amount and the tip, if there was one.

        The Payment Engine charges the tip as part of ``amount``; the facade's amount is
        before the tip (as on the Kinetic Go).
        """
        tip = operation.tip
        if tip is None:
            return dataclasses.replace(txn, total=txn.amount)
        charged = txn.amount
        return dataclasses.replace(
            txn,
            amount=charged - tip if charged is not None else operation.amount,
            tip=tip,
            total=charged,
        )

    async def _recover_lost(self, operation: Operation, deadline: float) -> Transaction:
        """Find the lost request's transaction in the open batch by our reference.

        It is the ``orderid``, or (when the caller set an order id of their own, which
        may name other sales too) a word of the ``comments``.
        """
        loop = asyncio.get_running_loop()
        while True:
            pause = max(self.poll_interval, _SEARCH_INTERVAL)
            try:
                found = await self._search_batch(operation.reference)
            except KineticRateLimitError as err:
                found = None
                pause = max(pause, err.retry_after or 0.0)
            except KineticError as err:
                _LOGGER.debug("Batch search for %s failed (%s)", operation.reference, err.code)
                found = None
            if found is not None:
                txn = self._from_batch(operation, found)
                if txn.result.is_final:
                    _LOGGER.debug(
                        "%s %s found in the batch: %s",
                        operation.type.value,
                        operation.reference,
                        txn.result.value,
                    )
                    return txn
            remaining = deadline - loop.time()
            if remaining <= 0:
                return self._unknown(operation, None, None, self._lost_advice(operation))
            await asyncio.sleep(min(pause, remaining))

    async def _search_batch(self, reference: str) -> PeTransaction | None:
        """Return the open batch's transaction that carries ``reference``, if there is one."""
        for page in range(_SEARCH_PAGES):
            listing = await self.client.batch_transactions(
                limit=_SEARCH_PAGE, offset=page * _SEARCH_PAGE
            )
            for txn in listing.transactions:
                if carries_reference(txn, reference):
                    return txn
            seen = (page + 1) * _SEARCH_PAGE
            if len(listing.transactions) < _SEARCH_PAGE or (
                listing.total is not None and seen >= listing.total
            ):
                return None
        return None

    def _from_batch(self, operation: Operation, found: PeTransaction) -> Transaction:
        """Present a transaction found in the batch under our reference."""
        base = Transaction(
            kind=self.kind,
            reference=operation.reference,
            type=operation.type,
            result=found.outcome,
            amount=found.moved,
            total=found.moved,
        )
        return self._with_tip(operation, found.onto(base))

    @staticmethod
    def _lost_advice(operation: Operation) -> str:
        if operation.extra.get("orderid") is not None:
            where = f"comment {REFERENCE_MARK}{operation.reference}"
        else:
            where = f"order id {operation.reference}"
        return (
            "The Payment Engine's answer to the pay request was lost before it named the "
            f"request, and no transaction with {where} is in the "
            "open batch. Check USAePay's merchant console (transactions, search by "
            f"{where}) and the device before charging again; if a new "
            "sale on the device is refused with error 21146 (device is processing another "
            "transaction), the lost request is still pending on the device"
        )

    async def status(self) -> TerminalStatus:
        """Return the paired device's status as the Payment Engine reports it.

        A status poll yields to running sales for the key's budget, except the first one
        of this terminal: until it answers nothing is known (Home Assistant cannot even
        set the terminal up), so it waits in line with the sales. While a sale of ours
        is polled, its progress answers without a request (see PayRequestProgress).
        """
        known = self._progress.status(self._last_status, self.min_status_interval)
        if known is not None:
            return known
        priority = Priority.BACKGROUND if self._status_seen else Priority.SALE
        if self.config.device_key:
            device = await self.client.device(self.config.device_key, priority=priority)
        else:
            devices = await self.client.devices(priority=priority)
            if not devices:
                raise KineticInputError("No device is paired with this API key")
            device = devices[0]
        self._status_seen = True
        status = (device.status or "").strip()
        # A request of ours is open: its progress is what the device shows.
        progress = self._progress.current
        self._last_status = TerminalStatus(
            kind=self.kind,
            online=device.is_online,
            busy=progress is not None or any(word in status.lower() for word in _BUSY_WORDS),
            screen=progress or status or None,
            name=device.name,
        )
        return self._last_status

    async def cancel(self, request_key: str) -> None:
        """Cancel a pay request that has not completed (DELETE)."""
        self.require(Capability.CANCEL, "cancel a transaction")
        key = self.validate_reference(request_key)
        await self.client.cancel_pay_request(self._terminal_ids.get(key, key))

    async def close(self) -> None:
        """Close the client."""
        await self.client.close()
