"""What each kind of terminal is: the facts every layer asks instead of comparing kinds.

A caller that needs a default port, a model name or whether a kind lives in the cloud
asks :func:`kind_facts`; nothing outside this package compares a ``TerminalKind`` to
decide behaviour (what a terminal can *do* is :meth:`Terminal.supports`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..clients.device_service import DEFAULT_PORT as DEVICE_SERVICE_PORT
from ..clients.kinetic_go import DEFAULT_PORT as KINETIC_GO_PORT
from ..clients.payment_engine import PRODUCTION_URL, SANDBOX_URL
from ..models.common import TerminalKind


@dataclass(frozen=True, slots=True, kw_only=True)
class KindFacts:
    """The fixed facts of one kind of terminal.

    ``default_port`` is ``None`` for a cloud kind (reached through ``base_url`` instead).
    ``credentials`` names the :class:`TerminalConfig` fields its configuration needs.
    ``has_serial`` tells whether the terminal reports a serial number to identify it;
    without one, a local terminal is identified by its address.
    """

    kind: TerminalKind
    name: str
    manufacturer: str
    model: str
    cloud: bool
    default_port: int | None
    has_serial: bool
    credentials: tuple[str, ...]
    production_url: str | None = None
    sandbox_url: str | None = None

    def address(self, host: str, port: int | None = None) -> str:
        """Return ``host:port``, with this kind's default port when ``port`` is ``None``."""
        return f"{host}:{port if port is not None else self.default_port}"


KINETIC_GO = KindFacts(
    kind=TerminalKind.KINETIC_GO,
    name="Kinetic Go 2",
    manufacturer="Kinetic",
    model="Kinetic Go 2",
    cloud=False,
    default_port=KINETIC_GO_PORT,
    has_serial=True,
    credentials=("username", "password"),
)
DEVICE_SERVICE = KindFacts(
    kind=TerminalKind.DEVICE_SERVICE,
    name="DeviceService (Castles MP200)",
    manufacturer="Castles Technology",
    model="MP200 (DeviceService)",
    cloud=False,
    default_port=DEVICE_SERVICE_PORT,
    has_serial=False,
    credentials=("username", "password"),
)
PAYMENT_ENGINE = KindFacts(
    kind=TerminalKind.PAYMENT_ENGINE,
    name="USAePay Payment Engine",
    manufacturer="USAePay",
    model="Payment Engine device",
    cloud=True,
    default_port=None,
    has_serial=False,
    credentials=("api_key", "pin", "device_key"),
    production_url=PRODUCTION_URL,
    sandbox_url=SANDBOX_URL,
)

KINDS: Mapping[TerminalKind, KindFacts] = MappingProxyType(
    {facts.kind: facts for facts in (KINETIC_GO, DEVICE_SERVICE, PAYMENT_ENGINE)}
)
LOCAL_KINDS: tuple[KindFacts, ...] = tuple(facts for facts in KINDS.values() if not facts.cloud)
#: The kind a Kinetic-family device is when it does not say (an announcement or an
#: advertisement without a kind): the family's own terminal.
DEFAULT_KIND = TerminalKind.KINETIC_GO


def kind_facts(kind: TerminalKind | str) -> KindFacts:
    """Return the facts of ``kind`` (a :class:`TerminalKind` or its value)."""
    return KINDS[TerminalKind(kind)]


def local_kind_for_port(port: int) -> TerminalKind | None:
    """Return the local kind whose default port is ``port`` (a discovery hint), if any."""
    for facts in LOCAL_KINDS:
        if facts.default_port == port:
            return facts.kind
    return None


def local_kinds_by_port(port: int) -> tuple[TerminalKind, ...]:
    """Return the local kinds in the order to try at ``port``: its default kind first."""
    return tuple(
        facts.kind for facts in sorted(LOCAL_KINDS, key=lambda facts: facts.default_port != port)
    )
