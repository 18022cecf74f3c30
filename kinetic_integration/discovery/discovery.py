"""The merged discovery stream: one record per terminal, whatever found it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from types import TracebackType

import aiohttp
from zeroconf.asyncio import AsyncZeroconf

from kinetic_integration.discovery.announcements import (
    DEFAULT_ANNOUNCE_PORT,
    AnnouncementListener,
)
from kinetic_integration.discovery.models import (
    DiscoveredTerminal,
    DiscoveryEvent,
    DiscoveryEventType,
    DiscoverySource,
)
from kinetic_integration.discovery.sweep import (
    DEFAULT_CONCURRENCY,
    DEFAULT_HOST_TIMEOUT,
    DEFAULT_SWEEP_PORTS,
    HttpSweep,
    SweepCredentials,
)
from kinetic_integration.discovery.zeroconf_browser import ZeroconfBrowser
from kinetic_integration.models.common import TerminalKind

_LOGGER = logging.getLogger(__name__)

#: Ten missed announcements (they come every 3 s) before a terminal is called gone.
DEFAULT_STALE_AFTER = 30.0

EventCallback = Callable[[DiscoveryEvent], None]


class Discovery:
    """Merge zeroconf, UDP announcements and an opt-in sweep into one stream.

    Records are deduplicated by serial, or by ``host:port`` until a serial is known
    (a record found by address adopts the serial when another source reports one).
    A known serial seen at a new address yields ``MOVED``; a record no source has
    seen for ``stale_after`` seconds yields ``GONE`` (a zeroconf service still
    advertised counts as seen). Nothing is swept unless ``network`` is given; a
    terminal only a one-off sweep found goes GONE after ``stale_after`` unless
    ``sweep_interval`` repeats the sweep or another source keeps seeing it.
    """

    def __init__(
        self,
        *,
        use_zeroconf: bool = True,
        zeroconf: AsyncZeroconf | None = None,
        zeroconf_interfaces: Sequence[str] | None = None,
        announcements: bool = True,
        announce_bind: str = "0.0.0.0",  # noqa: S104 - broadcasts reach only a wildcard socket
        announce_port: int = DEFAULT_ANNOUNCE_PORT,
        network: str | Sequence[str] | None = None,
        sweep_ports: Sequence[int] = DEFAULT_SWEEP_PORTS,
        sweep_concurrency: int = DEFAULT_CONCURRENCY,
        sweep_timeout: float = DEFAULT_HOST_TIMEOUT,
        sweep_credentials: Mapping[TerminalKind, SweepCredentials] | None = None,
        sweep_interval: float | None = None,
        session: aiohttp.ClientSession | None = None,
        stale_after: float = DEFAULT_STALE_AFTER,
        reap_interval: float | None = None,
    ) -> None:
        """Configure the sources; nothing starts until :meth:`start`.

        ``zeroconf_interfaces`` applies only when no shared ``zeroconf`` is given
        (None means every interface). ``sweep_interval`` repeats the sweep; None
        sweeps once.
        """
        self.stale_after = stale_after
        self._reap_interval = reap_interval or max(min(stale_after / 4, 1.0), 0.01)
        self._records: dict[str, DiscoveredTerminal] = {}
        self._zeroconf_live: set[str] = set()
        self._subscribers: list[EventCallback] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self.sweep_done = asyncio.Event()
        self.browser: ZeroconfBrowser | None = None
        self.listener: AnnouncementListener | None = None
        self.sweeper: HttpSweep | None = None
        self._network = network
        self._sweep_interval = sweep_interval
        if use_zeroconf:
            self.browser = ZeroconfBrowser(
                self.observe,
                self.withdraw,
                zeroconf=zeroconf,
                interfaces=zeroconf_interfaces,
            )
        if announcements:
            self.listener = AnnouncementListener(
                self.observe, bind=announce_bind, port=announce_port
            )
        if network is not None:
            self.sweeper = HttpSweep(
                ports=sweep_ports,
                concurrency=sweep_concurrency,
                timeout=sweep_timeout,
                credentials=sweep_credentials,
                session=session,
            )
        else:
            self.sweep_done.set()

    # --- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        """Start every enabled source and the staleness check."""
        if self._started:
            return
        self._started = True
        try:
            if self.listener is not None:
                await self.listener.start()
            if self.browser is not None:
                await self.browser.start()
        except BaseException:
            await self.stop()
            raise
        self._tasks.append(asyncio.create_task(self._reap_loop()))
        if self.sweeper is not None:
            self._tasks.append(asyncio.create_task(self._sweep_loop()))

    async def stop(self) -> None:
        """Stop every source."""
        self._started = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.browser is not None:
            await self.browser.stop()
        if self.listener is not None:
            await self.listener.stop()
        self._zeroconf_live.clear()

    async def __aenter__(self) -> Discovery:
        """Start on entering ``async with``."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving ``async with``."""
        await self.stop()

    # --- what callers read ---------------------------------------------------

    @property
    def terminals(self) -> list[DiscoveredTerminal]:
        """Every terminal currently known, ordered by host then port."""
        return sorted(self._records.values(), key=lambda t: (_host_key(t.host), t.port))

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    async def events(self) -> AsyncIterator[DiscoveryEvent]:
        """Yield events as they happen, until the caller stops iterating."""
        queue: asyncio.Queue[DiscoveryEvent] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    async def sweep(self, network: str | Sequence[str] | None = None) -> list[DiscoveredTerminal]:
        """Sweep now (``network`` or the configured one) and merge what answers."""
        target = network if network is not None else self._network
        if target is None:
            raise ValueError("no network to sweep: sweeping is opt-in")
        if self.sweeper is None:
            self.sweeper = HttpSweep()
        return await self.sweeper.sweep(target, self.observe)

    # --- merging -------------------------------------------------------------

    def _find(self, sighting: DiscoveredTerminal) -> str | None:
        if sighting.serial and sighting.serial in self._records:
            return sighting.serial
        # Same address: the same terminal, unless both carry different serials.
        matches = [
            record
            for record in self._records.values()
            if record.address == sighting.address
            and (sighting.serial is None or record.serial is None)
        ]
        if not matches:
            return None
        return max(matches, key=lambda r: r.last_seen).key

    def observe(self, sighting: DiscoveredTerminal) -> None:
        """Merge one sighting from any source and emit the resulting event, if any."""
        key = self._find(sighting)
        if key is None:
            record = replace(sighting, sources=frozenset({sighting.source}))
            self._records[record.key] = record
            if sighting.source is DiscoverySource.ZEROCONF:
                self._zeroconf_live.add(record.key)
            self._emit(DiscoveryEvent(type=DiscoveryEventType.ADDED, terminal=record))
            return
        previous = self._records.pop(key)
        record = replace(
            previous,
            kind=sighting.kind,
            host=sighting.host,
            port=sighting.port,
            serial=sighting.serial or previous.serial,
            name=sighting.name or previous.name,
            battery=sighting.battery or previous.battery,
            source=sighting.source,
            sources=previous.sources | {sighting.source},
            last_seen=max(previous.last_seen, sighting.last_seen),
        )
        self._records[record.key] = record
        if key in self._zeroconf_live and record.key != key:
            self._zeroconf_live.discard(key)
            self._zeroconf_live.add(record.key)
        if sighting.source is DiscoverySource.ZEROCONF:
            self._zeroconf_live.add(record.key)
        if record.address != previous.address:
            event_type: DiscoveryEventType | None = DiscoveryEventType.MOVED
        elif _meaningful(record) != _meaningful(previous):
            event_type = DiscoveryEventType.UPDATED
        else:
            event_type = None
        if event_type is not None:
            self._emit(DiscoveryEvent(type=event_type, terminal=record, previous=previous))

    def withdraw(self, sighting: DiscoveredTerminal) -> None:
        """Note that a zeroconf service went away: from now on only silence keeps it."""
        key = self._find(sighting)
        if key is None:
            return
        self._zeroconf_live.discard(key)
        # It was advertised until now; silence counts from here.
        self._records[key] = replace(self._records[key], last_seen=time.monotonic())

    def expire(self, now: float | None = None) -> list[DiscoveryEvent]:
        """Drop records silent for longer than ``stale_after``; emit and return GONE events."""
        now = time.monotonic() if now is None else now
        events: list[DiscoveryEvent] = []
        for key, record in list(self._records.items()):
            if key in self._zeroconf_live or now - record.last_seen <= self.stale_after:
                continue
            del self._records[key]
            event = DiscoveryEvent(type=DiscoveryEventType.GONE, terminal=record, previous=record)
            events.append(event)
            self._emit(event)
        return events

    def _emit(self, event: DiscoveryEvent) -> None:
        _LOGGER.debug(
            "%s %s %s at %s (%s)",
            event.type,
            event.terminal.kind,
            event.terminal.serial or "-",
            event.terminal.address,
            event.terminal.source,
        )
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("Discovery event callback failed")

    # --- background tasks ----------------------------------------------------

    async def _reap_loop(self) -> None:
        while True:
            await asyncio.sleep(self._reap_interval)
            self.expire()

    async def _sweep_loop(self) -> None:
        assert self._network is not None  # the loop starts only for a named network
        while True:
            try:
                await self.sweep(self._network)
            except ValueError as err:
                _LOGGER.warning("Cannot sweep %s: %s", self._network, err)
                self.sweep_done.set()
                return
            self.sweep_done.set()
            if self._sweep_interval is None:
                return
            await asyncio.sleep(self._sweep_interval)


def _meaningful(record: DiscoveredTerminal) -> tuple[object, ...]:
    """Return the fields whose change is worth an UPDATED event (not the source)."""
    return (record.kind, record.serial, record.name, record.battery, record.sources)


def _host_key(host: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in host.split("."))
    except ValueError:
        return (999,)
