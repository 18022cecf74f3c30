"""A simulated transaction and the words around it: steps, screens, customer actions.

:class:`SimTransaction` is one row of a device's database (mutable while it runs); the
device that runs it is :class:`.device.Device`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .card import CardRead, new_cryptogram
from .outcomes import Outcome

#: Customer actions that present a card, and the entry mode each one means.
CARD_ACTIONS = {"present": "tap", "tap": "tap", "insert": "insert", "swipe": "swipe"}
CUSTOMER_ACTIONS = frozenset({*CARD_ACTIONS, "pin", "cancel"})


class Step(StrEnum):
    """Where a transaction is in its life."""

    STARTING = "starting"
    WAITING_FOR_CARD = "waiting_for_card"
    WAITING_FOR_PIN = "waiting_for_pin"
    PROCESSING = "processing"
    SIGNATURE = "signature"
    DONE = "done"


class Screen(StrEnum):
    """What the customer sees; the value is the text the terminal shows."""

    IDLE = "Idle"
    PRESENT_CARD = "Present card"
    ENTER_PIN = "Enter PIN"
    PROCESSING = "Processing transaction..."
    SIGNATURE = "Signature required"
    APPROVED = "Approved"
    DECLINED = "Declined"
    CANCELLED = "Cancelled"
    ERROR = "Error"
    REMOVE_CARD = "Remove card"


class DeviceBusyError(Exception):
    """The device is already running a transaction."""


class NoCustomerPromptError(Exception):
    """A customer action was asked for but nothing on the device is waiting for one."""


@dataclass(eq=False, kw_only=True)
class SimTransaction:
    """One transaction in the device's database (mutable while it runs)."""

    id: str
    type: str
    amount: Decimal
    tip: Decimal = Decimal("0.00")
    cashback: Decimal = Decimal("0.00")
    needs_card: bool = True
    card_timeout: float = 150.0
    offline_requested: bool = False
    reference_txn_id: str | None = None
    outcome: Outcome = Outcome.APPROVED
    stan: int = 0
    session_number: int = 1
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    step: Step = Step.STARTING
    result: str | None = None  # approved | declined | cancelled | error | timeout
    cancelled_by: str | None = None  # customer | api | reboot
    message: str = ""
    card: CardRead | None = None
    pin_entered: bool = False
    signature_required: bool = False
    auth_code: str | None = None
    is_offline: bool = False
    response_code: str | None = None
    is_reversed: bool = False
    #: Deferred authorisation: approved by the merchant while the host failed.
    deferred_auth_attempts: int | None = None
    last_deferred_auth_at: float | None = None
    cryptogram: str = field(default_factory=new_cryptogram)
    changed_at: float = field(default_factory=time.monotonic)
    ended_mono: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    actions: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def total(self) -> Decimal:
        """Amount plus tip plus cashback, in major units."""
        return self.amount + self.tip + self.cashback

    @property
    def active(self) -> bool:
        """True until a final result is reached."""
        return self.step is not Step.DONE

    def is_at(self, step: Step) -> bool:
        """Whether the transaction is at ``step`` now (a call, so it is re-read after awaits)."""
        return self.step is step

    def move(self, step: Step) -> None:
        """Change step and remember when (GET ?uuid= waits for the status to settle)."""
        self.step = step
        self.changed_at = time.monotonic()
