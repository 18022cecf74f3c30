"""Who may use the control API (``/_sim/``): clients on this machine, unless allowed.

The control API decides every outcome (the customer, faults, the cable) and needs no
credentials, so by default it answers only clients on a loopback address. A simulator
given ``allow_remote_control = True`` (``kinetic simulate --allow-remote-control``)
answers anyone. The terminal API itself (what a real terminal serves) is not affected.

A browser on this machine is a loopback client too, for any web page it shows, so the
control API also refuses what only another site's page would send:

- a ``Host`` that is not this machine (``localhost``, a loopback address, or the address
  the simulator listens on): a page on a name it re-pointed at 127.0.0.1 (DNS
  rebinding) would otherwise read and drive the simulator as its own origin. Not
  checked when remote control is allowed (other machines use their own names for it);
- an ``Origin`` other than the simulator's own (its virtual terminal page): another
  site's page, even one whose request needs no preflight;
- a ``POST`` that is not ``application/json``: a page may send ``text/plain`` or a form
  to any address without asking first; JSON needs a CORS preflight, which the control
  API never grants.
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


def _host_name(host: str) -> str:
    """Return the name or address of a ``Host`` header, without its port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def is_local_host(host: str | None, bound: str = "") -> bool:
    """Whether a ``Host`` header names this machine (or the address listened on).

    No header at all (an HTTP/1.0 client) is allowed: browsers always send one.
    """
    if host is None:
        return True
    name = _host_name(host).rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    if _is_a_name(bound) and name == bound.lower():
        return True
    return is_loopback_client(name)


def _is_a_name(bound: str) -> bool:
    """Whether the address listened on names this machine (every address does not)."""
    try:
        return not ipaddress.ip_address(bound).is_unspecified
    except ValueError:
        return bool(bound)


def is_own_origin(origin: str | None, scheme: str, host: str | None) -> bool:
    """Whether an ``Origin`` header is the simulator's own (or absent: not a browser's)."""
    if origin is None:
        return True
    return host is not None and origin.strip().lower() == f"{scheme}://{host.strip()}".lower()


def _refused(request: web.Request, status: int, why: str, text: str) -> web.Response:
    _LOGGER.warning(
        "Refused the control API (%s %s) to %s: %s",
        request.method,
        request.path,
        request.remote,
        why,
    )
    return web.Response(status=status, text=text)


def _refusal(request: web.Request, allow_remote: bool, bound: str) -> web.Response | None:
    """Return the refusal of a control API request, or None to answer it."""
    if not control_allowed(request.remote, allow_remote=allow_remote):
        return _refused(request, 403, "not a loopback client", refusal_text(request.remote))
    host = request.headers.get("Host")
    if not allow_remote and not is_local_host(host, bound):
        return _refused(
            request,
            403,
            f"Host {host!r} is not this machine",
            f"The simulator's control API ({CONTROL_PREFIX}) answers only requests "
            f"addressed to this machine (localhost, a loopback address or {bound}); "
            f"Host {host!r} is not one. Open the page by one of those, or start the "
            "simulator with allow_remote_control=True (kinetic simulate "
            "--allow-remote-control).",
        )
    origin = request.headers.get("Origin")
    if not is_own_origin(origin, request.scheme, host):
        return _refused(
            request,
            403,
            f"Origin {origin!r} is another site",
            f"The simulator's control API ({CONTROL_PREFIX}) answers only its own page; "
            f"Origin {origin!r} is another site.",
        )
    if request.method == "POST" and request.content_type != "application/json":
        return _refused(
            request,
            415,
            f"Content-Type {request.content_type!r} is not JSON",
            f"The simulator's control API ({CONTROL_PREFIX}) takes JSON: send "
            "Content-Type: application/json (with a JSON object, {} when there is nothing "
            "to say).",
        )
    return None


def control_access_middleware(allow_remote: Callable[[], bool], bound: str = "") -> Middleware:
    """Return a middleware that refuses ``/_sim/`` as the module says.

    ``bound`` is the address the simulator listens on (a name for it is this machine).
    """

    @web.middleware
    async def control_access(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            refusal = _refusal(request, allow_remote(), bound)
            if refusal is not None:
                return refusal
        return await handler(request)

    return control_access
