"""Opt-in HTTP sweep: ask every address of a named network whether it is a terminal.

Only read-only identification requests are sent: ``GET /api/v2/ping.json`` (Kinetic
Go 2, no credentials), ``GET /DeviceService/Kinetic/Status`` (DeviceService; its
documented 401 body identifies it too) and, only when credentials are given,
``GET /api/v2/device.json`` for the serial, once. Never a transaction request,
never a second try with other credentials. Every answer is treated as hostile:
bodies are capped, redirects are not followed, and each host:port has a deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp

from kinetic_integration.clients import BasicCredentials
from kinetic_integration.discovery.models import (
    DiscoveredTerminal,
    DiscoverySource,
    SightingCallback,
)
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.terminal.kinds import LOCAL_KINDS, local_kinds_by_port

_LOGGER = logging.getLogger(__name__)

#: Every local kind's default port (a cloud kind has no address to sweep).
DEFAULT_SWEEP_PORTS: tuple[int, ...] = tuple(
    facts.default_port for facts in LOCAL_KINDS if facts.default_port is not None
)
DEFAULT_CONCURRENCY = 64
DEFAULT_HOST_TIMEOUT = 1.5
#: ``auto`` never sweeps more than a /22 per local subnet.
AUTO_MAX_PREFIX = 22
#: An explicit network larger than this is refused (a /20): sweeping is meant to be polite.
MAX_SWEEP_HOSTS = 4096
# The answers we look for are tiny; a bigger body is not one of them.
_MAX_BODY = 16 * 1024

PING_PATH = "/api/v2/ping.json"
DEVICE_PATH = "/api/v2/device.json"
DS_STATUS_PATH = "/DeviceService/Kinetic/Status"
_DS_AUTH_TEXT = "invalid username or password"


@dataclass(frozen=True, slots=True)
class SweepCredentials:
    """Credentials the sweep may use, once per host, to read a serial."""

    username: str
    password: str = field(repr=False)


class _NotOurs(Exception):
    """The answer does not identify a terminal (a debug log says why)."""


@dataclass(frozen=True, slots=True)
class _Probe:
    """The read-only requests that tell whether a terminal of ``kind`` answers.

    ``identify(session, base_url, credentials)`` returns the serial (None when it cannot
    be read) or raises :class:`_NotOurs`.
    """

    kind: TerminalKind
    identify: Callable[[aiohttp.ClientSession, str, SweepCredentials | None], Awaitable[str | None]]


def auto_networks(
    addresses: Iterable[tuple[str, int]] | None = None,
) -> list[ipaddress.IPv4Network]:
    """Return the host's own IPv4 subnets, each capped at a /22 around the host's address.

    ``addresses`` is ``(ip, prefix_length)`` pairs; by default the host's
    interfaces are read (via ``ifaddr``, which zeroconf already depends on).
    Loopback and link-local subnets are skipped.
    """
    if addresses is None:
        import ifaddr  # noqa: PLC0415 - only `auto` needs the interface list

        addresses = [
            (str(ip.ip), int(ip.network_prefix))
            for adapter in ifaddr.get_adapters()
            for ip in adapter.ips
            if isinstance(ip.ip, str)
        ]
    networks: list[ipaddress.IPv4Network] = []
    for ip, prefix in addresses:
        address = ipaddress.IPv4Address(ip)
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            continue
        network = ipaddress.IPv4Network(f"{ip}/{max(prefix, AUTO_MAX_PREFIX)}", strict=False)
        if network not in networks:
            networks.append(network)
    return networks


def sweep_targets(
    network: str | Sequence[str],
    *,
    local_addresses: Iterable[tuple[str, int]] | None = None,
) -> list[str]:
    """Return the host addresses a sweep of ``network`` (CIDR(s) or ``"auto"``) would probe."""
    specs = [network] if isinstance(network, str) else list(network)
    networks: list[ipaddress.IPv4Network] = []
    for spec in specs:
        if spec.strip().lower() == "auto":
            networks.extend(auto_networks(local_addresses))
            continue
        parsed = ipaddress.ip_network(spec.strip(), strict=False)
        if not isinstance(parsed, ipaddress.IPv4Network):
            raise ValueError(f"{spec}: only IPv4 networks can be swept")
        if parsed.num_addresses > MAX_SWEEP_HOSTS:
            raise ValueError(f"{spec}: larger than a /20; name a smaller network")
        networks.append(parsed)
    hosts: list[str] = []
    seen: set[str] = set()
    for net in networks:
        candidates = list(net.hosts()) if net.num_addresses > 2 else list(net)
        for host in candidates:
            text = str(host)
            if text not in seen:
                seen.add(text)
                hosts.append(text)
    return hosts


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as err:
        raise _NotOurs(f"{what}: not JSON") from err
    if not isinstance(data, dict):
        raise _NotOurs(f"{what}: not a JSON object")
    return data


class HttpSweep:
    """Probe host:port pairs with bounded concurrency and identify terminals.

    ``max_in_flight`` records the most probes that were ever running at once
    (never more than ``concurrency``; each probe sends its requests one by one).
    """

    def __init__(
        self,
        *,
        ports: Sequence[int] = DEFAULT_SWEEP_PORTS,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_HOST_TIMEOUT,
        credentials: Mapping[TerminalKind, SweepCredentials] | None = None,
        session: aiohttp.ClientSession | None = None,
        max_body: int = _MAX_BODY,
    ) -> None:
        """Configure a sweep; ``timeout`` is the deadline per host:port."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.ports = tuple(ports)
        self.concurrency = concurrency
        self.timeout = timeout
        self._credentials = dict(credentials or {})
        self._session = session
        self._max_body = max_body
        self._semaphore = asyncio.Semaphore(concurrency)
        self.in_flight = 0
        self.max_in_flight = 0
        self.probes = 0
        self._probes = (
            _Probe(TerminalKind.KINETIC_GO, self._kinetic_go),
            _Probe(TerminalKind.DEVICE_SERVICE, self._device_service),
        )

    async def sweep(
        self,
        network: str | Sequence[str],
        on_sighting: SightingCallback | None = None,
    ) -> list[DiscoveredTerminal]:
        """Probe every host of ``network`` on every port; return what answered as ours."""
        hosts = sweep_targets(network)
        return await self.sweep_hosts(hosts, on_sighting)

    async def sweep_hosts(
        self,
        hosts: Sequence[str],
        on_sighting: SightingCallback | None = None,
    ) -> list[DiscoveredTerminal]:
        """Probe the given hosts on every port."""
        found: list[DiscoveredTerminal] = []
        async with self._client() as session:

            async def one(host: str, port: int) -> None:
                sighting = await self.probe(host, port, session=session)
                if sighting is not None:
                    found.append(sighting)
                    if on_sighting is not None:
                        on_sighting(sighting)

            await asyncio.gather(*(one(host, port) for host in hosts for port in self.ports))
        return found

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[aiohttp.ClientSession]:
        if self._session is not None:
            yield self._session
            return
        connector = aiohttp.TCPConnector(limit=self.concurrency, force_close=True)
        # trust_env=False: a sweep must never go through a proxy. No decompression: a
        # small compressed answer must not expand past the body cap in one step.
        async with aiohttp.ClientSession(
            connector=connector, trust_env=False, auto_decompress=False
        ) as session:
            yield session

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1

    async def probe(
        self, host: str, port: int, *, session: aiohttp.ClientSession | None = None
    ) -> DiscoveredTerminal | None:
        """Identify what listens on ``host:port``; None when it is not a terminal."""
        if session is None:
            async with self._client() as own:
                return await self.probe(host, port, session=own)
        async with self._slot():
            self.probes += 1
            try:
                async with asyncio.timeout(self.timeout):
                    if not await _accepts(host, port):
                        return None  # closed port: the common case, not worth a log line
                    return await self._identify(session, host, port)
            except TimeoutError:
                _LOGGER.debug("%s:%s: no answer within %.1f s", host, port, self.timeout)
            except (aiohttp.ClientConnectorError, ConnectionRefusedError):
                pass  # closed port: the common case, not worth a log line per address
            except (aiohttp.ClientError, OSError, _NotOurs) as err:
                _LOGGER.debug("%s:%s: not a terminal (%s)", host, port, err)
            return None

    async def _identify(
        self, session: aiohttp.ClientSession, host: str, port: int
    ) -> DiscoveredTerminal | None:
        # The kind whose default port this is is asked first, then the others.
        order = local_kinds_by_port(port)
        reasons: list[str] = []
        for probe in sorted(self._probes, key=lambda probe: order.index(probe.kind)):
            try:
                serial = await probe.identify(
                    session, f"http://{host}:{port}", self._credentials.get(probe.kind)
                )
            except _NotOurs as err:
                reasons.append(str(err))
            else:
                return self._sighting(probe.kind, host, port, serial)
        raise _NotOurs("; ".join(reasons))

    async def _get(
        self,
        session: aiohttp.ClientSession,
        url: str,
        auth: BasicCredentials | None = None,
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        if auth is not None:
            headers["Authorization"] = auth.header()
        async with session.get(url, allow_redirects=False, headers=headers) as response:
            if (response.content_length or 0) > self._max_body:
                raise _NotOurs(f"{url}: body of {response.content_length} bytes")
            body = bytearray()
            async for chunk in response.content.iter_chunked(4096):
                body += chunk
                if len(body) > self._max_body:
                    raise _NotOurs(f"{url}: body larger than {self._max_body} bytes")
            return response.status, bytes(body)

    def _sighting(
        self, kind: TerminalKind, host: str, port: int, serial: str | None
    ) -> DiscoveredTerminal:
        return DiscoveredTerminal(
            kind=kind,
            host=host,
            port=port,
            source=DiscoverySource.SWEEP,
            serial=serial,
            last_seen=time.monotonic(),
            sources=frozenset({DiscoverySource.SWEEP}),
        )

    async def _kinetic_go(
        self, session: aiohttp.ClientSession, base: str, creds: SweepCredentials | None
    ) -> str | None:
        status, body = await self._get(session, base + PING_PATH)
        if status != 200:
            raise _NotOurs(f"ping.json answered {status}")
        if _json_object(body, "ping.json").get("ping") is not True:
            raise _NotOurs("ping.json without ping: true")
        if creds is None:
            return None
        return await self._go_serial(session, base, creds)

    async def _go_serial(
        self, session: aiohttp.ClientSession, base: str, creds: SweepCredentials
    ) -> str | None:
        # One authorized read; a rejection is final (no other credentials are tried).
        try:
            status, body = await self._get(
                session, base + DEVICE_PATH, BasicCredentials(creds.username, creds.password)
            )
            if status != 200:
                _LOGGER.debug("%s%s answered %s; serial unknown", base, DEVICE_PATH, status)
                return None
            device = _json_object(body, "device.json").get("device")
        except (_NotOurs, aiohttp.ClientError) as err:
            _LOGGER.debug("%s: serial unreadable (%s)", base, err)
            return None
        serial = device.get("serial_number") if isinstance(device, dict) else None
        if isinstance(serial, str | int) and not isinstance(serial, bool) and str(serial):
            return str(serial)[:128]
        return None

    async def _device_service(
        self, session: aiohttp.ClientSession, base: str, creds: SweepCredentials | None
    ) -> str | None:
        auth = BasicCredentials(creds.username, creds.password) if creds else None
        status, body = await self._get(session, base + DS_STATUS_PATH, auth)
        data = _json_object(body, "Status")
        if status == 200:
            if "IsConnected" not in data and "TransactionInProgress" not in data:
                raise _NotOurs("Status without IsConnected")
        elif status == 401:
            error = data.get("ResponseStatus")
            texts = (
                [str(error.get("ErrorCode", "")), str(error.get("Message", ""))]
                if isinstance(error, dict)
                else []
            )
            if not any(_DS_AUTH_TEXT in text.lower() for text in texts):
                raise _NotOurs("401 without the DeviceService body")
        else:
            raise _NotOurs(f"Status answered {status}")
        # The DeviceService API exposes no serial number.
        return None


async def _accepts(host: str, port: int) -> bool:
    """Whether ``host:port`` accepts a TCP connection (closed and filtered ports do not).

    A bare non-blocking connect first: most addresses of a sweep are closed, and a
    refused connect costs far less than a whole HTTP request failing the same way.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
    except OSError:
        return False
    finally:
        sock.close()
    return True
