"""The Payment Engine's rate limit, enforced per API key as the real one is.

API_NOTES: "Rate limit on the default key: 45 requests/minute, 5,000/day; HTTP 429
beyond." The seed gives no body for the 429, so it takes the engine's documented error
shape, ``{"error": <message>, "errorcode": 0}``, with a ``Retry-After`` in whole seconds
until the oldest counted request leaves the window. The window slides (the strictest
reading of "per minute"); a request is counted when it arrives, whether or not its
credentials are right, under the API key it names (the Basic login; none is a key too).
Rejected requests are not counted. The simulator's own ``/_sim/`` routes are exempt.
"""

from __future__ import annotations

import collections
import math
import time
from dataclasses import dataclass, field

from aiohttp import web

from ._auth import decode_basic
from .base import Handler
from .payment_engine_documents import error

#: The documented limit of the default key.
DEFAULT_LIMIT = 45
DEFAULT_WINDOW = 60.0


@dataclass
class KeyRateLimit:
    """At most ``limit`` requests per API key in any ``window`` seconds (0 disables)."""

    limit: int = DEFAULT_LIMIT
    window: float = DEFAULT_WINDOW
    #: Arrival times (``time.monotonic()``) of the counted requests, per API key.
    _hits: dict[str, collections.deque[float]] = field(default_factory=dict, repr=False)
    #: Requests answered 429, and the most counted in one window, per API key.
    rejected: collections.Counter[str] = field(default_factory=collections.Counter, repr=False)
    most_in_window: collections.Counter[str] = field(
        default_factory=collections.Counter, repr=False
    )

    def retry_after(self, api_key: str, now: float) -> int | None:
        """Count a request of ``api_key`` arriving at ``now``; seconds to wait if refused."""
        hits = self._hits.setdefault(api_key, collections.deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            self.rejected[api_key] += 1
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        self.most_in_window[api_key] = max(self.most_in_window[api_key], len(hits))
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer 429 to a request beyond its key's limit; pass the others on."""
        if self.limit <= 0 or request.path.startswith("/_sim/"):
            return await handler(request)
        credentials = decode_basic(request.headers.get("Authorization", ""))
        api_key = credentials[0] if credentials is not None else ""
        retry = self.retry_after(api_key, time.monotonic())
        if retry is None:
            return await handler(request)
        response = error("API rate limit exceeded", 0, 429)
        response.headers["Retry-After"] = str(retry)
        return response
