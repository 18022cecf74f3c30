"""A real Home Assistant stopped by SIGTERM in the middle of payments, then started again.

Issue 18's regression tests "with real Home Assistant restarts": a ``hass`` process
(demo/hass.py) with the integration, three simulated terminals in this test process on
their own loopback addresses, and an automation in ``configuration.yaml`` that keeps
every ``kinetic_transaction_completed`` it sees in an ``input_text`` (empty at each
start). What the automation saw is what a restaurant's automations would have seen; the
journal is read from ``.storage/kinetic_journal.db`` as Home Assistant left it on disk.

1. An approved Kinetic Go sale, Home Assistant stopped the moment the terminal reaches
   the result: after the restart the automation sees it (``recovered``), once.
2. The DeviceService answers ``POST Transaction`` with 500, Home Assistant stopped right
   after: after the restart the record is ``not_sent`` (not left ``sent``), no repair
   issue, and the terminal takes the next sale.
3. The Payment Engine's answer to the create request is lost, Home Assistant stopped
   while it searches the open batch: after the restart the sale is found by its order
   id, final and approved, and the automation sees it.

Each start costs 10-20 s, so one configuration serves every case (a module-scoped
fixture); the cases run in file order and each leaves Home Assistant running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from demo.api import DemoUser, HassApi
from demo.config import prepare_config_dir
from demo.hass import HassProcess
from demo.runner import flow_answers
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.simulator.base import BaseSimulator
from tests.log_hygiene import find_secrets

ROOT = Path(__file__).resolve().parents[2]
# Addresses no other test uses: the simulators live in this process.
GO_HOST = "127.0.0.121"
DS_HOST = "127.0.0.122"
PE_HOST = "127.0.0.123"
HASS_HOST = "127.0.0.1"
DS_POST = "/DeviceService/Kinetic/Transaction"
PE_CREATE = "/api/v2/paymentengine/payrequests"
SEEN = "input_text.kinetic_seen"
#: Long enough for a start of Home Assistant plus its startup recovery on a busy machine.
RECOVERY_WITHIN = 90.0

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.asyncio(loop_scope="module"),
]

# No default_config: it would look beyond loopback. The automation appends what it sees,
# "reference|result|recovered", to an input_text that is empty at every start.
CONFIGURATION_YAML = """\
# Written by tests/e2e/test_real_restart.py.
homeassistant:
  name: Restart test
  time_zone: UTC
  country: GB
  currency: GBP
  unit_system: metric
  language: en

http:
  server_host: @HOST@
  server_port: @PORT@

frontend:
config:

logger:
  default: warning
  logs:
    custom_components.kinetic: debug
    kinetic_integration: debug

input_text:
  kinetic_seen:
    name: Kinetic outcomes seen by an automation
    max: 255
    initial: ""

automation:
  - id: kinetic_seen
    alias: Keep every Kinetic outcome
    mode: queued
    triggers:
      - trigger: event
        event_type: kinetic_transaction_completed
    actions:
      - action: input_text.set_value
        target:
          entity_id: input_text.kinetic_seen
        data:
          value: >-
            {{ (states('input_text.kinetic_seen') ~ ' ' ~ trigger.event.data.reference
            ~ '|' ~ trigger.event.data.result ~ '|' ~ trigger.event.data.recovered)[-255:]
            | trim }}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HASS_HOST, 0))
        return int(probe.getsockname()[1])


class SearchedPaymentEngine(PaymentEngineSimulator):
    """The Payment Engine simulator, counting searches of the open batch."""

    def __init__(self, **settings: Any) -> None:
        """Create the simulator; nothing searched yet."""
        super().__init__(**settings)
        self.batch_searches = 0

    async def _batch_transactions(self, request: web.Request) -> web.Response:
        self.batch_searches += 1
        return await super()._batch_transactions(request)


@dataclass
class World:
    """Home Assistant, its API, the simulated terminals and what it logged so far."""

    config_dir: Path
    hass: HassProcess
    api: HassApi
    go: KineticGoSimulator
    ds: DeviceServiceSimulator
    pe: SearchedPaymentEngine
    #: The ``kinetic`` device id of each simulator's entry.
    devices: dict[str, str] = field(default_factory=dict)
    #: ``home-assistant.log`` of every run so far (each start rolls the file over).
    logs: list[str] = field(default_factory=list)

    @property
    def simulators(self) -> list[BaseSimulator]:
        """Every simulated terminal."""
        return [self.go, self.ds, self.pe]

    async def start(self) -> None:
        """Start Home Assistant and wait until every entry is loaded (recovery ran)."""
        await self.hass.start()
        await until(self._all_loaded, within=RECOVERY_WITHIN, what="every entry loaded")

    async def running(self) -> None:
        """Start Home Assistant if a case before left it stopped (it failed midway)."""
        if not self.hass.running:
            await self.stop()
            await self.start()

    async def _all_loaded(self) -> bool:
        entries = await self.api.entries()
        return len(entries) == 3 and all(entry["state"] == "loaded" for entry in entries)

    async def stop(self) -> int | None:
        """Wait for Home Assistant to stop (SIGTERM if not sent yet); keep its log."""
        code = await self.hass.stop(within=60)
        log = self.config_dir / "home-assistant.log"
        if code is not None and log.exists():
            self.logs.append(log.read_text(encoding="utf-8", errors="replace"))
        return code

    def journal(self) -> dict[str, dict[str, Any]]:
        """The journal as stored on disk, by reference."""
        path = self.config_dir / ".storage" / "kinetic_journal.db"
        # Read-only, as another process: what is committed (WAL included) is there.
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM intents").fetchall()
        return {
            row["reference"]: {**dict(row), "details": json.loads(row["details"] or "{}")}
            for row in rows
        }

    async def seen(self) -> list[str]:
        """What the automation saw since Home Assistant started: "reference|result|recovered"."""
        state = await self.api.state(SEEN)
        return str(state["state"]).split()

    async def sale(self, kind: str, amount: str, table: str, *, wait: bool) -> dict[str, Any]:
        """Start a sale through the REST API, as a dashboard button's action does."""
        answer: dict[str, Any] = await self.api.call_service(
            "kinetic",
            "start_sale",
            {"device_id": self.devices[kind], "amount": amount, "table": table, "wait": wait},
            return_response=True,
        )
        return answer

    async def repair_issues(self) -> list[str]:
        """The integration's repair issues (ids)."""
        issues = await self.api.websocket({"type": "repairs/list_issues"})
        return [issue["issue_id"] for issue in issues["issues"] if issue["domain"] == "kinetic"]


async def until(
    check: Callable[[], bool | Awaitable[bool]],
    *,
    within: float,
    what: str,
    step: float = 0.1,
) -> None:
    """Poll ``check`` until it holds; fail saying ``what`` did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if loop.time() > deadline:
            pytest.fail(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(step)


async def _device_ids(api: HassApi) -> dict[str, str]:
    """Map each kinetic config entry id to its device id (from the entities' devices)."""
    rendered = await api.render(
        "{% for e in integration_entities('kinetic') %}"
        "{{ config_entry_id(e) }}={{ device_id(e) }};{% endfor %}"
    )
    pairs = (item.split("=", 1) for item in rendered.split(";") if "=" in item)
    return {entry: device for entry, device in pairs if device and device != "None"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Home Assistant with the three terminals added through the config flow, running."""
    config_dir = tmp_path_factory.mktemp("real-restart") / "homeassistant"
    config_dir.mkdir(parents=True)
    port = _free_port()
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION_YAML.replace("@HOST@", HASS_HOST).replace("@PORT@", str(port)),
        encoding="utf-8",
    )
    # The configuration above is kept; this links the integration in.
    prepare_config_dir(config_dir, host=HASS_HOST, port=port)
    go = KineticGoSimulator(host=GO_HOST, customer_delay=1.0, processing_delay=0.05)
    ds = DeviceServiceSimulator(
        host=DS_HOST, customer_delay=0.3, processing_delay=0.05, stable_wait=0.3
    )
    pe = SearchedPaymentEngine(
        host=PE_HOST, customer_delay=2.0, processing_delay=0.05, rate_limit=0
    )
    async with contextlib.AsyncExitStack() as stack:
        for sim in (go, ds, pe):
            await sim.start()
            stack.push_async_callback(sim.stop)
        out = stack.enter_context((config_dir / "hass.out").open("ab"))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        url = f"http://{HASS_HOST}:{port}"
        hass = HassProcess(config_dir, url=url, log=out)
        api = HassApi(session, url)
        found = World(config_dir=config_dir, hass=hass, api=api, go=go, ds=ds, pe=pe)
        stack.push_async_callback(found.stop)
        await hass.start()
        await api.create_owner(DemoUser())
        entry_of: dict[str, str] = {}
        for kind, sim in (("go", go), ("ds", ds), ("pe", pe)):
            created = await api.add_entry(flow_answers(sim.describe()))
            entry_of[kind] = created["result"]["entry_id"]
        await until(found._all_loaded, within=RECOVERY_WITHIN, what="every entry loaded")
        devices = await _device_ids(api)
        found.devices = {kind: devices[entry_id] for kind, entry_id in entry_of.items()}
        yield found


async def _restart(world: World) -> float:
    """Wait for the stop already asked for, check it was orderly, start again; return s."""
    assert await world.stop() == 0, "Home Assistant did not stop in order after SIGTERM"
    began = time.monotonic()
    await world.start()
    return time.monotonic() - began


async def test_approved_sale_stopped_at_its_answer_reaches_the_automation(world: World) -> None:
    """SIGTERM the moment the Kinetic Go approves: the automation sees it after the start."""
    go = world.go
    await world.running()
    stopped = asyncio.Event()

    def stop_now(_transaction_id: str) -> None:
        # Called by the simulated terminal as it reaches the result, before anyone asks.
        go.on_final = None
        world.hass.terminate()
        stopped.set()

    go.on_final = stop_now
    answer = await world.sale("go", "18.00", "12", wait=False)
    assert answer["result"] == "pending"
    reference = answer["reference"]
    await asyncio.wait_for(stopped.wait(), 30)
    assert await world.stop() == 0

    # Stopped before anything was announced (else this case would test nothing): the
    # record is "sent" (the result never heard) or "final" (written, not announced).
    before = world.journal()[reference]
    assert before["state"] in ("sent", "final")
    assert before["details"].get("announced") is not True

    await world.start()
    expected = f"{reference}|approved|True"
    await until(
        lambda: _contains(world, expected),
        within=RECOVERY_WITHIN,
        what=f"the automation saw {expected}",
    )
    await until(
        lambda: world.journal()[reference]["details"].get("announced") is True,
        within=10,
        what="the journal notes the announcement",
    )
    record = world.journal()[reference]
    assert (record["state"], record["result"]) == ("final", "approved")
    assert record["details"]["table"] == "12"
    assert [seen for seen in await world.seen() if seen.startswith(reference)] == [expected]
    assert go.money_requests() == 1
    assert [charge.amount for charge in go.charges()] == [Decimal("18.00")]


async def _contains(world: World, expected: str) -> bool:
    return expected in await world.seen()


async def test_device_service_error_answer_then_stop_settles_not_charged(world: World) -> None:
    """POST Transaction answers 500, SIGTERM right after: not_sent, no issue, next sale ok."""
    ds = world.ds
    await world.running()
    ds.inject("error_500", path=DS_POST)
    answer = await world.sale("ds", "30.00", "3", wait=False)
    reference = answer["reference"]
    await until(lambda: ds.money_requests() >= 1, within=30, what="the POST", step=0.002)
    world.hass.terminate()
    assert await world.stop() == 0

    # Stopped before Home Assistant concluded anything from the 500 (that takes >= 1 s).
    before = world.journal()[reference]
    assert before["state"] == "sent"

    await world.start()
    record = world.journal()[reference]
    assert record["state"] == "not_sent", record
    assert record["result"] is None
    assert f"unknown_outcome_{reference}" not in await world.repair_issues()
    await until(
        lambda: _contains(world, f"{reference}|error|True"),
        within=RECOVERY_WITHIN,
        what="the automation saw the recovered error",
    )
    assert ds.charges() == []

    # The terminal is not blocked: the same table's sale goes through.
    again = await world.sale("ds", "30.00", "3", wait=True)
    assert again["result"] == "approved"
    assert ds.money_requests() == 2
    assert len(ds.charges()) == 1
    await until(
        lambda: _contains(world, f"{again['reference']}|approved|False"),
        within=10,
        what="the automation saw the new sale",
    )


async def test_payment_engine_lost_answer_then_stop_is_found_by_order_id(world: World) -> None:
    """The create answer is lost, SIGTERM while searching the batch: found, final, seen."""
    pe = world.pe
    await world.running()
    pe.inject("drop_after_accept", path=PE_CREATE)
    searches = pe.batch_searches
    answer = await world.sale("pe", "22.00", "9", wait=False)
    reference = answer["reference"]
    await until(
        lambda: pe.batch_searches > searches,
        within=30,
        what="Home Assistant searched the open batch for the lost request",
        step=0.005,
    )
    world.hass.terminate()
    assert await world.stop() == 0

    # Nothing named the request: the journal has no key to look it up by.
    before = world.journal()[reference]
    assert (before["state"], before["terminal_id"]) == ("sent", None)

    await world.start()
    expected = f"{reference}|approved|True"
    await until(
        lambda: _contains(world, expected),
        within=RECOVERY_WITHIN,
        what=f"the automation saw {expected}",
    )
    record = world.journal()[reference]
    assert (record["state"], record["result"]) == ("final", "approved")
    # What an operator asks: kinetic.get_transaction.
    looked_up = await world.api.call_service(
        "kinetic", "get_transaction", {"reference": reference}, return_response=True
    )
    assert (looked_up["state"], looked_up["result"], looked_up["amount"]) == (
        "final",
        "approved",
        "22.00",
    )
    assert looked_up["table"] == "9"
    assert f"unknown_outcome_{reference}" not in await world.repair_issues()
    assert pe.money_requests() == 1
    assert len(pe.charges()) == 1


# One record of home-assistant.log: "2026-12-02 09:00:00.123 ERROR (MainThread) [logger] ..."
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) \([^)]*\) \[([^\]]+)\]")
_OURS = ("custom_components.kinetic", "kinetic_integration")
_US = re.compile(r"\bkinetic", re.IGNORECASE)


def _records(log: str) -> list[tuple[str, str, str]]:
    """Split a log into (level, logger, text) records, tracebacks kept with theirs."""
    records: list[tuple[str, str, str]] = []
    for line in log.splitlines():
        match = _RECORD.match(line)
        if match is not None:
            records.append((match.group(1), match.group(2), line))
        elif records:
            level, logger, text = records[-1]
            records[-1] = (level, logger, f"{text}\n{line}")
    return records


async def test_home_assistant_log_has_no_error_of_ours(world: World) -> None:
    """Across every run: no error or traceback of ours, no deprecation, no secret."""
    await world.stop()
    assert len(world.logs) >= 4, "every case stopped and started Home Assistant"
    bad: list[str] = []
    for log in world.logs:
        for level, logger, text in _records(log):
            ours = logger.startswith(_OURS)
            # The repository's own path (its virtualenv's too) says nothing about us.
            mentions_us = _US.search(text.replace(str(ROOT), "<repository>")) is not None
            if (ours and level in ("ERROR", "CRITICAL")) or ("Traceback" in text and mentions_us):
                bad.append(text)
            elif (
                level in ("WARNING", "ERROR", "CRITICAL")
                and not ours
                and mentions_us
                # Said of every custom integration at every start.
                and "has not been tested by Home Assistant" not in text
            ):
                # Deprecation reports, tasks that outlived the stop, slow setups.
                bad.append(text)
    assert bad == [], "\n\n".join(bad)
    secrets = {secret for sim in world.simulators for secret in sim.secrets()}
    lines = [line for log in world.logs for line in log.splitlines()]
    assert any("[kinetic_integration" in line for line in lines), "DEBUG logs were kept"
    assert find_secrets(lines, secrets) == []
