"""The progress of the pay requests a Payment Engine terminal is running right now.

The device's own status says little while a request runs ("online"); the request's status
says where the customer is ("waiting for card dip", "processing payment", "capturing
signature", ...). While a request is open the terminal reports that as its screen, and
itself as busy.
"""

from __future__ import annotations

from ..models.common import Transaction


class PayRequestProgress:
    """The last status of each open pay request, by our reference."""

    def __init__(self) -> None:
        """Start with none open."""
        self._open: dict[str, str] = {}

    def note(self, reference: str, txn: Transaction) -> None:
        """Remember a polled request's status; a final one closes it."""
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
