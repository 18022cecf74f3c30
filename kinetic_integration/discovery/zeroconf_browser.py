"""Find terminals that advertise themselves by mDNS / DNS-SD.

No Kinetic product documents an mDNS advertisement, but our simulator and any
firmware that adds one use ``_kinetic._tcp.local.``; generic ``_http._tcp.local.``
instances count only when their name or TXT records say Kinetic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from kinetic_integration.discovery.models import (
    DiscoveredTerminal,
    DiscoverySource,
    SightingCallback,
)
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.terminal.kinds import DEFAULT_KIND, local_kind_for_port

_LOGGER = logging.getLogger(__name__)

KINETIC_SERVICE_TYPE = "_kinetic._tcp.local."
HTTP_SERVICE_TYPE = "_http._tcp.local."
SERVICE_TYPES = (KINETIC_SERVICE_TYPE, HTTP_SERVICE_TYPE)
_RESOLVE_TIMEOUT_MS = 3000
_MARKERS = ("kinetic", "cashflows", "castles")
_VENDOR_KEYS = ("vendor", "manufacturer", "product", "model", "md")


def _decode_txt(properties: dict[bytes, bytes | None]) -> dict[str, str]:
    txt: dict[str, str] = {}
    for raw_key, raw_value in properties.items():
        key = raw_key.decode("utf-8", "replace").lower()
        txt[key] = raw_value.decode("utf-8", "replace") if raw_value is not None else ""
    return txt


def _instance(name: str, service_type: str) -> str:
    suffix = "." + service_type
    return name[: -len(suffix)] if name.endswith(suffix) else name


def identify(service_type: str, name: str, port: int, txt: dict[str, str]) -> TerminalKind | None:
    """Return the kind a service instance advertises, or None if it is not ours."""
    kind: TerminalKind | None = None
    if txt.get("kind"):
        try:
            kind = TerminalKind(txt["kind"].strip().lower())
        except ValueError:
            kind = None
    if service_type == HTTP_SERVICE_TYPE and kind is None:
        texts = [name.lower()] + [txt.get(key, "").lower() for key in _VENDOR_KEYS]
        if not any(marker in text for text in texts for marker in _MARKERS):
            return None
    if kind is None:
        # No kind given: a local kind's default port is the best hint we have.
        kind = local_kind_for_port(port) or DEFAULT_KIND
    return kind


class ZeroconfBrowser:
    """Browse DNS-SD for Kinetic terminals and report them.

    Pass Home Assistant's shared ``AsyncZeroconf`` as ``zeroconf``; otherwise the
    browser creates its own on ``interfaces`` (IPv4 only) and closes it on stop.
    """

    def __init__(
        self,
        on_sighting: SightingCallback,
        on_withdrawn: SightingCallback,
        *,
        zeroconf: AsyncZeroconf | None = None,
        interfaces: Sequence[str] | None = None,
        service_types: Sequence[str] = SERVICE_TYPES,
    ) -> None:
        """Prepare a browser; nothing is sent until :meth:`start`."""
        self._on_sighting = on_sighting
        self._on_withdrawn = on_withdrawn
        self._shared = zeroconf
        self._interfaces = list(interfaces) if interfaces is not None else None
        self._service_types = list(service_types)
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._known: dict[str, DiscoveredTerminal] = {}

    async def start(self) -> None:
        """Start browsing."""
        if self._browser is not None:
            return
        if self._shared is not None:
            self._zc = self._shared
        else:
            interfaces: Any = (
                self._interfaces if self._interfaces is not None else InterfaceChoice.All
            )
            self._zc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        self._browser = AsyncServiceBrowser(
            self._zc.zeroconf, self._service_types, handlers=[self._on_state_change]
        )

    async def stop(self) -> None:
        """Stop browsing; close the zeroconf instance only if we created it."""
        if self._browser is not None:
            await self._browser.async_cancel()
            self._browser = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._zc is not None and self._zc is not self._shared:
            await self._zc.async_close()
        self._zc = None
        self._known.clear()

    def _on_state_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        # Called synchronously from zeroconf's loop: resolve in a task.
        if state_change is ServiceStateChange.Removed:
            gone = self._known.pop(name, None)
            # The same terminal may be advertised under several types or names.
            if gone is not None and all(k.key != gone.key for k in self._known.values()):
                self._on_withdrawn(gone)
            return
        task = asyncio.get_running_loop().create_task(self._resolve(service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, service_type: str, name: str) -> None:
        zc = self._zc
        if zc is None:
            return
        info = AsyncServiceInfo(service_type, name)
        try:
            found = await info.async_request(zc.zeroconf, _RESOLVE_TIMEOUT_MS)
        except Exception as err:  # a bad responder must not stop browsing
            _LOGGER.debug("Could not resolve %s: %s", name, err)
            return
        if not found or info.port is None:
            _LOGGER.debug("No answer resolving %s", name)
            return
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses:
            _LOGGER.debug("%s has no IPv4 address", name)
            return
        txt = _decode_txt(info.properties)
        kind = identify(service_type, _instance(name, service_type), info.port, txt)
        if kind is None:
            _LOGGER.debug("%s is not a Kinetic terminal", name)
            return
        sighting = DiscoveredTerminal(
            kind=kind,
            host=addresses[0],
            port=info.port,
            source=DiscoverySource.ZEROCONF,
            serial=txt.get("serial") or None,
            name=txt.get("name") or _instance(name, service_type),
            last_seen=time.monotonic(),
            sources=frozenset({DiscoverySource.ZEROCONF}),
        )
        self._known[name] = sighting
        self._on_sighting(sighting)
