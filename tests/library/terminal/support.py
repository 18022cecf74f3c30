"""Helpers shared by the terminal, journal and CLI tests."""

from __future__ import annotations

import asyncio
import io
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from kinetic_integration.cli import async_main
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.simulator import (
    BaseSimulator,
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.terminal import TerminalConfig
from tests.log_hygiene import register_secret

#: Fast polling so the suite stays quick; the sims answer in well under a second.
FAST = {"poll_interval": 0.02, "request_timeout": 2.0, "recovery_grace": 1.0}


def config_for(sim: BaseSimulator, **overrides: Any) -> TerminalConfig:
    """A TerminalConfig that reaches ``sim`` with its own credentials."""
    described = sim.describe()
    register_secret(*sim.secrets())
    kind = TerminalKind(str(described["kind"]))
    if kind is TerminalKind.PAYMENT_ENGINE:
        config = TerminalConfig(
            kind=kind,
            base_url=str(described["base_url"]),
            api_key=str(described["api_key"]),
            pin=str(described["pin"]),
        )
    else:
        config = TerminalConfig(
            kind=kind,
            host=sim.host,
            port=sim.port,
            username=str(described["username"]),
            password=str(described["password"]),
        )
    return replace(config, **{**FAST, **overrides})


def cli_target(sim: BaseSimulator) -> list[str]:
    """CLI options that select ``sim`` (credentials included, fast polling)."""
    described = sim.describe()
    register_secret(*sim.secrets())
    args = ["--kind", str(described["kind"]), "--poll-interval", "0.02", "--request-timeout", "2"]
    if described["kind"] == TerminalKind.PAYMENT_ENGINE.value:
        return [
            *args,
            "--base-url",
            str(described["base_url"]),
            "--api-key",
            str(described["api_key"]),
            "--pin",
            str(described["pin"]),
        ]
    return [
        *args,
        "--host",
        sim.host,
        "--port",
        str(sim.port),
        "--username",
        str(described["username"]),
        "--password",
        str(described["password"]),
    ]


@dataclass
class CliResult:
    """What one in-process CLI run produced."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        """The one JSON object printed on stdout."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, self.stdout
        return json.loads(lines[0])


async def run_cli(*argv: str) -> CliResult:
    """Run the CLI in-process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    code = await async_main(list(argv), stdout=out, stderr=err)
    return CliResult(code, out.getvalue(), err.getvalue())


_SIM_HOSTS = {
    "kinetic_go": "127.0.0.52",
    "device_service": "127.0.0.53",
    "payment_engine": "127.0.0.54",
}


def make_sim(kind: str, **overrides: Any) -> BaseSimulator:
    """A simulator like the shared fixtures' (fast customer, no rate limit), not started."""
    common: dict[str, Any] = {
        "host": _SIM_HOSTS[kind],
        "port": 0,
        "customer_delay": 0.05,
        "processing_delay": 0.02,
    }
    common.update(overrides)
    if kind == "kinetic_go":
        return KineticGoSimulator(**common)
    if kind == "device_service":
        return DeviceServiceSimulator(**{"stable_wait": 0.3, **common})
    return PaymentEngineSimulator(**common)


KINDS = ["kinetic_go", "device_service", "payment_engine"]


@asynccontextmanager
async def started_sim(kind: str, **overrides: Any) -> AsyncIterator[BaseSimulator]:
    """Start a simulator of ``kind`` and register its secrets for the log scan."""
    sim = make_sim(kind, **overrides)
    async with sim:
        register_secret(*sim.secrets())
        yield sim


async def wait_until(predicate: Callable[[], Awaitable[bool] | bool], within: float = 5.0) -> None:
    """Poll ``predicate`` until it holds, or fail after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            value = predicate()
            if not isinstance(value, bool):
                value = await value
            if value:
                return
            await asyncio.sleep(0.02)


def default_sigint() -> None:
    """Give a child process Python's own Ctrl-C handling back (``preexec_fn``).

    A child inherits an ignored SIGINT (a background job of a script, some CI runners),
    and Python then installs no KeyboardInterrupt handler: a test that presses Ctrl-C
    must not depend on how it was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
