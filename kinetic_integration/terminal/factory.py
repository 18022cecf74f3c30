"""Build the right Terminal for a configuration."""

from __future__ import annotations

import aiohttp

from ..models.common import TerminalKind
from .base import Terminal
from .config import TerminalConfig
from .device_service import DeviceServiceTerminal
from .kinetic_go import KineticGoTerminal
from .payment_engine import PaymentEngineTerminal

_ADAPTERS: dict[
    TerminalKind, type[KineticGoTerminal | DeviceServiceTerminal | PaymentEngineTerminal]
] = {
    TerminalKind.KINETIC_GO: KineticGoTerminal,
    TerminalKind.DEVICE_SERVICE: DeviceServiceTerminal,
    TerminalKind.PAYMENT_ENGINE: PaymentEngineTerminal,
}


def create_terminal(
    config: TerminalConfig, session: aiohttp.ClientSession | None = None
) -> Terminal:
    """Return the Terminal for ``config.kind``; it uses ``session`` when one is given."""
    return _ADAPTERS[TerminalKind(config.kind)](config, session)
