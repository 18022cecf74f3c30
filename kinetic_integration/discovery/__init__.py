"""Find Kinetic-family terminals on the local network.

Three sources feed one merged stream (:class:`Discovery`): zeroconf browsing, the
UDP announcements the Kinetic family broadcasts, and an opt-in HTTP sweep of a
network the caller names. Nothing here sends a transaction request.

Typical use (Home Assistant passes its shared ``AsyncZeroconf``)::

    discovery = Discovery(zeroconf=aiozc, stale_after=30)
    unsubscribe = discovery.subscribe(on_event)   # added / updated / moved / gone
    await discovery.start()
    ...
    found = await discovery.sweep("192.168.1.0/24")   # only when the user asks
    await discovery.stop()
"""

from __future__ import annotations

from kinetic_integration.discovery.announcements import (
    DEFAULT_ANNOUNCE_PORT,
    AnnouncementListener,
)
from kinetic_integration.discovery.discovery import DEFAULT_STALE_AFTER, Discovery
from kinetic_integration.discovery.models import (
    Battery,
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
    auto_networks,
    sweep_targets,
)
from kinetic_integration.discovery.zeroconf_browser import (
    KINETIC_SERVICE_TYPE,
    ZeroconfBrowser,
    identify,
)

__all__ = [
    "DEFAULT_ANNOUNCE_PORT",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_HOST_TIMEOUT",
    "DEFAULT_STALE_AFTER",
    "DEFAULT_SWEEP_PORTS",
    "KINETIC_SERVICE_TYPE",
    "AnnouncementListener",
    "Battery",
    "DiscoveredTerminal",
    "Discovery",
    "DiscoveryEvent",
    "DiscoveryEventType",
    "DiscoverySource",
    "HttpSweep",
    "SweepCredentials",
    "ZeroconfBrowser",
    "auto_networks",
    "identify",
    "sweep_targets",
]
