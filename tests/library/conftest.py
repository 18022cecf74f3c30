"""Fixtures for the library tests: started simulators on distinct loopback addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from tests.log_hygiene import register_secret

CUSTOMER_DELAY = 0.05
PROCESSING_DELAY = 0.02


@pytest.fixture(autouse=True)
def own_cli_journal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test's CLI journal in its own folder, never the user's own.

    The CLI keeps its journal under ``$XDG_STATE_HOME`` (``~/.local/state``); a record
    left there by one test (or by another suite running side by side) must not block
    another's terminal, nor land in the journal of the person running the tests.
    """
    monkeypatch.delenv("KINETIC_JOURNAL", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
async def kinetic_go_sim() -> AsyncIterator[KineticGoSimulator]:
    """A started Kinetic Go 2 simulator on 127.0.0.2 with a fast automatic customer."""
    sim = KineticGoSimulator(
        host="127.0.0.2",
        port=0,
        customer_delay=CUSTOMER_DELAY,
        processing_delay=PROCESSING_DELAY,
    )
    async with sim:
        register_secret(*sim.secrets())
        yield sim
        register_secret(*sim.secrets())


@pytest.fixture
async def device_service_sim() -> AsyncIterator[DeviceServiceSimulator]:
    """A started DeviceService simulator on 127.0.0.3 (GET ?uuid= settles in 0.3 s)."""
    sim = DeviceServiceSimulator(
        host="127.0.0.3",
        port=0,
        customer_delay=CUSTOMER_DELAY,
        processing_delay=PROCESSING_DELAY,
        stable_wait=0.3,
    )
    async with sim:
        register_secret(*sim.secrets())
        yield sim


@pytest.fixture
async def payment_engine_sim() -> AsyncIterator[PaymentEngineSimulator]:
    """A started Payment Engine simulator on 127.0.0.4 without a rate limit."""
    sim = PaymentEngineSimulator(
        host="127.0.0.4",
        port=0,
        customer_delay=CUSTOMER_DELAY,
        processing_delay=PROCESSING_DELAY,
        rate_limit=0,
    )
    async with sim:
        register_secret(*sim.secrets())
        yield sim


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session closed at teardown."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session
