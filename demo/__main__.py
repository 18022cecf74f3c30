"""``python -m demo`` (what ``scripts/develop`` runs): the demo until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from kinetic_integration.cli import fleet_instructions

from .api import DemoSetupError
from .config import DEFAULT_CONFIG_DIR, is_new_config_dir
from .hass import HassStartError
from .runner import Demo, DemoSettings, PortInUseError, run_demo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="A simulated terminal fleet and Home Assistant with the integration, "
        "on loopback.",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=DEFAULT_CONFIG_DIR,
        help="Home Assistant's configuration directory (default .demo/homeassistant; reused)",
    )
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port (8123)")
    parser.add_argument(
        "--no-hass",
        dest="hass",
        action="store_false",
        help="only the simulated fleet, without Home Assistant",
    )
    parser.add_argument(
        "--customer-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="the simulated customer pays by itself after S seconds (default 0: you act as the "
        "customer on the virtual terminal page)",
    )
    parser.add_argument(
        "--terminal-port",
        type=int,
        default=None,
        metavar="PORT",
        help="one port for every simulated terminal (0: ephemeral; default: each kind's own)",
    )
    parser.add_argument(
        "--no-advertise",
        dest="advertise",
        action="store_false",
        help="do not advertise the terminals (zeroconf and UDP announcements on loopback)",
    )
    parser.add_argument("--duration", type=float, default=None, help=argparse.SUPPRESS)
    return parser


def summary(demo: Demo) -> str:
    """Describe what is running and how to use it."""
    lines: list[str] = []
    if demo.hass_url:
        user = demo.settings.user
        shown = demo.hass_url.replace("127.0.0.1", "localhost")
        lines += [
            f"Home Assistant {demo.hass_version}: {shown}",
            f"  sign in as {user.username!r} with password {user.password!r}",
            f"  dashboard:    {shown}/kinetic-demo/0",
            f"  devices:      {shown}/config/integrations/integration/kinetic",
            f"  config:       {demo.settings.config_dir} (kept; delete it to start afresh)",
            "",
        ]
    lines.append("Virtual terminals (act as the customer here):")
    for sim in demo.fleet.simulators:
        lines.append(f"  {sim.name:<36} {sim.kind!s:<15} {Demo.terminal_page(sim)}")
    lines.append("")
    if demo.hass_url:
        lines += [
            "Try: on the dashboard press 'Charge table 5', then 'Tap' on the page of",
            "Kinetic Go 2 KG2SIM0001.",
            "The cents choose the outcome when the customer is automatic (.01 declined, .02 PIN,",
            ".03 no card, .04 cancels, .05 host error, .06 signature).",
        ]
    else:
        lines.append(fleet_instructions(demo.fleet.describe()))
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def start_message(config_dir: Path) -> str:
    """Say what starts; the slow first start (a new configuration) says it takes a minute."""
    if is_new_config_dir(config_dir):
        return "Starting the simulated fleet and Home Assistant (the first start takes a minute)..."
    return "Starting the simulated fleet and Home Assistant..."


async def _main(args: argparse.Namespace) -> int:
    settings = DemoSettings(
        config_dir=args.config_dir.resolve(),
        hass_port=args.port,
        terminal_port=args.terminal_port,
        customer_delay=args.customer_delay,
        advertise=args.advertise,
        hass=args.hass,
    )
    if args.hass:
        print(start_message(settings.config_dir))
    stop = asyncio.Event()
    ready = False
    task = asyncio.current_task()
    assert task is not None

    def on_signal() -> None:
        # Running: leave the wait below. Still starting: cancel the start; either way
        # run_demo stops what it started, in order (Home Assistant, then the fleet).
        stop.set()
        if not ready:
            task.cancel()

    loop = asyncio.get_running_loop()
    # Also where SIGINT came in ignored (started in the background by a shell).
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        async with run_demo(settings) as demo:
            ready = True
            print(summary(demo), flush=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.duration)
    except (PortInUseError, HassStartError, DemoSetupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        # A simulated terminal's address is taken (most often: a demo already runs).
        print(f"error: cannot start the simulated fleet: {err}", file=sys.stderr)
        print("Is scripts/develop already running? Stop it first.", file=sys.stderr)
        return 1
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
    print("\nStopped.")
    return 0


def main() -> int:
    """Run until Ctrl-C (or ``--duration``), then stop everything that was started."""
    return asyncio.run(_main(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
