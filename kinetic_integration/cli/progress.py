"""Live progress of a payment on stderr while the customer is at the terminal.

Fed by the terminal's own answers (``Terminal.on_progress``: the start's answer and every
poll the wait makes anyway), so showing progress costs the terminal no extra request.
On a terminal (TTY) one line is redrawn with the elapsed time; otherwise a plain line
is written whenever the state changes. stdout is never touched: it carries the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import IO

from .. import Operation, Terminal, Transaction
from ..money import format_amount

#: How often the TTY line's elapsed time is redrawn (no request is made for it).
_REDRAW_SECONDS = 0.25
_SPINNER = "|/-\\"


def _elapsed(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{seconds:.1f}s"


def _state(txn: Transaction) -> str:
    """Return what the terminal reports about the transaction, in a few words."""
    state = txn.status or txn.result.value
    if txn.message and txn.message.strip().lower() != state.strip().lower():
        return f"{state}: {txn.message}"
    return state


class Progress:
    """Show a running payment's state and elapsed time on ``stream``."""

    def __init__(self, stream: IO[str], operation: Operation, where: str) -> None:
        """Describe ``operation`` on the terminal at ``where``; nothing is written yet."""
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._state = "sending"
        self._frame = 0
        amount = f" {format_amount(operation.amount)}" if operation.amount is not None else ""
        self._what = f"{operation.type.value.capitalize()}{amount} {operation.reference} on {where}"

    def update(self, operation: Operation, txn: Transaction) -> None:
        """Take a new answer from the terminal (``Terminal.on_progress``)."""
        del operation
        state = _state(txn)
        if state != self._state:
            self._state = state
            self._show(changed=True)

    def _line(self) -> str:
        return f"{_elapsed(time.monotonic() - self._started)}  {self._state}"

    def _show(self, *, changed: bool) -> None:
        if self._tty:
            self._frame = (self._frame + 1) % len(_SPINNER)
            self._stream.write(f"\r\x1b[Kkinetic: {_SPINNER[self._frame]} {self._line()}")
        elif changed:
            self._stream.write(f"kinetic: {self._line()}\n")
        self._stream.flush()

    async def _redraw(self) -> None:
        while True:
            await asyncio.sleep(_REDRAW_SECONDS)
            self._show(changed=False)

    @contextlib.contextmanager
    def shown(self, terminal: Terminal) -> Iterator[None]:
        """Show progress while the block runs; the TTY line is cleared at the end."""
        self._stream.write(
            f"kinetic: {self._what}: waiting for the terminal "
            "(Ctrl-C stops waiting; the outcome is then unknown)\n"
        )
        self._show(changed=True)
        terminal.on_progress = self.update
        ticker = asyncio.get_running_loop().create_task(self._redraw()) if self._tty else None
        try:
            yield
        finally:
            terminal.on_progress = None
            if ticker is not None:
                ticker.cancel()
                self._stream.write("\r\x1b[K")
                self._stream.flush()
