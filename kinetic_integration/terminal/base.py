"""The Terminal facade: capabilities, input checks and the start / wait / recover machinery.

Every money-moving call goes through :meth:`Terminal.execute`, which holds the one rule
this library exists for: once a request may have reached the terminal, the outcome is
recovered by the terminal's own id, and never by sending a second request. When the
outcome cannot be confirmed before the deadline the result is ``UNKNOWN`` (never
``DECLINED``), with the reference so a caller can resume later.

The adapters (one per kind) only say how to start, fetch and describe a transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import re
import socket
import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, ClassVar, Protocol, Self

import aiohttp

from ..errors import (
    KineticAuthenticationError,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDuplicateTransactionError,
    KineticError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticNotFoundError,
    KineticNotStartedError,
    KineticRateLimitError,
    KineticReferenceMismatchError,
    KineticRequestError,
    KineticTimeoutError,
    UnsupportedOperationError,
)
from ..models.common import (
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionResult,
    TransactionType,
)
from ..money import DEFAULT_MAX_AMOUNT, parse_amount

_LOGGER = logging.getLogger(__name__)

#: Longest reference accepted (Kinetic Go ids are free text; keep them sane).
MAX_REFERENCE_LENGTH = 64
_REFERENCE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_REFERENCE_LENGTH - 1}}}")


class Capability(StrEnum):
    """What a kind of terminal can do; checked before anything is sent."""

    SALE = "sale"
    REFUND = "refund"
    REVERSAL = "reversal"
    RECONCILIATION = "reconciliation"
    TIP = "tip"
    CASHBACK = "cashback"
    RECEIPTS = "receipts"
    PRINT = "print"
    SCREEN = "screen"
    OFFLINE_TRANSACTIONS = "offline_transactions"
    CANCEL = "cancel"
    TRANSACTION_LOOKUP = "transaction_lookup"
    LATEST_TRANSACTION = "latest_transaction"
    SERIAL = "serial"
    PASSTHROUGH = "passthrough"


_CAPABILITY_FOR_TYPE = {
    TransactionType.SALE: Capability.SALE,
    TransactionType.REFUND: Capability.REFUND,
    TransactionType.REVERSAL: Capability.REVERSAL,
    TransactionType.RECONCILIATION: Capability.RECONCILIATION,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalConfig:
    """How to reach one terminal, and how patiently to wait for it.

    ``port`` ``None`` means the kind's default. ``transaction_timeout`` is how long the
    customer has (the Payment Engine request's own timeout; for the other kinds how long
    we wait for a final result). ``poll_interval`` ``None`` means the kind's default
    (the Payment Engine's respects its rate limit). ``recovery_grace`` is added to the
    Payment Engine wait so a request is polled past its own timeout; DeviceService adds
    a tenth of the transaction timeout (at least 1 s, at most ``recovery_grace``) after
    its blocking POST.
    ``blocking_request_timeout`` caps one blocking DeviceService POST before switching to
    recovery by uuid (``None``: the whole transaction timeout).
    """

    kind: TerminalKind = TerminalKind.KINETIC_GO
    host: str = "127.0.0.1"
    port: int | None = None
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    pin: str | None = field(default=None, repr=False)
    device_key: str | None = None
    base_url: str | None = None
    max_amount: Decimal | None = DEFAULT_MAX_AMOUNT
    request_timeout: float = 10.0
    transaction_timeout: float = 180.0
    poll_interval: float | None = None
    recovery_grace: float = 30.0
    blocking_request_timeout: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """A validated money-moving request, ready to be sent (see :meth:`Terminal.prepare`).

    ``caller_reference`` is true when the caller chose the reference: it may name a
    transaction the terminal already knows, so it is looked up before anything is sent.
    """

    type: TransactionType
    reference: str
    caller_reference: bool
    amount: Decimal | None = None
    tip: Decimal | None = None
    cashback: Decimal | None = None
    original_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviousAttempt:
    """What a caller (e.g. a journal) remembers of an earlier attempt with this reference."""

    sent: bool
    terminal_id: str | None = None
    #: The error the terminal answered to the request itself, if one was recorded: with
    #: the terminal then having no record of it, nothing was charged.
    answered_error: str | None = None


class TransactionListener(Protocol):
    """Told about progress so a journal can be written before and during a transaction."""

    async def sending(self, operation: Operation) -> None:
        """Record that the money-moving request is about to be sent."""

    async def terminal_id_known(self, operation: Operation, terminal_id: str) -> None:
        """Record the terminal's own id for the transaction as soon as it is known."""

    async def answered_error(self, operation: Operation, error: KineticError) -> None:
        """Record at once that the terminal answered the request itself with an error.

        Written before the answer is acted on, so a recovery after a crash knows the
        terminal answered (see :class:`PreviousAttempt`).
        """


class _Verify(Enum):
    """What to do when the transaction found under our id is not the one we asked for."""

    NONE = "none"  # nothing to check (we started it ourselves)
    RAISE = "raise"  # "already exists" answered our start: someone else's, nothing charged
    REPORT = "report"  # resuming an earlier attempt: report UNKNOWN, never raise


#: A start answered with an error is taken as "nothing charged" only after the terminal
#: said "not found" this many times in a row, spread over at least this many seconds.
_NOT_FOUND_CONFIRMATIONS = 3
_NOT_FOUND_SPREAD = 1.0


def _as_transaction(value: object) -> Transaction | None:
    """Return the shared shape of a parsed transaction carried by an error, if any."""
    convert = getattr(value, "to_transaction", None)
    if callable(convert):
        result = convert()
        if isinstance(result, Transaction):
            return result
    return None


async def resolve_host(host: str, port: int) -> str:
    """Return the first address ``host`` resolves to (an address stays as it is)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise KineticConnectionError(f"Cannot resolve host {host!r}") from err
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise KineticConnectionError(f"Cannot resolve host {host!r}")
    # One answer for one name whatever the order the resolver gives: IPv4 first.
    return str(min(addresses, key=lambda address: (address.version, address)))


def never_sent(err: BaseException) -> bool:
    """Whether a connection error happened before any byte of the request left us.

    Only a failure to connect at all proves that; anything later (a dropped
    connection, a timeout) may mean the terminal got the request.
    """
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, (aiohttp.ClientConnectorError, socket.gaierror)):
            return True
        seen = seen.__cause__
    return False


class Terminal(ABC):
    """One payment terminal, whichever API is behind it.

    Every method checks its capability and its input before anything is sent
    (:class:`~kinetic_integration.errors.UnsupportedOperationError`,
    :class:`~kinetic_integration.errors.InvalidAmountError`).
    """

    kind: ClassVar[TerminalKind]
    capabilities: ClassVar[frozenset[Capability]]
    #: Seconds between two checks of a running transaction, unless configured.
    default_poll_interval: ClassVar[float] = 0.5
    #: Statuses (lower case) after the card was read: the result is near, so a running
    #: transaction showing one is checked every ``near_poll_interval`` s instead.
    near_statuses: ClassVar[frozenset[str]] = frozenset()
    near_poll_interval: ClassVar[float] = 0.5
    #: Shortest sensible time between two status polls (a cloud API's rate limit).
    min_status_interval: ClassVar[float] = 0.0
    #: True when the reference we choose is the terminal's own id for the transaction.
    reference_is_terminal_id: ClassVar[bool] = True
    #: True when a looked-up transaction reports exactly the amount that was asked for.
    echoes_amount: ClassVar[bool] = False

    def __init__(self, config: TerminalConfig) -> None:
        """Keep the configuration; adapters build their client."""
        self.config = config
        self.max_amount = config.max_amount
        # Ids learnt in this process, and references already sent once: a second
        # call with the same reference resumes instead of charging again.
        self._terminal_ids: dict[str, str] = {}
        self._attempted: set[str] = set()
        self._stable_identity: str | None = None
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # --- identity and capabilities -------------------------------------------------

    @property
    def identity(self) -> str:
        """A name for this terminal: the stable one once resolved, else its address.

        See :meth:`resolve_identity`; the journal keys its records by it.
        """
        return self._stable_identity or self.address_identity

    @property
    @abstractmethod
    def address_identity(self) -> str:
        """The terminal named by how it is reached (kind and address as configured)."""

    async def resolve_identity(self) -> str:
        """Return the most stable name this terminal has, asking it once if need be.

        Kinetic Go: its serial number; Payment Engine: the device key (or the account's
        default device); DeviceService has no serial, so its address with the host name
        resolved. Raises a KineticError if the terminal cannot be asked (nothing is sent).
        """
        if self._stable_identity is None:
            self._stable_identity = await self._resolve_identity()
        return self._stable_identity

    async def _resolve_identity(self) -> str:
        return self.address_identity

    @property
    def poll_interval(self) -> float:
        """Seconds between two checks of a running transaction."""
        if self.config.poll_interval is not None:
            return self.config.poll_interval
        return self.default_poll_interval

    def result_near(self, txn: Transaction | None) -> bool:
        """Whether ``txn`` is past the card and its result is due (see near_statuses)."""
        return txn is not None and (txn.status or "").strip().lower() in self.near_statuses

    def _poll_delay(self, current: Transaction | None) -> float:
        """Seconds before the next check: shorter while the result is near, unless configured."""
        if self.config.poll_interval is None and self.result_near(current):
            return min(self.near_poll_interval, self.poll_interval)
        return self.poll_interval

    def supports(self, capability: Capability) -> bool:
        """Whether this kind of terminal can do ``capability``."""
        return capability in self.capabilities

    def require(self, capability: Capability, what: str | None = None) -> None:
        """Raise UnsupportedOperationError unless this kind can do ``capability``."""
        if capability not in self.capabilities:
            raise UnsupportedOperationError(
                f"A {self.kind.value} terminal cannot {what or capability.value.replace('_', ' ')}"
            )

    # --- input checks ----------------------------------------------------------------

    def validate_reference(self, reference: str) -> str:
        """Return ``reference`` if this kind accepts it as a transaction id, or raise."""
        if not isinstance(reference, str) or not reference.strip():
            raise KineticInputError("The reference must be a non-empty string")
        reference = reference.strip()
        if not _REFERENCE.fullmatch(reference):
            raise KineticInputError(
                f"The reference must be 1 to {MAX_REFERENCE_LENGTH} ASCII letters, digits, "
                "'-', '_', '.' or ':', starting with a letter or digit"
            )
        return reference

    @abstractmethod
    def new_reference(self) -> str:
        """Return a fresh reference for a transaction (a uuid4)."""

    def prepare(
        self,
        type_: TransactionType,
        *,
        amount: object = None,
        reference: str | None = None,
        tip: object = None,
        cashback: object = None,
        original_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Operation:
        """Check capability and input, and return the operation to send; sends nothing."""
        self.require(_CAPABILITY_FOR_TYPE[type_], f"do a {type_.value}")
        parsed_amount: Decimal | None = None
        if type_ in (TransactionType.SALE, TransactionType.REFUND):
            parsed_amount = parse_amount(amount, max_amount=self.max_amount)
        elif amount is not None:
            raise KineticInputError(f"A {type_.value} takes no amount")
        parsed_tip = parsed_cashback = None
        if tip is not None:
            self.require(Capability.TIP, "take a tip")
            if type_ is not TransactionType.SALE:
                raise KineticInputError("Only a sale can carry a tip")
            parsed_tip = parse_amount(tip, max_amount=self.max_amount, field="tip", allow_zero=True)
        if cashback is not None:
            self.require(Capability.CASHBACK, "give cashback")
            if type_ is not TransactionType.SALE:
                raise KineticInputError("Only a sale can carry cashback")
            parsed_cashback = parse_amount(
                cashback, max_amount=self.max_amount, field="cashback", allow_zero=True
            )
        if parsed_amount is not None and self.max_amount is not None:
            total = parsed_amount + (parsed_tip or 0) + (parsed_cashback or 0)
            if total > self.max_amount:
                raise KineticInputError(f"The total {total} is above the cap of {self.max_amount}")
        if type_ is TransactionType.REVERSAL:
            if not original_id:
                raise KineticInputError("A reversal needs the id of the transaction to reverse")
            original_id = self.validate_reference(original_id)
        if extra:
            self.require(Capability.PASSTHROUGH, "take extra transaction fields")
            self._validate_extra(extra)
        caller_reference = reference is not None
        reference = (
            self.validate_reference(reference) if reference is not None else self.new_reference()
        )
        return Operation(
            type=type_,
            reference=reference,
            caller_reference=caller_reference,
            amount=parsed_amount,
            tip=parsed_tip,
            cashback=parsed_cashback,
            original_id=original_id,
            extra=dict(extra or {}),
        )

    def _validate_extra(self, extra: Mapping[str, Any]) -> None:  # noqa: B027 - optional hook
        """Check pass-through fields (only kinds with PASSTHROUGH get here)."""

    # --- money-moving operations --------------------------------------------------

    async def sale(
        self,
        amount: object,
        *,
        reference: str | None = None,
        tip: object = None,
        cashback: object = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        previous: PreviousAttempt | None = None,
        listener: TransactionListener | None = None,
        **passthrough: Any,
    ) -> Transaction:
        """Take a payment and wait for its final result (or UNKNOWN at the deadline)."""
        operation = self.prepare(
            TransactionType.SALE,
            amount=amount,
            reference=reference,
            tip=tip,
            cashback=cashback,
            extra=passthrough,
        )
        return await self.execute(operation, timeout=timeout, previous=previous, listener=listener)

    async def refund(
        self,
        amount: object,
        *,
        reference: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        previous: PreviousAttempt | None = None,
        listener: TransactionListener | None = None,
        **passthrough: Any,
    ) -> Transaction:
        """Refund money to a card and wait for the final result."""
        operation = self.prepare(
            TransactionType.REFUND, amount=amount, reference=reference, extra=passthrough
        )
        return await self.execute(operation, timeout=timeout, previous=previous, listener=listener)

    async def reversal(
        self,
        transaction_id: str,
        *,
        reference: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        previous: PreviousAttempt | None = None,
        listener: TransactionListener | None = None,
    ) -> Transaction:
        """Reverse (void) an earlier transaction and wait for the final result."""
        operation = self.prepare(
            TransactionType.REVERSAL, reference=reference, original_id=transaction_id
        )
        return await self.execute(operation, timeout=timeout, previous=previous, listener=listener)

    async def reconciliation(
        self,
        *,
        reference: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        previous: PreviousAttempt | None = None,
        listener: TransactionListener | None = None,
    ) -> Transaction:
        """Run the end-of-day reconciliation and wait for the final result."""
        operation = self.prepare(TransactionType.RECONCILIATION, reference=reference)
        return await self.execute(operation, timeout=timeout, previous=previous, listener=listener)

    async def execute(
        self,
        operation: Operation,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        previous: PreviousAttempt | None = None,
        listener: TransactionListener | None = None,
    ) -> Transaction:
        """Start ``operation`` (or resume it) and wait for its final result.

        Raises only when nothing was charged for this reference (busy, refused,
        unreachable, bad credentials). Once a request may have reached the terminal it
        returns a Transaction, ``UNKNOWN`` if the outcome could not be confirmed in time.
        """
        if timeout is None:
            timeout = self.config.transaction_timeout
        if timeout <= 0:
            raise KineticInputError("The timeout must be positive")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_budget(timeout)
        async with self._reference_lock(operation.reference):
            return await self._execute(operation, timeout, deadline, previous, listener)

    def _reference_lock(self, reference: str) -> asyncio.Lock:
        """One lock per reference: concurrent calls with it run one after the other."""
        lock = self._locks.get(reference)
        if lock is None:
            lock = self._locks[reference] = asyncio.Lock()
        return lock

    async def _execute(
        self,
        operation: Operation,
        timeout: float,  # noqa: ASYNC109 - the customer's time, not one call's
        deadline: float,
        previous: PreviousAttempt | None,
        listener: TransactionListener | None,
    ) -> Transaction:
        loop = asyncio.get_running_loop()
        known_id = (previous.terminal_id if previous else None) or self._terminal_ids.get(
            operation.reference
        )
        attempted = (
            (previous is not None and previous.sent)
            or operation.reference in self._attempted
            or operation.reference in self._terminal_ids
        )
        if attempted:
            # An earlier request with this reference may have reached the terminal:
            # never send another one. Recover by the terminal's id, tolerating every
            # error until the deadline, then UNKNOWN.
            lookup_id = known_id or (operation.reference if self.reference_is_terminal_id else None)
            if lookup_id is None:
                self._attempted.add(operation.reference)
                return await self._recover_lost(operation, deadline)
            _LOGGER.debug("Reference %s was sent before: recovering it", operation.reference)
            self._attempted.add(operation.reference)
            await self._remember_id(operation, lookup_id, listener)
            answered = (
                KineticDeviceError(previous.answered_error)
                if previous is not None and previous.answered_error
                else None
            )
            return await self._wait(
                operation,
                lookup_id,
                None,
                deadline,
                answered,
                vanished_is_unknown=not self.reference_is_terminal_id,
                verify=_Verify.REPORT,
            )
        if operation.caller_reference and self.reference_is_terminal_id:
            # The caller chose the reference: the terminal may already know it. Errors
            # here propagate: nothing was ever sent for it (not by us, as far as we know).
            lookup_id = operation.reference
            existing = await self._lookup(operation, lookup_id, deadline - loop.time())
            if existing is not None:
                self._check_same(operation, existing)
                _LOGGER.debug("Reference %s is known to the terminal: resuming", lookup_id)
                self._attempted.add(operation.reference)
                await self._remember_id(operation, operation.reference, listener)
                return await self._wait(operation, operation.reference, existing, deadline)
        return await self._send(operation, timeout, deadline, listener)

    def _check_same(self, operation: Operation, existing: Transaction) -> None:
        """Refuse to report another transaction that happens to carry this reference."""
        mismatch = self._mismatch(operation, existing)
        if mismatch is not None:
            raise KineticInputError(mismatch)

    def _mismatch(self, operation: Operation, existing: Transaction) -> str | None:
        """Why ``existing`` is not the transaction ``operation`` asked for (None: it is)."""
        same_type = existing.type is operation.type
        same_amount = (
            not self.echoes_amount
            or operation.amount is None
            or existing.amount is None
            or existing.amount == operation.amount
        )
        if same_type and same_amount:
            return None
        described = existing.type.value + (
            f" of {existing.amount}" if existing.amount is not None else ""
        )
        return (
            f"Reference {operation.reference} already names a {described} on the "
            "terminal; use a new reference for a different transaction"
        )

    async def _send(
        self,
        operation: Operation,
        budget: float,
        deadline: float,
        listener: TransactionListener | None,
    ) -> Transaction:
        """Send the one money-moving request, then wait or recover."""
        # Marked before the listener is awaited: from here on no other call may send it.
        self._attempted.add(operation.reference)
        if listener is not None:
            try:
                await listener.sending(operation)  # may refuse (e.g. journal unwritable)
            except BaseException:
                self._attempted.discard(operation.reference)
                raise
        _LOGGER.debug("Starting %s %s", operation.type.value, operation.reference)
        answered_error: KineticDeviceError | None = None
        started: Transaction | None = None
        adopted_id: str | None = None
        verify = _Verify.NONE
        try:
            started = await self._start(operation, budget, deadline)
        except KineticConnectionError as err:
            if never_sent(err):
                self._attempted.discard(operation.reference)
                raise
            _LOGGER.debug("Start of %s lost (%s): recovering", operation.reference, err.code)
        except KineticDuplicateTransactionError:
            _LOGGER.debug("Reference %s already exists: recovering", operation.reference)
            # Ours (an earlier request that got through) or someone else's: check.
            verify = _Verify.RAISE
        except KineticDeviceError as err:
            _LOGGER.debug("Start of %s failed on the terminal: checking", operation.reference)
            answered_error = err
        except KineticReferenceMismatchError as err:
            # The terminal named the transaction itself (firmware that ignores our id):
            # recover by its id, never by ours.
            _LOGGER.debug("Terminal named %s differently: recovering", operation.reference)
            adopted_id = err.returned_id
            started = _as_transaction(err.transaction)
        except KineticInvalidResponseError:
            _LOGGER.debug("Start of %s answered nonsense: recovering", operation.reference)
        except KineticError:
            # Busy, refused, bad credentials, rate limited: nothing was started.
            self._attempted.discard(operation.reference)
            raise
        except Exception as err:
            # Something we did not foresee, after the request may have left: never
            # "nothing was sent".
            _LOGGER.debug(
                "Start of %s failed unexpectedly (%s): recovering",
                operation.reference,
                type(err).__name__,
            )
        if answered_error is not None and listener is not None:
            # The terminal's answer goes to the journal before anything is done with it.
            await listener.answered_error(operation, answered_error)
        terminal_id = adopted_id or self._terminal_id_of(operation, started)
        if terminal_id is None:
            return await self._recover_lost(operation, deadline)
        await self._remember_id(operation, terminal_id, listener)
        try:
            return await self._wait(
                operation, terminal_id, started, deadline, answered_error, verify=verify
            )
        except (KineticDeviceError, KineticInputError, KineticNotStartedError):
            # Raised only when the terminal confirmed it has no transaction of ours
            # (an answered error and no record, or "already exists" for another one).
            self._attempted.discard(operation.reference)
            self._terminal_ids.pop(operation.reference, None)
            raise

    async def _remember_id(
        self, operation: Operation, terminal_id: str, listener: TransactionListener | None
    ) -> None:
        self._terminal_ids[operation.reference] = terminal_id
        if listener is not None:
            await listener.terminal_id_known(operation, terminal_id)

    async def _wait(
        self,
        operation: Operation,
        terminal_id: str,
        current: Transaction | None,
        deadline: float,
        answered_error: KineticDeviceError | None = None,
        *,
        vanished_is_unknown: bool = False,
        verify: _Verify = _Verify.NONE,
    ) -> Transaction:
        """Poll the terminal by its own id until a final result or the deadline.

        Never raises for a transaction that may exist, except: ``answered_error`` when
        the terminal answered the start with an error and then, several times over a
        while, has no record of it; and with ``verify`` RAISE, KineticInputError when
        the transaction under our id is not the one we asked for.
        """
        loop = asyncio.get_running_loop()
        first = True
        not_found_since: float | None = None
        not_found_count = 0
        while True:
            if current is not None and verify is not _Verify.NONE:
                mismatch = self._mismatch(operation, current)
                if mismatch is not None:
                    if verify is _Verify.RAISE:
                        raise KineticInputError(mismatch)
                    return self._unknown(operation, terminal_id, None, mismatch)
                verify = _Verify.NONE
            if current is not None and current.result.is_final:
                return self._final(operation, terminal_id, current)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return self._unknown(
                    operation,
                    terminal_id,
                    current,
                    "No final result before the deadline; resume with the same reference",
                )
            # Check at once after a lost answer; otherwise pace the polling.
            delay = 0.0 if first and current is None else self._poll_delay(current)
            first = False
            if delay:
                await asyncio.sleep(min(delay, remaining))
                remaining = deadline - loop.time()
                if remaining <= 0:
                    continue
            try:
                current = await self._bounded_fetch(operation, terminal_id, remaining)
            except KineticNotFoundError:
                if vanished_is_unknown:
                    # The terminal named this request once and no longer finds it
                    # (expired?): a new request could charge twice. Only a person can tell.
                    return self._unknown(
                        operation,
                        terminal_id,
                        current,
                        f"The terminal no longer knows request {terminal_id}; "
                        "check the terminal before charging again",
                    )
                now = loop.time()
                not_found_count += 1
                if not_found_since is None:
                    not_found_since = now
                if (
                    not_found_count >= _NOT_FOUND_CONFIRMATIONS
                    and now - not_found_since >= _NOT_FOUND_SPREAD
                ):
                    if answered_error is not None:
                        # The terminal answered the start with an error and, asked again
                        # and again over a while, has no record of it: nothing was charged.
                        raise answered_error from None
                    reason = await self._never_started(terminal_id)
                    if reason is not None:
                        raise KineticNotStartedError(reason) from None
                _LOGGER.debug("Transaction %s not (yet) known to the terminal", terminal_id)
                continue
            except KineticDeviceBusyError:
                _LOGGER.debug("Terminal busy while recovering %s: waiting", terminal_id)
            except KineticRateLimitError as err:
                pause = err.retry_after if err.retry_after is not None else self.poll_interval
                _LOGGER.debug("Rate limited while polling %s: pausing %ss", terminal_id, pause)
                await asyncio.sleep(max(0.0, min(pause, deadline - loop.time())))
            except KineticAuthenticationError:
                return self._unknown(
                    operation,
                    terminal_id,
                    current,
                    "The terminal stopped accepting our credentials while we waited",
                )
            except KineticError as err:
                _LOGGER.debug("Check of %s failed (%s): retrying", terminal_id, err.code)
            except Exception as err:  # nothing may end a recovery early
                _LOGGER.debug("Check of %s failed (%s): retrying", terminal_id, type(err).__name__)
            # Any answer other than "not found" breaks a run of them.
            not_found_since = None
            not_found_count = 0

    def _final(self, operation: Operation, terminal_id: str, txn: Transaction) -> Transaction:
        """Present a terminal's answer under our reference."""
        _LOGGER.debug("%s %s: %s", operation.type.value, operation.reference, txn.result.value)
        return dataclasses.replace(
            txn,
            reference=operation.reference,
            amount=txn.amount if txn.amount is not None else operation.amount,
            request_key=txn.request_key if self.reference_is_terminal_id else terminal_id,
        )

    def _unknown(
        self,
        operation: Operation,
        terminal_id: str | None,
        last: Transaction | None,
        message: str,
    ) -> Transaction:
        _LOGGER.debug("%s %s: outcome unknown", operation.type.value, operation.reference)
        if last is not None:
            return dataclasses.replace(
                self._final(operation, terminal_id or operation.reference, last),
                result=TransactionResult.UNKNOWN,
                message=message,
            )
        return Transaction(
            kind=self.kind,
            reference=operation.reference,
            type=operation.type,
            result=TransactionResult.UNKNOWN,
            amount=operation.amount,
            tip=operation.tip,
            cashback=operation.cashback,
            request_key=None if self.reference_is_terminal_id else terminal_id,
            message=message,
        )

    async def _lookup(
        self, operation: Operation, terminal_id: str, remaining: float
    ) -> Transaction | None:
        """Fetch a transaction by the terminal's id, or None if the terminal has none."""
        try:
            return await self._bounded_fetch(operation, terminal_id, remaining)
        except KineticNotFoundError:
            return None

    async def _bounded_fetch(
        self, operation: Operation, terminal_id: str, remaining: float
    ) -> Transaction:
        """Fetch, but never past the deadline (the clients' own timeouts may be longer)."""
        remaining = max(remaining, 0.1)
        try:
            async with asyncio.timeout(remaining):
                return await self._fetch(operation, terminal_id, remaining)
        except TimeoutError as err:
            raise KineticTimeoutError(f"No answer about {terminal_id} in time") from err

    def _wait_budget(self, timeout: float) -> float:
        """Return how long to wait for a final result in total (kinds may add a grace)."""
        return timeout

    async def _recover_lost(self, operation: Operation, deadline: float) -> Transaction:
        """Recover a request whose answer was lost before it named the transaction.

        Only kinds whose terminal chooses the id get here. By default nothing can be
        looked up: the outcome is UNKNOWN and only a person can tell.
        """
        del deadline
        return self._unknown(
            operation,
            None,
            None,
            "The terminal's answer was lost before it named the transaction; "
            "check the terminal before charging again",
        )

    async def _never_started(self, terminal_id: str) -> str | None:
        """Why the terminal provably never started ``terminal_id``, or None if it cannot tell.

        Asked only after the terminal said "not found" for it several times over a
        while. A kind overrides this only where its documentation supports the
        conclusion; by default silence proves nothing and the outcome stays unknown.
        """
        del terminal_id
        return None

    def _terminal_id_of(self, operation: Operation, started: Transaction | None) -> str | None:
        """Return the id to recover by after a start (None: the start never named one)."""
        if self.reference_is_terminal_id:
            return operation.reference
        return started.request_key if started is not None else None

    # --- what each kind implements -------------------------------------------------

    @abstractmethod
    async def _start(self, operation: Operation, budget: float, deadline: float) -> Transaction:
        """Send the one money-moving request; return what the terminal answered."""

    @abstractmethod
    async def _fetch(self, operation: Operation, terminal_id: str, remaining: float) -> Transaction:
        """Ask the terminal about a transaction by its own id (NotFound if unknown)."""

    @abstractmethod
    async def status(self) -> TerminalStatus:
        """Return what the terminal says about itself right now."""

    async def transaction(self, reference: str, *, terminal_id: str | None = None) -> Transaction:
        """Look up a transaction by reference (or by the terminal's own id)."""
        self.require(Capability.TRANSACTION_LOOKUP, "look up transactions")
        reference = self.validate_reference(reference)
        lookup_id = terminal_id or self._terminal_ids.get(reference) or reference
        operation = Operation(type=TransactionType.SALE, reference=reference, caller_reference=True)
        txn = await self._fetch(operation, lookup_id, self.config.request_timeout)
        return dataclasses.replace(self._final(operation, lookup_id, txn), type=txn.type)

    async def latest_transaction(self) -> Transaction | None:
        """Return the most recent transaction the terminal knows (None if it has none)."""
        self.require(Capability.LATEST_TRANSACTION, "report its latest transaction")
        raise NotImplementedError

    async def receipt(self, reference: str, copy: ReceiptCopy = ReceiptCopy.MERCHANT) -> list[str]:
        """Return the receipt of a transaction as text lines."""
        self.require(Capability.RECEIPTS, "produce receipts")
        raise NotImplementedError

    async def print_text(self, lines: Sequence[str]) -> None:
        """Print text lines on the terminal's printer."""
        self.require(Capability.PRINT, "print")
        raise NotImplementedError

    async def offline_count(self) -> int:
        """Return how many offline transactions wait to be sent to the host."""
        self.require(Capability.OFFLINE_TRANSACTIONS, "count offline transactions")
        raise NotImplementedError

    async def send_offline(self) -> None:
        """Send stored offline transactions to the host."""
        self.require(Capability.OFFLINE_TRANSACTIONS, "send offline transactions")
        raise NotImplementedError

    async def cancel(self, request_key: str) -> None:
        """Cancel a pending payment request."""
        self.require(Capability.CANCEL, "cancel a transaction")
        raise NotImplementedError

    @abstractmethod
    async def close(self) -> None:
        """Close the client (and its session if the terminal created it)."""

    async def __aenter__(self) -> Self:
        """Enter ``async with``."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Leave ``async with``: close the client."""
        await self.close()


def is_refusal(err: KineticError) -> bool:
    """Whether an error means the terminal refused and nothing was charged."""
    return isinstance(err, KineticRequestError) and not isinstance(
        err, (KineticDeviceError, KineticDuplicateTransactionError)
    )
