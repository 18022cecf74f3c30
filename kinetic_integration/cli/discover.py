"""``kinetic discover``: find terminals by zeroconf, UDP announcements and an opt-in sweep."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import sys
from typing import IO, Any

from ..discovery import (
    DEFAULT_ANNOUNCE_PORT,
    DEFAULT_SWEEP_PORTS,
    DiscoveredTerminal,
    Discovery,
    DiscoveryEvent,
    sweep_targets,
)
from ..discovery.discovery import DEFAULT_STALE_AFTER
from ..discovery.sweep import DEFAULT_CONCURRENCY, DEFAULT_HOST_TIMEOUT

DEFAULT_LISTEN_SECONDS = 4.0
#: The wildcard address: announcements are heard on every interface.
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - broadcasts reach only a wildcard socket


def _ports(text: str) -> list[int]:
    try:
        ports = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a list of ports: {text}") from err
    if not ports or any(not 0 < port < 65536 for port in ports):
        raise argparse.ArgumentTypeError(f"not a list of ports: {text}")
    return ports


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from err
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def add_discover_parser(subparsers: Any, **parser_options: Any) -> argparse.ArgumentParser:
    """Add ``discover`` to the main CLI's subparsers and return its parser.

    ``parser_options`` go to ``add_parser`` (e.g. ``parents=[...]`` for global options).
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "discover",
        help="find Kinetic terminals on the local network",
        description=(
            "Listen for zeroconf advertisements and UDP announcements and, only when "
            "--network is given, sweep that network over HTTP. Without --interface it "
            "listens on every interface of this machine."
        ),
        **parser_options,
    )
    parser.add_argument(
        "--network",
        action="append",
        metavar="CIDR|auto",
        help="sweep this IPv4 network (repeatable); 'auto' = this host's subnets, max /22",
    )
    parser.add_argument(
        "--ports",
        type=_ports,
        default=list(DEFAULT_SWEEP_PORTS),
        help=f"ports to sweep (default {','.join(map(str, DEFAULT_SWEEP_PORTS))})",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_LISTEN_SECONDS,
        help="seconds to listen before printing (default %(default)s)",
    )
    parser.add_argument(
        "--host-timeout",
        type=_positive,
        default=DEFAULT_HOST_TIMEOUT,
        help="sweep deadline per host:port in seconds (default %(default)s)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help="sweep probes in flight at most (default %(default)s)",
    )
    parser.add_argument("--no-zeroconf", action="store_true", help="do not browse zeroconf")
    parser.add_argument(
        "--no-broadcast", action="store_true", help="do not listen for UDP announcements"
    )
    parser.add_argument(
        "--watch", action="store_true", help="stream added/moved/gone events until interrupted"
    )
    parser.add_argument(
        "--stale-after",
        type=_positive,
        default=DEFAULT_STALE_AFTER,
        help="--watch: seconds of silence before a terminal is gone (default %(default)s)",
    )
    parser.add_argument(
        "--announce-port",
        type=int,
        default=DEFAULT_ANNOUNCE_PORT,
        help="UDP port of the announcements (default %(default)s)",
    )
    parser.add_argument(
        "--interface",
        metavar="IP",
        help="listen only on the interface with this address (announcements and zeroconf; "
        "a socket bound to one address may miss broadcast announcements, unicast ones and "
        "zeroconf still arrive); default: every interface",
    )
    parser.add_argument(
        "--bind",
        default=None,
        help="address the announcement listener binds (default --interface, else 0.0.0.0: "
        "every interface; broadcasts reach only a wildcard socket)",
    )
    parser.add_argument(
        "--zeroconf-interface",
        action="append",
        metavar="IP",
        help="browse zeroconf only on this interface address (repeatable; default all)",
    )
    return parser


def _listening(args: argparse.Namespace) -> tuple[str, list[str] | None]:
    """Return the announcement bind address and the zeroconf interfaces to use."""
    if args.interface is not None:
        ipaddress.IPv4Address(args.interface)  # ValueError: refused before listening
    bind = args.bind or args.interface or EVERY_INTERFACE
    interfaces = args.zeroconf_interface or ([args.interface] if args.interface else None)
    return bind, interfaces


def _where(args: argparse.Namespace, bind: str, interfaces: list[str] | None) -> str:
    """Say on which interfaces discovery listens (printed on stderr)."""
    parts = []
    if not args.no_broadcast:
        where = "every interface" if bind == EVERY_INTERFACE else bind
        parts.append(f"announcements on {where} (UDP port {args.announce_port})")
    if not args.no_zeroconf:
        parts.append(f"zeroconf on {', '.join(interfaces) if interfaces else 'every interface'}")
    if args.network:
        parts.append(f"sweeping {', '.join(args.network)}")
    return "listening for " + "; ".join(parts) if parts else "nothing to listen for"


def _discovery(args: argparse.Namespace, bind: str, interfaces: list[str] | None) -> Discovery:
    network = args.network
    if network:
        sweep_targets(network)  # refuse a bad or oversized network before starting anything
    return Discovery(
        use_zeroconf=not args.no_zeroconf,
        zeroconf_interfaces=interfaces,
        announcements=not args.no_broadcast,
        announce_bind=bind,
        announce_port=args.announce_port,
        network=network,
        sweep_ports=args.ports,
        sweep_concurrency=args.concurrency,
        sweep_timeout=args.host_timeout,
        # Watching re-sweeps often enough that a swept terminal does not look gone.
        sweep_interval=args.stale_after / 2 if args.watch and network else None,
        stale_after=args.stale_after,
    )


def _line(terminal: DiscoveredTerminal) -> str:
    sources = ",".join(sorted(str(s) for s in terminal.sources or {terminal.source}))
    return (
        f"{terminal.kind!s:<15} {terminal.address:<21} {terminal.serial or '-':<16} "
        f"{terminal.name or '-':<20} {sources}"
    )


def _event_line(event: DiscoveryEvent) -> str:
    text = f"{event.type!s:<7} {_line(event.terminal)}"
    if event.previous is not None and event.previous.address != event.terminal.address:
        text += f" (was {event.previous.address})"
    return text


async def run_discover(
    args: argparse.Namespace, stdout: IO[str], stderr: IO[str] | None = None
) -> int:
    """Run ``kinetic discover``; returns the exit code (0 found some, 1 found none).

    What it listens on goes to ``stderr``; what it finds to ``stdout``.
    """
    as_json = bool(getattr(args, "json", False))
    try:
        bind, interfaces = _listening(args)
        discovery = _discovery(args, bind, interfaces)
    except ValueError as err:
        stdout.write(f"error: {err}\n")
        return 2
    (stderr or sys.stderr).write(f"kinetic: {_where(args, bind, interfaces)}\n")
    if args.watch:
        return await _watch(discovery, stdout, as_json=as_json)
    async with discovery:
        if not (args.no_zeroconf and args.no_broadcast):
            await asyncio.sleep(args.timeout)
        # The sweep runs alongside; every probe has its own deadline, so this ends.
        await discovery.sweep_done.wait()
        found = discovery.terminals
    if as_json:
        stdout.write(json.dumps([t.as_dict() for t in found]) + "\n")
    elif found:
        for terminal in found:
            stdout.write(_line(terminal) + "\n")
    else:
        stdout.write("no terminals found\n")
    stdout.flush()
    return 0 if found else 1


async def _watch(discovery: Discovery, stdout: IO[str], *, as_json: bool) -> int:
    def show(event: DiscoveryEvent) -> None:
        if as_json:
            stdout.write(json.dumps(event.as_dict()) + "\n")
        else:
            stdout.write(_event_line(event) + "\n")
        stdout.flush()

    unsubscribe = discovery.subscribe(show)
    try:
        async with discovery:
            # Until interrupted: Ctrl-C cancels this task and the context stops discovery.
            await asyncio.Event().wait()
    finally:
        unsubscribe()
    return 0
