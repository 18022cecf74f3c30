"""The Terminal facade: its public API, capabilities and input checks.

Every money-moving call goes through :meth:`Terminal.execute`, which holds the one rule
this library exists for: once a request may have reached the terminal, the outcome is
recovered by the terminal's own id, and never by sending a second request. When the
outcome cannot be confirmed before the deadline the result is ``UNKNOWN`` (never
``DECLINED``), with the reference so a caller can resume later. The machinery behind
it is :class:`~.runner.Runner` (send or resume) and :class:`~.recovery.Recovery` (wait
and recover by the terminal's id).

The adapters (one per kind) only say how to start, fetch and describe a transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import weakref
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Self

from ..errors import KineticInputError, UnsupportedOperationError
from ..models.common import (
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionType,
)
from ..models.kinetic_go_settings import GoSettings
from ..money import parse_amount
from ..receipts import receipt_lines
from .config import _CAPABILITY_FOR_TYPE, Capability, TerminalConfig
from .history import TransactionFilter
from .kinds import kind_facts
from .operation import Operation, PreviousAttempt, TransactionListener, validate_reference
from .printing import PrintLine
from .runner import Runner

#: Transactions that move an amount the caller names.
_AMOUNT_TYPES = frozenset(
    {TransactionType.SALE, TransactionType.REFUND, TransactionType.AUTHORIZATION}
)


class Terminal(Runner):
    """One payment terminal, whichever API is behind it.

    Every method checks its capability and its input before anything is sent
    (:class:`~kinetic_integration.errors.UnsupportedOperationError`,
    :class:`~kinetic_integration.errors.InvalidAmountError`).
    """

    kind: ClassVar[TerminalKind]
    capabilities: ClassVar[frozenset[Capability]]
    #: Shortest sensible time between two status polls (a cloud API's rate limit).
    min_status_interval: ClassVar[float] = 0.0

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

    def supports(self, capability: Capability) -> bool:
        """Whether this terminal can do ``capability``.

        Its kind's capabilities, narrowed by what the terminal itself reported where
        that varies per terminal (a DeviceService's ``SupportOfflineTransaction``, known
        once :meth:`status` has been read).
        """
        return capability in self.capabilities

    def require(self, capability: Capability, what: str | None = None) -> None:
        """Raise UnsupportedOperationError unless this terminal can do ``capability``."""
        if not self.supports(capability):
            raise UnsupportedOperationError(
                f"The {kind_facts(self.kind).name} cannot "
                f"{what or capability.value.replace('_', ' ')}",
                capability=capability.value,
            )

    # --- input checks ----------------------------------------------------------------

    def validate_reference(self, reference: str) -> str:
        """Return ``reference`` if this kind accepts it as a transaction id, or raise."""
        return validate_reference(reference)

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
        offline: bool = False,
    ) -> Operation:
        """Check capability and input, and return the operation to send; sends nothing."""
        self.require(_CAPABILITY_FOR_TYPE[type_], f"do a {type_.value}")
        if offline:
            self.require(Capability.OFFLINE_TRANSACTIONS, "take an offline sale")
        parsed_amount: Decimal | None = None
        if type_ in _AMOUNT_TYPES:
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
        operation = Operation(
            type=type_,
            reference=reference,
            caller_reference=caller_reference,
            amount=parsed_amount,
            tip=parsed_tip,
            cashback=parsed_cashback,
            original_id=original_id,
            extra=dict(extra or {}),
            offline=offline,
        )
        self._check_operation(operation)
        return operation

    def _validate_extra(self, extra: Mapping[str, Any]) -> None:
        """Check pass-through fields (only kinds with PASSTHROUGH get here)."""

    def _check_operation(self, operation: Operation) -> None:
        """Check the whole operation as the kind will send it (raise KineticInputError)."""

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
        offline: bool = False,
        **passthrough: Any,
    ) -> Transaction:
        """Take a payment and wait for its final result (or UNKNOWN at the deadline).

        ``offline`` asks for an offline sale (terminals that support offline
        transactions only; see :meth:`supports`).
        """
        operation = self.prepare(
            TransactionType.SALE,
            amount=amount,
            reference=reference,
            tip=tip,
            cashback=cashback,
            extra=passthrough,
            offline=offline,
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
        await self._ask_before_sending(operation)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_budget(timeout)
        async with self._reference_lock(operation.reference):
            return await self._execute(operation, timeout, deadline, previous, listener)

    async def _ask_before_sending(self, operation: Operation) -> None:
        """Check what only the terminal can tell, before anything is sent (raise to refuse)."""

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

    async def transactions(self, where: TransactionFilter | None = None) -> list[Transaction]:
        """Return the terminal's own transaction list (newest first), started there too."""
        self.require(Capability.TRANSACTION_HISTORY, "list its transactions")
        raise NotImplementedError

    async def settings(self) -> GoSettings:
        """Return the terminal's own configuration (ids, host module, receipt texts)."""
        self.require(Capability.SETTINGS, "report its settings")
        raise NotImplementedError

    async def receipt(self, reference: str, copy: ReceiptCopy = ReceiptCopy.MERCHANT) -> list[str]:
        """Return the receipt of a transaction as text lines."""
        self.require(Capability.RECEIPTS, "produce receipts")
        raise NotImplementedError

    async def receipt_instructions(
        self, reference: str, copy: ReceiptCopy = ReceiptCopy.MERCHANT
    ) -> list[dict[str, Any]]:
        """Return a receipt as the terminal's printer instructions, exactly as served."""
        self.require(Capability.RECEIPTS, "produce receipts")
        raise NotImplementedError

    async def print_receipt(
        self, reference: str, copy: ReceiptCopy = ReceiptCopy.MERCHANT
    ) -> list[str]:
        """Print a receipt as the terminal rendered it (never reflowed); return its lines.

        Kinetic Go 2 receipts are certified documents the seed says to send "directly to
        the printer without having to manipulate the result".
        """
        self.require(Capability.RECEIPTS, "produce receipts")
        self.require(Capability.PRINT, "print")
        instructions = await self.receipt_instructions(reference, copy)
        await self.print_instructions(instructions)
        return receipt_lines(instructions)

    async def print_instructions(self, instructions: Sequence[Mapping[str, Any]]) -> None:
        """Send printer instructions to the terminal's printer unchanged."""
        self.require(Capability.PRINT, "print")
        raise NotImplementedError

    async def print_text(self, lines: Sequence[str | PrintLine]) -> None:
        """Print text lines (plain, or :class:`PrintLine` with the seed's attributes)."""
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
