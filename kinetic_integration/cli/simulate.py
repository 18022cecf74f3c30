"""``kinetic simulate``: run a fleet of simulated terminals on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
from collections.abc import Sequence
from typing import Any

from .. import kind_facts
from .output import EXIT_INVALID, EXIT_OK, Output


def add_simulate_parser(simulate: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options to its (already created) parser."""
    simulate.add_argument("--kinetic-go", type=int, default=1, metavar="N")
    simulate.add_argument("--device-service", type=int, default=1, metavar="N")
    simulate.add_argument("--payment-engine", type=int, default=1, metavar="N")
    simulate.add_argument(
        "--bind",
        default="127.0.0.2",
        metavar="ADDRESS",
        help="first address; each terminal gets the next one (default 127.0.0.2)",
    )
    simulate.add_argument(
        "--base-port",
        type=int,
        default=None,
        metavar="PORT",
        help="port for every terminal (default: each kind's own; 0: ephemeral)",
    )
    simulate.add_argument(
        "--no-zeroconf",
        dest="zeroconf",
        action="store_false",
        help="do not advertise the terminals by zeroconf (on the loopback interface)",
    )
    simulate.add_argument(
        "--no-announce",
        dest="announce",
        action="store_false",
        help="do not send UDP announcements (to 127.0.0.1, see --announce-port)",
    )
    simulate.add_argument(
        "--announce-port",
        type=int,
        default=33310,
        metavar="PORT",
        help="port the UDP announcements go to on 127.0.0.1 (default 33310)",
    )
    simulate.add_argument(
        "--allow-remote-control",
        action="store_true",
        help="let clients off this machine use the control API /_sim/ (default: loopback only)",
    )
    simulate.add_argument("--customer-delay", type=float, default=None, metavar="S")
    simulate.add_argument("--duration", type=float, default=None, help=argparse.SUPPRESS)


async def run_simulate(args: argparse.Namespace, out: Output) -> int:
    """Run ``kinetic simulate``: start the fleet, print how to reach it, wait."""
    # Imported here: only this command needs the simulator.
    from ..simulator import Fleet  # noqa: PLC0415
    from ..simulator.control_access import where_control_answers  # noqa: PLC0415

    try:
        first = ipaddress.ip_address(args.bind)
    except ValueError:
        return out.error(f"--bind must be an IP address, got {args.bind!r}", EXIT_INVALID)
    octets = str(first).split(".")
    if first.version != 4 or octets[:3] != ["127", "0", "0"]:
        # Loopback only: the simulators accept any card. The fleet numbers its terminals
        # 127.0.0.N, N+1, ...
        return out.error(
            f"The simulator fleet binds 127.0.0.N (loopback) addresses only, got {first}",
            EXIT_INVALID,
        )
    counts = (args.kinetic_go, args.device_service, args.payment_engine)
    if any(count < 0 for count in counts) or not any(counts):
        return out.error("Give at least one simulated terminal (counts are >= 0)", EXIT_INVALID)
    if args.base_port is not None and not 0 <= args.base_port < 65536:
        return out.error("--base-port must be between 0 and 65535", EXIT_INVALID)
    if not 0 < args.announce_port < 65536:
        return out.error("--announce-port must be between 1 and 65535", EXIT_INVALID)
    kwargs: dict[str, Any] = {
        "first_host": int(octets[3]),
        "port": args.base_port,
        "zeroconf": args.zeroconf,
        "announce": args.announce,
        "announce_target": ("127.0.0.1", args.announce_port),
        "allow_remote_control": args.allow_remote_control,
    }
    if args.customer_delay is not None:
        kwargs["customer_delay"] = args.customer_delay
    try:
        fleet = Fleet(
            kinetic_go=args.kinetic_go,
            device_service=args.device_service,
            payment_engine=args.payment_engine,
            **kwargs,
        )
    except ValueError as err:
        return out.error(str(err), EXIT_INVALID)
    await fleet.start()
    try:
        described = fleet.describe()
        note = where_control_answers(args.allow_remote_control)
        out.emit(
            {"terminals": described, "remote_control": args.allow_remote_control},
            f"{fleet_instructions(described)}\n\n{note}.",
        )
        out.stdout.flush()
        if args.duration is not None:
            await asyncio.sleep(args.duration)
        else:
            await asyncio.Event().wait()
    finally:
        await fleet.stop()
    return EXIT_OK


def fleet_instructions(described: Sequence[dict[str, Any]]) -> str:
    """How to reach each simulated terminal with this CLI, and a sale to try."""
    lines = ["Simulated terminals (Ctrl-C to stop):"]
    first_connect: list[str] | None = None
    for item in described:
        kind = str(item.get("kind"))
        connect = ["kinetic", "--kind", kind]
        if kind_facts(kind).cloud:
            # A cloud API: reached by its base URL, not host and port.
            connect += ["--base-url", str(item.get("base_url"))]
            connect += ["--api-key", str(item["api_key"]), "--pin", str(item.get("pin"))]
            devices = [d for d in item.get("devices") or [] if isinstance(d, dict)]
            if devices and devices[0].get("key"):
                connect += ["--device-key", str(devices[0]["key"])]
        else:
            connect += ["--host", str(item.get("host")), "--port", str(item.get("port"))]
            connect += ["--username", str(item.get("username"))]
            connect += ["--password", str(item.get("password"))]
        first_connect = first_connect or connect
        lines.append(f"- {item.get('name', kind)} ({kind}) at {item.get('url')}")
        lines.append("    " + " ".join(connect) + " status")
    if first_connect is not None:
        lines += [
            "",
            "Take a sale (the cents choose the outcome: .01 declined, .02 PIN, .03 no card,",
            ".04 customer cancels, .05 host error, .06 signature, anything else approved):",
            "    " + " ".join(first_connect) + " sale 12.34",
        ]
    return "\n".join(lines)
