"""Waiting for a transaction by the terminal's own id, and the outcome when that fails.

Once a request may have reached the terminal, its outcome is only ever recovered here:
polled by the terminal's id, every error tolerated until the deadline, then ``UNKNOWN``
(never ``DECLINED``). :class:`Recovery` is a part of :class:`~.base.Terminal`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import Enum
from typing import ClassVar

from ..errors import (
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticError,
    KineticInputError,
    KineticNotFoundError,
    KineticNotStartedError,
    KineticRateLimitError,
    KineticTimeoutError,
)
from ..models.common import TerminalKind, Transaction, TransactionResult
from .config import TerminalConfig
from .operation import Operation

_LOGGER = logging.getLogger(__name__)

#: Told each state of a running transaction the terminal reports (see ``on_progress``).
ProgressCallback = Callable[[Operation, Transaction], None]


class _Verify(Enum):
    """What to do when the transaction found under our id is not the one we asked for."""

    NONE = "none"  # nothing to check (we started it ourselves)
    RAISE = "raise"  # "already exists" answered our start: someone else's, nothing charged
    REPORT = "report"  # resuming an earlier attempt: report UNKNOWN, never raise


#: A start answered with an error is taken as "nothing charged" only after the terminal
#: said "not found" this many times in a row, spread over at least this many seconds.
_NOT_FOUND_CONFIRMATIONS = 3
_NOT_FOUND_SPREAD = 1.0


class Recovery(ABC):
    """Poll a transaction to its final result, or report it UNKNOWN; never send one."""

    kind: ClassVar[TerminalKind]
    #: Seconds between two checks of a running transaction, unless configured.
    default_poll_interval: ClassVar[float] = 0.5
    #: Statuses (lower case) after the card was read: the result is near, so a running
    #: transaction showing one is checked every ``near_poll_interval`` s instead.
    near_statuses: ClassVar[frozenset[str]] = frozenset()
    near_poll_interval: ClassVar[float] = 0.5
    #: True when the reference we choose is the terminal's own id for the transaction.
    reference_is_terminal_id: ClassVar[bool] = True
    #: True when a looked-up transaction reports exactly the amount that was asked for.
    echoes_amount: ClassVar[bool] = False

    config: TerminalConfig
    #: Called with every answer about a running transaction (the start's, then each
    #: poll's), so a caller can show progress without asking the terminal anything more.
    on_progress: ProgressCallback | None = None

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
        reported: Transaction | None = None
        while True:
            if current is not None and current is not reported:
                self._report_progress(operation, current)
                reported = current
            if current is not None and verify is not _Verify.NONE:
                mismatch = self._mismatch(operation, current)
                if mismatch is not None:
                    if verify is _Verify.RAISE:
                        raise KineticInputError(mismatch)
                    return self._unknown(operation, terminal_id, None, mismatch)
                verify = _Verify.NONE
            if current is not None and self._settled(current):
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

    def _settled(self, txn: Transaction) -> bool:
        """Whether ``txn`` is the terminal's last word, so polling stops.

        A final result is; a kind whose terminal also states an unknown outcome as
        complete says so here (that stays UNKNOWN, never DECLINED, and is reported at
        once rather than polled until the deadline).
        """
        return txn.result.is_final

    def _report_progress(self, operation: Operation, txn: Transaction) -> None:
        """Tell ``on_progress`` about ``txn``; a failing callback never ends a recovery."""
        if self.on_progress is None:
            return
        try:
            self.on_progress(operation, txn)
        except Exception as err:  # a display must never stop the wait
            _LOGGER.debug("Progress callback failed (%s)", type(err).__name__)

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
        return self.unknown_result(operation, message, terminal_id)

    def unknown_result(
        self, operation: Operation, message: str, terminal_id: str | None = None
    ) -> Transaction:
        """Return ``operation`` as a transaction whose outcome is unknown (never declined).

        For a caller that stopped waiting (e.g. Ctrl-C) and must still report it.
        """
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

    @abstractmethod
    async def _fetch(self, operation: Operation, terminal_id: str, remaining: float) -> Transaction:
        """Ask the terminal about a transaction by its own id (NotFound if unknown)."""
