"""Hostile and silent TCP servers, and small waiting helpers, for the discovery tests."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def free_udp_port(host: str = "127.0.0.1") -> int:
    """Return a UDP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def _read_request(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        await reader.readuntil(b"\r\n\r\n")


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept the connection and never answer."""
    await asyncio.sleep(3600)


async def html(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request with a router's HTML login page."""
    await _read_request(reader)
    body = b"<html><head><title>Router</title></head><body>login</body></html>"
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer with an endless JSON-looking body (no Content-Length)."""
    await _read_request(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        b'{"ping": true, "x": "'
    )
    chunk = b"a" * 65536
    with contextlib.suppress(ConnectionError):
        for _ in range(200):  # 13 MB at most, if the client kept reading
            writer.write(chunk)
            await writer.drain()


async def huge_declared(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Announce a 100 MB body in Content-Length."""
    await _read_request(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000000\r\n\r\n" + b'{"ping": true'
    )
    await writer.drain()
    await asyncio.sleep(3600)


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer with 2 kB of gzip that would inflate to 2 MB of JSON-looking text."""
    await _read_request(reader)
    body = gzip.compress(b'{"ping": true, "x": "' + b"a" * 2_000_000 + b'"}')
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    await writer.drain()


async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send a valid-looking ping answer one byte every 50 ms."""
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 31\r\n\r\n")
    with contextlib.suppress(ConnectionError):
        for byte in b'{"success": true, "ping": true}':
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)


async def wrong_json(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer with JSON that is not a ping answer."""
    await _read_request(reader)
    body = b'{"ping": "pong", "ResponseStatus": "nope"}'
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()


def recording_go(requests: list[tuple[str, bool]]) -> Behaviour:
    """Return a fake Go 2 that answers ping and rejects every credential, recording requests."""

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        path = head.split(" ")[1]
        requests.append((path, "\nauthorization:" in head.lower()))
        if path == "/api/v2/ping.json":
            status, body = "200 OK", b'{"success": true, "ping": true}'
        else:
            status, body = "401 Unauthorized", b'{"success": false}'
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    return behaviour


@asynccontextmanager
async def tcp_server(host: str, behaviour: Behaviour, port: int = 0) -> AsyncIterator[int]:
    """Run ``behaviour`` for every connection to ``host``; yield the port."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await behaviour(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            tasks.discard(task)

    server = await asyncio.start_server(handle, host, port)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await server.wait_closed()


async def wait_until(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
