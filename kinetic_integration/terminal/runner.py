"""Sending the one money-moving request, or resuming a reference sent before.

The rule this library exists for lives here: once a request may have reached the
terminal, the outcome is recovered by the terminal's own id (:class:`~.recovery.Recovery`)
and never by sending a second request. :class:`Runner` is a part of
:class:`~.base.Terminal`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from abc import abstractmethod

import aiohttp

from ..errors import (
    KineticConnectionError,
    KineticDeviceError,
    KineticDuplicateTransactionError,
    KineticError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticNotStartedError,
    KineticReferenceMismatchError,
    KineticRequestError,
)
from ..models.common import Transaction
from .operation import Operation, PreviousAttempt, TransactionListener
from .recovery import Recovery, _Verify

_LOGGER = logging.getLogger(__name__)


def _as_transaction(value: object) -> Transaction | None:
    """Return the shared shape of a parsed transaction carried by an error, if any."""
    convert = getattr(value, "to_transaction", None)
    if callable(convert):
        result = convert()
        if isinstance(result, Transaction):
            return result
    return None


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


class Runner(Recovery):
    """Start an operation once (or resume it) and hand it to the recovery."""

    # Ids learnt in this process, and references already sent once (see Terminal).
    _terminal_ids: dict[str, str]
    _attempted: set[str]
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock]

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

    # --- what each kind implements -------------------------------------------------

    @abstractmethod
    async def _start(self, operation: Operation, budget: float, deadline: float) -> Transaction:
        """Send the one money-moving request; return what the terminal answered."""


def is_refusal(err: KineticError) -> bool:
    """Whether an error means the terminal refused and nothing was charged."""
    return isinstance(err, KineticRequestError) and not isinstance(
        err, (KineticDeviceError, KineticDuplicateTransactionError)
    )
