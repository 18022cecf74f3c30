"""Start the demo's pieces in order and stop them in reverse: fleet, Home Assistant, setup."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from kinetic_integration import kind_facts
from kinetic_integration.simulator import BaseSimulator, Fleet

from .api import DemoUser, HassApi
from .config import DEFAULT_CONFIG_DIR, prepare_config_dir
from .hass import HassProcess


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """Where and how the demo runs (the defaults are ``scripts/develop``'s)."""

    config_dir: Path = DEFAULT_CONFIG_DIR
    hass_host: str = "127.0.0.1"
    hass_port: int = 8123
    #: The fleet takes 127.0.0.<first_host> upwards, one address per terminal.
    first_host: int = 2
    #: None: each kind's usual port; 0: ephemeral ports (tests).
    terminal_port: int | None = None
    #: 0 leaves the customer to you (the virtual terminal page); > 0 pays after that long.
    customer_delay: float = 0.0
    advertise: bool = True
    announce_port: int = 33310
    hass: bool = True
    #: Log the integration and the library at DEBUG in home-assistant.log (the browser test
    #: scans it for secrets).
    debug_log: bool = False
    user: DemoUser = field(default_factory=DemoUser)


@dataclass(slots=True)
class Demo:
    """What is running, for printing and for the end-to-end test."""

    settings: DemoSettings
    fleet: Fleet
    hass_url: str | None = None
    #: The version of the Home Assistant started (the newest, or the declared minimum).
    hass_version: str | None = None
    new_config: bool = False
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: Signed in as the demo user while the demo runs.
    api: HassApi | None = None

    @property
    def dashboard_url(self) -> str | None:
        """The example dashboard in Home Assistant."""
        return f"{self.hass_url}/kinetic-demo/0" if self.hass_url else None

    @staticmethod
    def terminal_page(sim: BaseSimulator) -> str:
        """Return the virtual terminal page of one simulated terminal."""
        return f"{sim.url}/_sim/ui"


class PortInUseError(RuntimeError):
    """Something already listens where Home Assistant should."""


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUseError(
                f"{host}:{port} is already in use (is another demo or Home Assistant running?)"
            ) from None


def flow_answers(described: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the answers a person gives the config flow to add one simulated terminal."""
    facts = kind_facts(str(described["kind"]))
    # The config flow has one menu step per kind, named after it.
    step = {"next_step_id": str(facts.kind).replace("-", "_")}
    if facts.cloud:
        devices = described["devices"]
        return [
            step,
            {
                "api_key": described["api_key"],
                "pin": described["pin"],
                "sandbox": False,
                "base_url": described["base_url"],
            },
            {"device_key": devices[0]["key"]},
        ]
    return [
        step,
        {
            "host": described["host"],
            "port": described["port"],
            "username": described["username"],
            "password": described["password"],
        },
    ]


async def _configure(demo: Demo, api: HassApi) -> None:
    """Onboard, sign in, and add the fleet unless the integration has entries already.

    A second run keeps what the first made (and what you changed since): terminals are
    added only while the integration has none.
    """
    await api.onboard(demo.settings.user)
    await api.confirm_http_config()
    demo.entries = await api.entries()
    if demo.entries:
        return
    for described in demo.fleet.describe():
        await api.add_entry(flow_answers(described))
    demo.entries = await api.entries()


@contextlib.asynccontextmanager
async def run_demo(settings: DemoSettings) -> AsyncIterator[Demo]:
    """Run the fleet and (unless ``settings.hass`` is false) Home Assistant, set up."""
    if settings.hass:
        _check_port_free(settings.hass_host, settings.hass_port)
    fleet = Fleet(
        kinetic_go=2,
        device_service=1,
        payment_engine=1,
        first_host=settings.first_host,
        port=settings.terminal_port,
        customer_delay=settings.customer_delay,
        zeroconf=settings.advertise,
        announce=settings.advertise,
        announce_target=("127.0.0.1", settings.announce_port),
    )
    demo = Demo(settings=settings, fleet=fleet)
    async with contextlib.AsyncExitStack() as stack:
        await fleet.start()
        stack.push_async_callback(fleet.stop)
        if settings.hass:
            demo.new_config = prepare_config_dir(
                settings.config_dir,
                host=settings.hass_host,
                port=settings.hass_port,
                log_level="debug" if settings.debug_log else "info",
            )
            log = stack.enter_context((settings.config_dir / "hass.out").open("wb"))
            url = f"http://{settings.hass_host}:{settings.hass_port}"
            hass = HassProcess(settings.config_dir, url=url, log=log)
            stack.push_async_callback(hass.stop)
            await hass.start()
            session = await stack.enter_async_context(aiohttp.ClientSession())
            demo.api = HassApi(session, url)
            await _configure(demo, demo.api)
            demo.hass_version = await demo.api.version()
            demo.hass_url = url
        yield demo
