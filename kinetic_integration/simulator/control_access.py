"""Who may use the control API (``/_sim/``): clients on this machine, unless allowed.

The control API decides every outcome (the customer, faults, the cable) and needs no
credentials, so by default it answers only clients on a loopback address. A simulator
given ``allow_remote_control = True`` (``kinetic simulate --allow-remote-control``)
answers anyone. The terminal API itself (what a real terminal serves) is not affected.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    # Types only: the installed aiohttp's own (their spelling changed between releases).
    from aiohttp.typedefs import Handler, Middleware

_LOGGER = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sim/"


def is_loopback_client(remote: str | None) -> bool:
    """Whether a client's address is a loopback one (IPv4, IPv6 or IPv4-mapped IPv6)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def control_allowed(remote: str | None, *, allow_remote: bool) -> bool:
    """Whether the control API answers a client at ``remote``."""
    return allow_remote or is_loopback_client(remote)


def refusal_text(remote: str | None) -> str:
    """Return the 403 body a client off this machine receives: what happened, what to do."""
    return (
        f"The simulator's control API ({CONTROL_PREFIX}) answers only clients on this "
        f"machine (loopback addresses); {remote or 'this client'} is not one. Start the "
        "simulator with allow_remote_control=True (kinetic simulate "
        "--allow-remote-control) to allow other machines."
    )


def where_control_answers(allow_remote: bool) -> str:
    """Say in words who the control API answers (logged at start, shown by the CLI)."""
    if allow_remote:
        return f"The control API ({CONTROL_PREFIX}) answers any client (remote control allowed)"
    return (
        f"The control API ({CONTROL_PREFIX}) answers loopback clients only "
        "(--allow-remote-control to allow other machines)"
    )


def control_access_middleware(allow_remote: Callable[[], bool]) -> Middleware:
    """Return a middleware that refuses ``/_sim/`` to clients off this machine."""

    @web.middleware
    async def control_access(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX) and not control_allowed(
            request.remote, allow_remote=allow_remote()
        ):
            _LOGGER.warning(
                "Refused the control API (%s %s) to %s: not a loopback client",
                request.method,
                request.path,
                request.remote,
            )
            return web.Response(status=403, text=refusal_text(request.remote))
        return await handler(request)

    return control_access
