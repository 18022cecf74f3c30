"""The device core shared by every simulated terminal: one transaction at a time.

A transaction walks the screens a customer sees (present card, PIN, processing,
result, remove card, idle). The customer is either automatic (scripted by the cents
of the amount, see :mod:`.outcomes`) or driven by hand through :meth:`Device.customer`.
The transaction database outlives :meth:`Device.reboot`; everything else does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from .card import CardRead
from .outcomes import Outcome, outcome_for
from .transaction import (
    CARD_ACTIONS,
    CUSTOMER_ACTIONS,
    DeviceBusyError,
    NoCustomerPromptError,
    Screen,
    SimTransaction,
    Step,
)

# The transaction's words are part of the device's face (``from .device import Step``).
__all__ = [
    "CARD_ACTIONS",
    "CUSTOMER_ACTIONS",
    "Device",
    "DeviceBusyError",
    "NoCustomerPromptError",
    "Screen",
    "SimTransaction",
    "Step",
]

_LOGGER = logging.getLogger(__name__)

_STEP_SCREEN = {
    Step.STARTING: Screen.PROCESSING,
    Step.WAITING_FOR_CARD: Screen.PRESENT_CARD,
    Step.WAITING_FOR_PIN: Screen.ENTER_PIN,
    Step.PROCESSING: Screen.PROCESSING,
    Step.SIGNATURE: Screen.SIGNATURE,
}
_RESULT_SCREEN = {
    "approved": Screen.APPROVED,
    "declined": Screen.DECLINED,
    "cancelled": Screen.CANCELLED,
    "timeout": Screen.CANCELLED,
    "error": Screen.ERROR,
}


#: The steps each customer action answers (card actions: the card wait).
_CARD_STEP = (Step.WAITING_FOR_CARD,)
_WANTED = {
    "pin": (Step.WAITING_FOR_PIN,),
    "cancel": (Step.WAITING_FOR_CARD, Step.WAITING_FOR_PIN),
}
#: The actions :meth:`Device.accepted_actions` reports, in the order a page shows them.
_PAGE_ACTIONS = ("tap", "insert", "swipe", "pin", "cancel")


class Device:
    """A payment device: state machine, automatic customer, database, offline queue."""

    def __init__(
        self,
        *,
        name: str,
        serial: str,
        customer_delay: float,
        processing_delay: float,
        on_final: Callable[[Device, SimTransaction], None],
    ) -> None:
        """Create an idle device; ``on_final`` is called once per finished transaction."""
        self.name = name
        self.serial = serial
        self.customer_delay = customer_delay
        self.processing_delay = processing_delay
        self.offline = False
        #: The merchant approves a sale the host could not (Kinetic Go deferred auth).
        self.deferred_auth = False
        self.db: dict[str, SimTransaction] = {}
        self.offline_queue: list[SimTransaction] = []
        self.current: SimTransaction | None = None
        self.last: SimTransaction | None = None
        self.session_number = 1
        self._stan = 0
        self._on_final = on_final
        self._tasks: set[asyncio.Task[None]] = set()

    # --- state ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a transaction is in progress."""
        return self.current is not None and self.current.active

    @property
    def screen(self) -> Screen:
        """The screen the customer sees right now."""
        return self.screen_held(self.processing_delay)

    def screen_held(self, hold: float) -> Screen:
        """Return the screen as if a result stayed up ``hold`` s (and "Remove card" as long).

        :attr:`screen` holds it for ``processing_delay``; the virtual terminal page holds it
        longer so that a person can read it.
        """
        if self.current is not None and self.current.active:
            return _STEP_SCREEN[self.current.step]
        last = self.last
        if last is None or last.ended_mono is None or last.result is None:
            return Screen.IDLE
        since = time.monotonic() - last.ended_mono
        if since < hold:
            return _RESULT_SCREEN[last.result]
        if last.card is not None and last.card.entry == "insert" and since < 2 * hold:
            return Screen.REMOVE_CARD
        return Screen.IDLE

    def next_stan(self) -> int:
        """Return a monotonically increasing system trace audit number."""
        self._stan += 1
        return self._stan

    # --- running transactions ------------------------------------------------

    def start(self, txn: SimTransaction) -> None:
        """Store ``txn`` and start running it, or raise :class:`DeviceBusyError`."""
        if self.busy:
            raise DeviceBusyError
        txn.stan = txn.stan or self.next_stan()
        txn.session_number = self.session_number
        if txn.needs_card:
            txn.outcome = outcome_for(txn.total)
        self.db[txn.id] = txn
        self.current = txn
        _LOGGER.debug("%s: %s %s started", self.serial, txn.type, txn.id)
        self._spawn(self._run(txn))

    def cancel(self, *, by: str = "api") -> bool:
        """Cancel the transaction waiting for the customer; False if none can be."""
        txn = self.current
        if txn is None:
            return False
        # Just delivered, not yet prompting for the card: nothing is processing yet, and
        # the cancel waits for the prompt (a cancel racing the first screen must not fail).
        starting = txn.step is Step.STARTING and txn.needs_card
        if not starting and txn.step not in (Step.WAITING_FOR_CARD, Step.WAITING_FOR_PIN):
            return False
        txn.actions.put_nowait(f"cancel:{by}")
        return True

    def accepted_actions(self) -> list[str]:
        """Return the customer actions the device waits for now (``present`` is ``tap``)."""
        txn = self.current
        if txn is None:
            return []
        return [action for action in _PAGE_ACTIONS if txn.step in _WANTED.get(action, _CARD_STEP)]

    async def customer(self, action: str, *, wait: float = 5.0) -> None:
        """Act as the customer; waits up to ``wait`` s for the matching prompt."""
        if action not in CUSTOMER_ACTIONS:
            raise ValueError(f"unknown customer action {action!r}")
        wanted = _WANTED.get(action, _CARD_STEP)
        deadline = time.monotonic() + wait
        while True:
            txn = self.current
            if txn is not None and txn.step in wanted:
                txn.actions.put_nowait(action)
                # Let the transaction consume it so callers see the next step.
                await asyncio.sleep(0)
                return
            if time.monotonic() >= deadline:
                raise NoCustomerPromptError(f"nothing is waiting for {action!r}")
            await asyncio.sleep(0.01)

    async def reboot(self) -> None:
        """Abort whatever runs and forget in-memory state; the database survives."""
        await self._cancel_tasks()
        txn = self.current
        if txn is not None and txn.active:
            txn.cancelled_by = "reboot"
            self._finish(txn, "error", "Device restarted during the transaction")
        self.current = None
        self.last = None

    async def close(self) -> None:
        """Stop every background task (server shutdown)."""
        await self._cancel_tasks()

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, txn: SimTransaction) -> None:
        deadline = time.monotonic() + txn.card_timeout
        if txn.needs_card:
            txn.move(Step.WAITING_FOR_CARD)
            if self.customer_delay > 0:
                self._spawn(self._automatic_customer(txn))
            action = await self._await_customer(txn, deadline, set(CARD_ACTIONS))
            if not self._handle_stop(txn, action):
                return
            txn.card = CardRead(entry=CARD_ACTIONS[action or "tap"])
            if txn.outcome is Outcome.PIN_THEN_APPROVED:
                txn.move(Step.WAITING_FOR_PIN)
                action = await self._await_customer(txn, deadline, {"pin"})
                if not self._handle_stop(txn, action):
                    return
                txn.pin_entered = True
        txn.move(Step.PROCESSING)
        await asyncio.sleep(self.processing_delay)
        self._decide(txn)

    def _decide(self, txn: SimTransaction) -> None:
        """Take the host's (or, offline, the card's) decision."""
        outcome = txn.outcome if txn.needs_card else Outcome.APPROVED
        if txn.offline_requested:
            # Approved by the card and stored to be sent to the host later.
            txn.is_offline = True
            if outcome is Outcome.DECLINED:
                self._finish(txn, "declined", "Declined offline")
                return
            txn.auth_code = "Y1"
            self.offline_queue.append(txn)
            self._finish(txn, "approved", "Approved offline")
            return
        host_failed = self.offline or outcome is Outcome.HOST_ERROR
        if host_failed and self.deferred_auth and txn.type == "sale":
            # One attempt at the host failed; the merchant takes the risk and approves.
            txn.deferred_auth_attempts = 1
            txn.last_deferred_auth_at = time.time()
            self._finish(txn, "approved", "Approved (deferred authorisation)")
            return
        if self.offline:
            self._finish(txn, "error", "Host unreachable")
            return
        if outcome is Outcome.DECLINED:
            self._finish(txn, "declined", "Declined")
        elif outcome is Outcome.HOST_ERROR:
            self._finish(txn, "error", "Host error: no response from the acquirer")
        else:
            txn.auth_code = f"{(txn.stan * 7919) % 1000000:06d}"
            if outcome is Outcome.SIGNATURE:
                txn.signature_required = True
                txn.move(Step.SIGNATURE)
                # Signature capture completes on its own: the merchant checks it on paper.
                self._spawn(self._capture_signature(txn))
                return
            self._finish(txn, "approved", "Approved")

    async def _capture_signature(self, txn: SimTransaction) -> None:
        await asyncio.sleep(self.processing_delay)
        if txn.active:
            self._finish(txn, "approved", "Approved")

    def _handle_stop(self, txn: SimTransaction, action: str | None) -> bool:
        """Finish ``txn`` if the customer wait ended without a usable action."""
        if action is None:
            self._finish(txn, "timeout", "Card wait timed out")
            return False
        if action.startswith("cancel"):
            by = action.partition(":")[2] or "customer"
            txn.cancelled_by = by
            self._finish(txn, "cancelled", "Transaction Void")
            return False
        return True

    async def _await_customer(
        self, txn: SimTransaction, deadline: float, accept: set[str]
    ) -> str | None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                action = await asyncio.wait_for(txn.actions.get(), remaining)
            except TimeoutError:
                return None
            if action.startswith("cancel") or action in accept:
                return action

    async def _automatic_customer(self, txn: SimTransaction) -> None:
        await asyncio.sleep(self.customer_delay)
        if not txn.active or txn.step is not Step.WAITING_FOR_CARD:
            return
        if txn.outcome is Outcome.NO_CARD:
            return
        if txn.outcome is Outcome.CUSTOMER_CANCELS:
            txn.actions.put_nowait("cancel")
            return
        entry = {Outcome.PIN_THEN_APPROVED: "insert", Outcome.SIGNATURE: "swipe"}
        txn.actions.put_nowait(entry.get(txn.outcome, "tap"))
        if txn.outcome is Outcome.PIN_THEN_APPROVED:
            await self._enter_pin_when_asked(txn)

    async def _enter_pin_when_asked(self, txn: SimTransaction) -> None:
        deadline = time.monotonic() + txn.card_timeout
        while txn.active and time.monotonic() < deadline:
            if txn.step is Step.WAITING_FOR_PIN:
                await asyncio.sleep(self.customer_delay)
                if txn.is_at(Step.WAITING_FOR_PIN):
                    txn.actions.put_nowait("pin")
                return
            await asyncio.sleep(0.005)

    def _finish(self, txn: SimTransaction, result: str, message: str) -> None:
        txn.result = result
        txn.message = message
        txn.ended_at = time.time()
        txn.ended_mono = time.monotonic()
        txn.move(Step.DONE)
        if result == "approved" and txn.type == "reversal" and txn.reference_txn_id:
            original = self.db.get(txn.reference_txn_id)
            if original is not None:
                original.is_reversed = True
        if result == "approved" and txn.type == "reconciliation":
            self.session_number += 1
        self.last = txn
        txn.done.set()
        _LOGGER.debug("%s: %s %s finished: %s", self.serial, txn.type, txn.id, result)
        self._on_final(self, txn)
