"""A request budget: at most ``limit`` requests in any ``window`` seconds, spent by priority.

The USAePay Payment Engine allows "45 requests/minute" per API key (HTTP 429 beyond), and
every device and every caller on that key in this process shares that one allowance.
:func:`shared_budget` hands every client on the same key (and server) the same
:class:`RequestBudget`; it is keyed by a digest of the key, never the key itself.

Counting is conservative so that the server never sees more than ``limit`` in a window:
a request occupies a slot from the moment it is allowed to leave until ``window``
seconds after its answer arrived (the server counted it somewhere in between).

Priorities decide who gets the last slots of a window: a money request and the poll of a
request whose result is near (:attr:`Priority.URGENT`) may use all of them, the poll of
a request waiting for the customer (:attr:`Priority.SALE`) leaves ``urgent_reserve``
free, and a status poll (:attr:`Priority.BACKGROUND`) leaves ``sale_reserve`` free: by
default status polls fill a third of a window at most (15 of the Payment Engine's 45),
so that they never crowd out the sales they would only describe.
Waiting requests are served highest priority first, then in arrival order.

Waiting never decides an outcome: a request that finds no slot within ``max_wait``
raises :class:`~kinetic_integration.errors.KineticRateLimitError` before anything was
sent, so the caller's own rules (retry while time remains, UNKNOWN at the deadline) apply.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import itertools
import time
from collections.abc import Callable
from enum import IntEnum

from ..errors import KineticRateLimitError

#: The Payment Engine's documented limit: "45 requests/minute" (API_NOTES, default key).
PAYMENT_ENGINE_LIMIT = 45
PAYMENT_ENGINE_WINDOW = 60.0


class Priority(IntEnum):
    """Who may use the last slots of a window (higher first)."""

    BACKGROUND = 0  # status polls: a stale status harms nobody
    SALE = 1  # a running sale waiting for the customer
    URGENT = 2  # a money request, or a sale whose result is near


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds, by priority (see the module)."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        urgent_reserve: int | None = None,
        sale_reserve: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Allow ``limit`` per ``window`` s; the reserves default to 1/9 and 2/3 of it."""
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        urgent = limit // 9 if urgent_reserve is None else urgent_reserve
        sale = limit * 2 // 3 if sale_reserve is None else sale_reserve
        if not 0 <= urgent <= sale < limit:
            raise ValueError("reserves must satisfy 0 <= urgent <= sale < limit")
        # The slots each priority may fill, counting everything in the window.
        self._ceiling = {
            Priority.URGENT: limit,
            Priority.SALE: limit - urgent,
            Priority.BACKGROUND: limit - sale,
        }
        self._clock = clock
        self._done: collections.deque[float] = collections.deque()  # answer times
        self._in_flight = 0
        self._blocked_until = 0.0
        self._order = itertools.count()
        self._waiters: dict[int, tuple[Priority, asyncio.Future[None]]] = {}
        self.sent = 0
        self.waited = 0.0

    def __repr__(self) -> str:
        """Show the limit and the use, nothing that names the key."""
        return f"RequestBudget({self.used()}/{self.limit} per {self.window:g}s)"

    # --- state ----------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        while self._done and now - self._done[0] >= self.window:
            self._done.popleft()

    def used(self) -> int:
        """Slots taken now: requests in flight plus answers within the window."""
        self._expire(self._clock())
        return self._in_flight + len(self._done)

    def idle(self) -> bool:
        """Whether nothing is in flight, waiting or counted (a fresh budget is the same)."""
        return not self._in_flight and not self._waiters and self.used() == 0

    def _first_in_line(self, ticket: int, priority: Priority) -> bool:
        """No waiter of a higher priority, nor an earlier one of the same, is ahead."""
        return all(
            other < priority or (other == priority and number >= ticket)
            for number, (other, _) in self._waiters.items()
        )

    def _free_in(self, priority: Priority, now: float) -> float:
        """Seconds until ``priority`` may send (0: now; inf: when something is answered)."""
        if now < self._blocked_until:
            return self._blocked_until - now
        self._expire(now)
        excess = self._in_flight + len(self._done) - self._ceiling[priority] + 1
        if excess <= 0:
            return 0.0
        if excess > len(self._done):
            return float("inf")  # waits for requests in flight to be answered
        return self._done[excess - 1] + self.window - now

    # --- use ------------------------------------------------------------------------

    def slot(self, priority: Priority, *, max_wait: float) -> _Slot:
        """Hold one slot around one request (``async with``).

        Raises KineticRateLimitError when none is free within ``max_wait`` seconds.
        Cancellation while waiting takes no slot; once granted, the slot counts until
        ``window`` seconds after the block ends, whatever happened in it.
        """
        return _Slot(self, priority, max_wait)

    def _release(self) -> None:
        self._in_flight -= 1
        self._done.append(self._clock())
        if self._waiters:
            self._wake()

    async def _acquire(self, priority: Priority, max_wait: float) -> None:
        started = self._clock()
        if not self._waiters and self._free_in(priority, started) <= 0:
            # Nobody waits and there is room: the common case, kept cheap (every poll).
            self._in_flight += 1
            self.sent += 1
            return
        ticket = next(self._order)
        future: asyncio.Future[None] | None = None
        try:
            while True:
                now = self._clock()
                wait = self._free_in(priority, now)
                if wait <= 0 and self._first_in_line(ticket, priority):
                    self._in_flight += 1
                    self.sent += 1
                    self.waited += now - started
                    return
                left = started + max_wait - now
                if left <= 0 or (wait > left and wait != float("inf")):
                    raise KineticRateLimitError(
                        f"The request budget ({self.limit} per {self.window:g} s) is used "
                        "up for now (nothing was sent)",
                        retry_after=min(wait, self.window),
                    )
                future = asyncio.get_running_loop().create_future()
                self._waiters[ticket] = (priority, future)
                # Woken when a slot is given back or a waiter leaves; else when one expires.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left if wait <= 0 else min(wait, left)):
                        await future
        finally:
            self._waiters.pop(ticket, None)
            # A slot this waiter passed over may suit the next one in line.
            self._wake()

    def _wake(self) -> None:
        for _, future in self._waiters.values():
            if not future.done() and not future.get_loop().is_closed():
                future.set_result(None)

    def rate_limited(self, retry_after: float | None) -> None:
        """Send nothing before ``Retry-After`` (or a window): the server answered 429."""
        pause = retry_after if retry_after is not None else self.window
        self._blocked_until = max(self._blocked_until, self._clock() + pause)


class _Slot:
    """``async with budget.slot(...)``: one request's slot (a class: polls use it a lot)."""

    __slots__ = ("_budget", "_max_wait", "_priority")

    def __init__(self, budget: RequestBudget, priority: Priority, max_wait: float) -> None:
        self._budget = budget
        self._priority = priority
        self._max_wait = max_wait

    async def __aenter__(self) -> None:
        await self._budget._acquire(self._priority, self._max_wait)

    async def __aexit__(self, *_exc_info: object) -> None:
        self._budget._release()


#: One budget per (server, key digest), dropped once idle (it is then as good as new).
_BUDGETS: dict[str, RequestBudget] = {}


def key_fingerprint(server: str, api_key: str) -> str:
    """Return a short digest naming an API key on a server (the key cannot be read back)."""
    return hashlib.sha256(f"{server}\n{api_key}".encode()).hexdigest()[:16]


def shared_budget(
    server: str,
    api_key: str,
    *,
    limit: int = PAYMENT_ENGINE_LIMIT,
    window: float = PAYMENT_ENGINE_WINDOW,
) -> RequestBudget:
    """Return the budget every client of ``api_key`` on ``server`` in this process shares."""
    for name in [name for name, budget in _BUDGETS.items() if budget.idle()]:
        del _BUDGETS[name]
    name = key_fingerprint(server, api_key)
    budget = _BUDGETS.get(name)
    if budget is None:
        budget = _BUDGETS[name] = RequestBudget(limit, window)
    return budget
