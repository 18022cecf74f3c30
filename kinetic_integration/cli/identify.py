"""``--kind auto`` (the default): ask the address what it is before talking to it.

The discovery's read-only identification (:meth:`HttpSweep.probe`: no credentials,
never a transaction request) tells a Kinetic Go 2 from a DeviceService. An explicit
``--kind`` is checked the same way, so a command never goes to the wrong API (which
would answer "not found" as if it were a final result). A cloud kind has no address
to ask: ``auto`` means the Payment Engine when its options are given.
"""

from __future__ import annotations

import argparse
import os

from .. import DEFAULT_KIND, TerminalKind, kind_facts
from ..discovery import HttpSweep
from ..errors import KineticConnectionError
from ..terminal import LOCAL_KINDS, resolve_host

AUTO = "auto"


class WrongKindError(KineticConnectionError):
    """The address answers as another kind of terminal than ``--kind`` names."""

    code = "wrong_kind"

    def __init__(self, message: str, *, right_kind: TerminalKind) -> None:
        """Remember which kind the address answered as."""
        super().__init__(message)
        self.right_kind = right_kind.value


class UnidentifiedTerminalError(KineticConnectionError):
    """Nothing at the address answered as a terminal of the Kinetic family."""

    code = "unidentified"


def _wants_cloud(args: argparse.Namespace) -> bool:
    """Whether ``auto`` means the cloud kind: its URL options, or its key and no login."""
    has_key = bool(args.api_key or os.environ.get("KINETIC_API_KEY"))
    has_login = bool(args.username or os.environ.get("KINETIC_USERNAME"))
    chosen_cloud = args.base_url is not None or bool(getattr(args, "sandbox", False))
    return chosen_cloud or (has_key and not has_login)


def cloud_kind() -> TerminalKind:
    """Return the kind ``auto`` means for a cloud API (the only kind without an address)."""
    return next(kind for kind in TerminalKind if kind_facts(kind).cloud)


def preliminary_kind(args: argparse.Namespace) -> TerminalKind:
    """Return the kind to build the configuration with before the terminal is asked."""
    if args.kind != AUTO:
        return TerminalKind(args.kind)
    return cloud_kind() if _wants_cloud(args) else DEFAULT_KIND


async def identify_kind(
    requested: str, host: str, port: int | None, deadline: float
) -> tuple[TerminalKind, int | None]:
    """Return the kind (and port) to talk to at ``host``, asking the address once.

    ``deadline`` is the seconds each port may take to answer.
    ``requested`` is ``--kind`` as given (``auto`` or a local kind), ``port`` the
    ``--port`` given (None: the kinds' defaults). Raises WrongKindError when an
    explicit kind is not the one answering, UnidentifiedTerminalError when ``auto``
    finds none. An explicit kind that does not answer the identification is trusted.
    """
    auto = requested == AUTO
    if port is not None:
        ports = [port]
    elif not auto:
        ports = [kind_facts(requested).default_port or 0]
    else:
        ports = [facts.default_port for facts in LOCAL_KINDS if facts.default_port is not None]
    sweep = HttpSweep(ports=ports, timeout=deadline)
    address = await resolve_host(host, ports[0])  # the system's resolver, as the terminal's
    for candidate in ports:
        found = await sweep.probe(address, candidate)
        if found is not None:
            break
    else:
        if auto:
            raise UnidentifiedTerminalError(
                f"Nothing at {host} (port {', '.join(map(str, ports))}) answered as a "
                "Kinetic Go 2 or a DeviceService"
            )
        return TerminalKind(requested), port
    if not auto and found.kind != TerminalKind(requested):
        raise WrongKindError(
            f"{host}:{found.port} is a {kind_facts(found.kind).name}, not a "
            + kind_facts(requested).name,
            right_kind=found.kind,
        )
    return found.kind, found.port
