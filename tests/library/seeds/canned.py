"""A tiny HTTP server that answers every request with one seed example and keeps the requests.

It stands in for a terminal without any of the simulator's logic, so what the clients
send and how they read an answer is checked against the seed documents alone.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web

from tests.library.seeds.examples import repaired_text, seed_status

#: A loopback address no simulator fixture uses.
HOST = "127.0.0.31"


@dataclass(frozen=True)
class Captured:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class CannedServer:
    """Answers with ``status`` and ``body``; ``requests`` lists what it received.

    It listens on :data:`HOST` and ``port``; ``session`` is for the client under test.
    """

    session: aiohttp.ClientSession
    port: int = 0
    status: int = 200
    body: bytes = b""
    requests: list[Captured] = field(default_factory=list)

    def answer(self, name: str) -> None:
        """Answer the next requests with response fixture ``name``, literally as the seed has it.

        A ``.jsonc`` fixture is sent repaired (as JSON), since no terminal sends comments.
        """
        self.status = seed_status(name)
        self.body = repaired_text(name).encode()

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request and answer with the canned example."""
        raw = await request.read()
        body = json.loads(raw, parse_float=Decimal) if raw else None
        self.requests.append(Captured(request.method, request.path, dict(request.query), body))
        return web.Response(status=self.status, body=self.body, content_type="application/json")


@asynccontextmanager
async def canned_server() -> AsyncIterator[CannedServer]:
    """Start a :class:`CannedServer` on :data:`HOST` and an unused port, with a session."""
    session = aiohttp.ClientSession()
    server = CannedServer(session)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        await session.close()
        await runner.cleanup()
