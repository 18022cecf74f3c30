"""Where a terminal is: a host name resolved the way the operating system resolves it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from ..errors import KineticConnectionError


async def resolve_host(host: str, port: int) -> str:
    """Return the first address ``host`` resolves to (an address stays as it is)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise KineticConnectionError(f"Cannot resolve host {host!r}") from err
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise KineticConnectionError(f"Cannot resolve host {host!r}")
    # One answer for one name whatever the order the resolver gives: IPv4 first.
    return str(min(addresses, key=lambda address: (address.version, address)))
