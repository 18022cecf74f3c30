"""Small helpers for the simulator's own tests (raw aiohttp, no library client)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp

from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

DS_BASE = "/DeviceService/Kinetic"


def go_auth(sim: KineticGoSimulator) -> aiohttp.BasicAuth:
    """The Go simulator's credentials."""
    return aiohttp.BasicAuth(str(sim.describe()["username"]), str(sim.describe()["password"]))


def ds_auth(sim: DeviceServiceSimulator) -> aiohttp.BasicAuth:
    """The DeviceService simulator's credentials."""
    return aiohttp.BasicAuth(str(sim.describe()["username"]), str(sim.describe()["password"]))


def pe_auth(sim: PaymentEngineSimulator, seed: str = "s33d") -> aiohttp.BasicAuth:
    """Payment Engine credentials built the way the official SDK does."""
    return aiohttp.BasicAuth(sim.api_key, sim.auth_password(seed))


async def read(response: aiohttp.ClientResponse) -> Any:
    """The body as JSON with Decimal numbers."""
    return json.loads(await response.text(), parse_float=Decimal)


async def wait_until(check: Callable[[], bool], within: float = 3.0) -> None:
    """Poll ``check`` until true or fail."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
