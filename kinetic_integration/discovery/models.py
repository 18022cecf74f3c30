"""What discovery reports: terminals found and the events about them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kinetic_integration.models.common import TerminalKind


class DiscoverySource(StrEnum):
    """Which mechanism saw a terminal."""

    ZEROCONF = "zeroconf"
    ANNOUNCEMENT = "announcement"
    SWEEP = "sweep"


class DiscoveryEventType(StrEnum):
    """What happened to a terminal.

    ``UPDATED`` means something other than the address changed (name, battery,
    serial learned, another source saw it); ``MOVED`` means its host or port changed.
    """

    ADDED = "added"
    UPDATED = "updated"
    MOVED = "moved"
    GONE = "gone"


@dataclass(frozen=True, slots=True, kw_only=True)
class Battery:
    """Battery state as a terminal announces it."""

    percentage: int | None = None
    charging: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveredTerminal:
    """One terminal as discovery knows it.

    ``source`` is the mechanism that reported this record last; ``sources`` every
    mechanism that has seen it. ``last_seen`` is :func:`time.monotonic` seconds.
    """

    kind: TerminalKind
    host: str
    port: int
    source: DiscoverySource
    serial: str | None = None
    name: str | None = None
    battery: Battery | None = None
    last_seen: float = 0.0
    sources: frozenset[DiscoverySource] = frozenset()

    @property
    def key(self) -> str:
        """Deduplication key: the serial when known, else ``host:port``."""
        return self.serial if self.serial else self.address

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready view (what ``kinetic discover --json`` prints)."""
        battery: dict[str, object] | None = None
        if self.battery is not None:
            battery = {
                "percentage": self.battery.percentage,
                "charging": self.battery.charging,
            }
        return {
            "kind": str(self.kind),
            "host": self.host,
            "port": self.port,
            "serial": self.serial,
            "name": self.name,
            "source": str(self.source),
            "sources": sorted(str(s) for s in (self.sources or {self.source})),
            "battery": battery,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryEvent:
    """A change in what discovery knows; ``previous`` is set for updated/moved/gone."""

    type: DiscoveryEventType
    terminal: DiscoveredTerminal
    previous: DiscoveredTerminal | None = None

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready view (one line of ``discover --watch --json``)."""
        data: dict[str, object] = {"event": str(self.type), **self.terminal.as_dict()}
        if self.type is DiscoveryEventType.MOVED and self.previous is not None:
            data["previous_host"] = self.previous.host
            data["previous_port"] = self.previous.port
        return data


#: How a source hands a sighting to whoever listens (the merged stream, or a test).
SightingCallback = Callable[[DiscoveredTerminal], None]
