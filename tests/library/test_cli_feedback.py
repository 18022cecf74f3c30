"""The ``kinetic`` command tells people what is going on (issue 15, points 15-20).

Live progress on stderr, receipts by the terminal's own number, the kind asked from
the address, errors that say whether money moved, Ctrl-C and a double start that
still give one truthful answer, and ``discover --interface``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import re
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from kinetic_integration.cli import async_main
from kinetic_integration.journal import (
    JournaledPayments,
    JournalRecord,
    JournalState,
    SqliteJournal,
)
from kinetic_integration.models.common import TransactionType
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator
from kinetic_integration.terminal import create_terminal
from tests.library.terminal.support import (
    cli_target,
    config_for,
    default_sigint,
    make_sim,
    run_cli,
    started_sim,
    wait_until,
)

#: What an exception class name looks like (never shown to a user).
CLASS_NAME = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*(?:Error|Exception)\b")


@pytest.fixture(autouse=True)
def _private_journal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("KINETIC_USERNAME", "KINETIC_PASSWORD", "KINETIC_API_KEY", "KINETIC_PIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KINETIC_JOURNAL", str(tmp_path / "journal.sqlite3"))


def _without_kind(target: list[str]) -> list[str]:
    index = target.index("--kind")
    return target[:index] + target[index + 2 :]


def _with_kind(target: list[str], kind: str) -> list[str]:
    changed = list(target)
    changed[changed.index("--kind") + 1] = kind
    return changed


# --- 15: live progress on stderr ---------------------------------------------------------


async def test_sale_shows_progress_lines_on_stderr_and_only_the_result_on_stdout() -> None:
    async with make_sim("kinetic_go", customer_delay=0.6) as sim:
        result = await run_cli("--json", *cli_target(sim), "sale", "12.34")
        assert result.code == 0, result.stderr
        assert result.json["result"] == "approved"  # exactly one JSON object on stdout
        lines = result.stderr.splitlines()
        assert lines[0].startswith("kinetic: Sale 12.34 ")
        assert result.json["reference"] in lines[0]
        # The terminal's state as it changed, with the elapsed time, one line each.
        states = [re.fullmatch(r"kinetic: (\d+\.\d)s  (.+)", line) for line in lines[1:]]
        assert all(states), lines
        seen = [match.group(2) for match in states if match]
        assert "waiting_for_card" in seen
        assert len(seen) == len(set(seen))  # a line per change, not per poll
        assert float(states[-1].group(1)) >= 0.5  # type: ignore[union-attr]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_sale_on_a_tty_redraws_one_progress_line_and_clears_it() -> None:
    async with make_sim("device_service", customer_delay=0.8) as sim:
        out, err = io.StringIO(), _Tty()
        argv = ["--json", *cli_target(sim), "sale", "2.00"]
        code = await async_main(argv, stdout=out, stderr=err)
        assert code == 0, err.getvalue()
        assert json.loads(out.getvalue())["result"] == "approved"
        header, _, live = err.getvalue().partition("\n")
        assert header.startswith("kinetic: Sale 2.00 ")
        assert "\n" not in live  # one line, redrawn in place
        frames = live.split("\r\x1b[K")
        # Redrawn while the blocking DeviceService request waits (no request for it).
        assert len(frames) > 3
        waited = [re.search(r"(\d+\.\d)s  sending", frame) for frame in frames]
        assert max(float(match.group(1)) for match in waited if match) >= 0.5
        assert live.endswith("\r\x1b[K")  # cleared before the result


async def test_progress_costs_the_terminal_no_extra_request() -> None:
    """``on_progress`` is fed by the polls the wait makes anyway: none is added."""
    requests: list[str] = []

    async def count(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        requests.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(count)  # type: ignore[arg-type]  # aiohttp's Signal typing
    counts: list[int] = []
    seen: list[str] = []
    async with (
        make_sim("payment_engine", customer_delay=0.4) as sim,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
    ):
        for watch in (False, True):
            requests.clear()
            terminal = create_terminal(config_for(sim, poll_interval=0.1), session)
            if watch:
                terminal.on_progress = lambda _op, txn: seen.append(str(txn.status))
            txn = await terminal.sale("3.00")
            assert txn.result.value == "approved"
            counts.append(len(requests))
    # Every answer the wait got was shown (how many depends on the kind's pacing).
    assert len(seen) >= 2
    assert seen[-1] == "transaction complete"
    # Polls follow the customer's timing, so allow one poll of jitter either way.
    assert abs(counts[1] - counts[0]) <= 1, counts


# --- 16: receipt and transaction by the terminal's own id --------------------------------


async def test_receipt_and_transaction_accept_the_terminals_id(
    kinetic_go_sim: KineticGoSimulator, payment_engine_sim: PaymentEngineSimulator
) -> None:
    target = cli_target(kinetic_go_sim)
    sale = await run_cli("--json", *target, "sale", "12.34")
    number = sale.json["terminal_id"]
    assert number
    assert number != sale.json["reference"]
    receipt = await run_cli("--json", *target, "receipt", number)
    assert receipt.code == 0, receipt.stderr
    assert any("12.34" in line for line in receipt.json["lines"])
    lookup = await run_cli("--json", *target, "transaction", number)
    assert lookup.code == 0, lookup.stderr
    assert lookup.json["reference"] == sale.json["reference"]
    pe_target = cli_target(payment_engine_sim)
    pe_sale = await run_cli("--json", *pe_target, "sale", "4.00")
    for identifier in (pe_sale.json["request_key"], pe_sale.json["terminal_id"]):
        found = await run_cli("--json", *pe_target, "transaction", identifier)
        assert found.code == 0, found.stderr
        assert found.json["reference"] == pe_sale.json["reference"]
    helped = await run_cli("receipt", "--help")
    assert "terminal_id" in helped.stdout
    assert "reference" in helped.stdout


# --- 17: the kind asked from the address -------------------------------------------------


async def test_wrong_explicit_kind_exits_three_and_sends_nothing(
    kinetic_go_sim: KineticGoSimulator,
) -> None:
    target = _with_kind(cli_target(kinetic_go_sim), "device-service")
    result = await run_cli("--json", *target, "sale", "1.00")
    assert result.code == 3
    assert result.json["error"] == "wrong_kind"
    assert "is a Kinetic Go 2, not a DeviceService" in result.stderr
    assert "--kind kinetic-go" in result.stderr
    assert kinetic_go_sim.money_requests() == 0


@pytest.mark.parametrize("sim_name", ["kinetic_go", "device_service"])
async def test_kind_auto_is_the_default_and_asks_the_address(sim_name: str) -> None:
    async with started_sim(sim_name) as sim:
        target = _without_kind(cli_target(sim))
        status = await run_cli("--json", *target, "status")
        assert status.code == 0, status.stderr
        assert status.json["kind"] == sim.kind.value
        sale = await run_cli("--json", *target, "sale", "2.00")
        assert sale.code == 0, sale.stderr
        assert sale.json["kind"] == sim.kind.value
        explicit = await run_cli("--json", *_with_kind(cli_target(sim), "auto"), "status")
        assert explicit.json["kind"] == sim.kind.value


async def test_kind_auto_means_the_payment_engine_for_its_options(
    payment_engine_sim: PaymentEngineSimulator,
) -> None:
    result = await run_cli("--json", *_without_kind(cli_target(payment_engine_sim)), "status")
    assert result.code == 0, result.stderr
    assert result.json["kind"] == "payment-engine"


async def test_kind_auto_with_nothing_there_exits_three() -> None:
    sim = make_sim("kinetic_go", host="127.0.0.66")
    async with sim:
        target = _without_kind(cli_target(sim))
    result = await run_cli("--json", *target, "sale", "1.00")
    assert result.code == 3
    assert result.json["error"] == "unidentified"
    assert result.json["money"] == "nothing_sent"


# --- 18: errors say what happened, whether money moved, what to do -----------------------


async def test_errors_say_what_happened_whether_money_moved_and_what_to_do(
    kinetic_go_sim: KineticGoSimulator,
) -> None:
    sim = make_sim("kinetic_go", host="127.0.0.67")
    async with sim:
        gone = cli_target(sim)
    unreachable = await run_cli("--json", *gone, "sale", "1.00")
    assert unreachable.code == 3
    assert unreachable.json["money"] == "not_charged"
    assert "Could not reach the terminal at 127.0.0.67" in unreachable.stderr
    assert "Nothing was charged" in unreachable.stderr
    assert "--host" in unreachable.stderr
    status = await run_cli(*gone, "status")
    assert "No money moved" in status.stderr
    target = cli_target(kinetic_go_sim)
    wrong = list(target)
    wrong[wrong.index("--password") + 1] = "wrong-password"
    refused = await run_cli(*wrong, "sale", "1.00")
    assert refused.code == 3
    assert "rejected the credentials" in refused.stderr
    assert "--username and --password" in refused.stderr
    kinetic_go_sim.inject("busy", path="/api/v2/transactions/sale")
    busy = await run_cli(*target, "sale", "1.00")
    assert "busy" in busy.stderr
    assert "Nothing was charged" in busy.stderr
    invalid = await run_cli(*target, "sale", "-5")
    assert "Nothing was sent" in invalid.stderr
    missing = await run_cli(*target, "receipt", "no-such-transaction")
    assert missing.code == 1
    assert "no such transaction" in missing.stderr
    for result in (unreachable, status, refused, busy, invalid, missing):
        assert not CLASS_NAME.search(result.stderr + result.stdout), result.stderr


async def test_unexpected_failure_never_names_an_exception_class(
    kinetic_go_sim: KineticGoSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_record(self: JournaledPayments, txn: object) -> None:
        raise RuntimeError("a bug after the charge")

    monkeypatch.setattr(JournaledPayments, "_record", broken_record)
    result = await run_cli("--json", *cli_target(kinetic_go_sim), "sale", "1.00")
    assert result.code == 4
    assert result.json["money"] == "unknown"
    assert "check the terminal" in result.stderr
    assert "RuntimeError" not in result.stderr + result.stdout


# --- 19: Ctrl-C and a double start still give one truthful answer ------------------------


async def test_ctrl_c_during_json_sale_prints_one_unknown_object(tmp_path: Path) -> None:
    journal_path = tmp_path / "ctrl-c.sqlite3"
    async with started_sim("kinetic_go", host="127.0.0.68", customer_delay=0) as sim:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kinetic_integration",
            "--json",
            *cli_target(sim),
            "sale",
            "10.00",
            "--reference",
            "till-9",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "KINETIC_JOURNAL": str(journal_path)},
            preexec_fn=default_sigint,
        )
        await wait_until(lambda: sim.money_requests() == 1, within=20)
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
        await sim.customer("present")
    assert process.returncode == 4, stderr.decode()
    lines = stdout.decode().splitlines()
    assert len(lines) == 1, stdout
    data = json.loads(lines[0])
    assert data["result"] == "unknown"  # never "declined": the customer may still pay
    assert data["interrupted"] is True
    assert data["reference"] == "till-9"
    assert data["amount"] == "10.00"
    record = await SqliteJournal(journal_path).get("till-9")
    assert record is not None
    assert record.state is JournalState.SENT  # unresolved: resumed, never sent again


async def test_double_started_identical_sale_is_in_progress_elsewhere(
    kinetic_go_sim: KineticGoSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SqliteJournal(os.environ["KINETIC_JOURNAL"])
    terminal = create_terminal(config_for(kinetic_go_sim))
    async with terminal:
        identity = await terminal.resolve_identity()
    moment = datetime.now(UTC)
    # The other process's record: it claimed the reference and sent the sale.
    await journal.begin(
        JournalRecord(
            reference="dup-1",
            terminal=identity,
            type=TransactionType.SALE,
            amount="2.00",
            state=JournalState.PENDING,
            created_at=moment,
            updated_at=moment,
            claim="the-other-run",
        )
    )
    await journal.update("dup-1", state=JournalState.SENT)
    real_get = SqliteJournal.get
    calls: list[str] = []

    async def read_before_the_other_run_wrote(self: SqliteJournal, reference: str) -> Any:
        # This run read the journal a moment before the other run's record landed.
        calls.append(reference)
        return None if len(calls) == 1 else await real_get(self, reference)

    monkeypatch.setattr(SqliteJournal, "get", read_before_the_other_run_wrote)
    target = cli_target(kinetic_go_sim)
    result = await run_cli("--json", *target, "sale", "2.00", "--reference", "dup-1")
    assert result.code == 5, result.stderr
    assert result.json["error"] == "in_progress_elsewhere"
    assert result.json["money"] == "in_progress_elsewhere"
    assert result.json["reference"] == "dup-1"
    assert "Another run" in result.stderr
    assert kinetic_go_sim.money_requests() == 0
    record = await real_get(journal, "dup-1")
    assert record is not None
    assert record.state is JournalState.SENT  # the other run's record is untouched


# --- 20: discover says where it listens, and --interface chooses --------------------------


def _free_udp_port() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


async def test_discover_interface_listens_there_only() -> None:
    port = _free_udp_port()
    discovered, simulated = await asyncio.gather(
        run_cli(
            "--json",
            "discover",
            "--interface",
            "127.0.0.1",
            "--announce-port",
            port,
            "--no-zeroconf",
            "--timeout",
            "1.0",
        ),
        run_cli(
            "simulate",
            "--bind",
            "127.0.0.75",
            "--base-port",
            "0",
            "--device-service",
            "0",
            "--payment-engine",
            "0",
            "--no-zeroconf",
            "--announce-port",
            port,
            "--duration",
            "1.5",
        ),
    )
    assert simulated.code == 0, simulated.stderr
    assert discovered.code == 0, discovered.stderr
    assert [t["host"] for t in discovered.json] == ["127.0.0.75"]
    assert f"announcements on 127.0.0.1 (UDP port {port})" in discovered.stderr
    assert "every interface" not in discovered.stderr
    everywhere = await run_cli(
        "discover", "--announce-port", _free_udp_port(), "--no-zeroconf", "--timeout", "0.1"
    )
    assert "announcements on every interface" in everywhere.stderr
    refused = await run_cli("discover", "--interface", "eth0", "--no-zeroconf", "--timeout", "0.1")
    assert refused.code == 2


async def test_a_claim_taken_over_before_sending_is_in_progress_elsewhere(
    kinetic_go_sim: KineticGoSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_begin = SqliteJournal.begin

    async def another_run_reclaims(self: SqliteJournal, record: JournalRecord) -> JournalRecord:
        # Right after our claim, an identical command started elsewhere claims it again
        # (nothing was sent yet), so ours must not send.
        ours = await real_begin(self, record)
        await real_begin(self, dataclasses.replace(record, claim="the-other-run"))
        return ours

    monkeypatch.setattr(SqliteJournal, "begin", another_run_reclaims)
    target = cli_target(kinetic_go_sim)
    result = await run_cli("--json", *target, "sale", "2.00", "--reference", "dup-2")
    assert result.code == 5, result.stderr
    assert result.json["money"] == "in_progress_elsewhere"
    assert result.json["reference"] == "dup-2"
    assert kinetic_go_sim.money_requests() == 0
