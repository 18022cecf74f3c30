"""The progress of the pay requests a Payment Engine terminal is running right now.

The device's own status says little while a request runs ("online"); the request's status
says where the customer is ("waiting for card dip", "processing payment", "capturing
signature", ...). While a request is open the terminal reports that as its screen, and
itself as busy.

While a request of ours is polled, its answers say more than the device's own status, so
a status poll then answers from them and the last device status without a request of its
own: every request spends the API key's budget (45 a minute), which the sale needs.
"""

from __future__ import annotations

import dataclasses
import time

from ..models.common import TerminalStatus, Transaction


class PayRequestProgress:
    """The last status of each open pay request, by our reference."""

    def __init__(self) -> None:
        """Start with none open."""
        self._open: dict[str, str] = {}
        self._polled = 0.0

    def note(self, reference: str, txn: Transaction) -> None:
        """Remember a polled request's status; a final one closes it."""
        self._polled = time.monotonic()
        if txn.result.is_final:
            self._open.pop(reference, None)
        elif txn.status:
            self._open.pop(reference, None)  # the newest goes last
            self._open[reference] = txn.status

    def finish(self, reference: str) -> None:
        """Forget a request whose run ended (final, unknown or abandoned)."""
        self._open.pop(reference, None)

    @property
    def current(self) -> str | None:
        """The status of the request polled most recently, if one is open."""
        return next(reversed(self._open.values()), None)

    def status(self, last: TerminalStatus | None, within: float) -> TerminalStatus | None:
        """Return the device's status without asking it, if a request of ours says enough.

        That is while a request is open and was polled within ``within`` seconds: the
        last device status, busy, showing the request's progress. None: ask the device.
        """
        current = self.current
        if last is None or current is None or time.monotonic() - self._polled > within:
            return None
        return dataclasses.replace(last, busy=True, screen=current)
