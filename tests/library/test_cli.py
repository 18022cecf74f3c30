"""The ``kinetic`` command: output shapes, exit codes and the no-double-charge contract."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kinetic_integration.cli import async_main, default_journal_path
from kinetic_integration.journal import SqliteJournal
from kinetic_integration.simulator import (
    BaseSimulator,
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.terminal import create_terminal
from tests.library.terminal.support import (
    KINDS,
    cli_target,
    config_for,
    make_sim,
    run_cli,
    started_sim,
    wait_until,
)


@pytest.fixture(params=KINDS)
async def any_sim(request: pytest.FixtureRequest) -> AsyncIterator[BaseSimulator]:
    """Each kind of simulator in turn."""
    async with started_sim(request.param) as sim:
        yield sim


TRANSACTION_KEYS = {"reference", "result", "amount", "auth_code", "masked_pan", "type", "kind"}


@pytest.fixture(autouse=True)
def _no_env_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("KINETIC_USERNAME", "KINETIC_PASSWORD", "KINETIC_API_KEY", "KINETIC_PIN"):
        monkeypatch.delenv(name, raising=False)
    # Never touch the real journal of whoever runs the tests.
    monkeypatch.setenv("KINETIC_JOURNAL", str(tmp_path / "journal.sqlite3"))


async def test_status_json_shape(any_sim: BaseSimulator) -> None:
    result = await run_cli(*cli_target(any_sim), "status", "--json")
    assert result.code == 0, result.stderr
    data = result.json
    assert data["kind"] == any_sim.kind.value
    assert data["online"] is True
    assert data["busy"] is False
    assert isinstance(data["screen"], str)
    assert data["offline_count"] is None or isinstance(data["offline_count"], int)
    assert data["serial"] is None or isinstance(data["serial"], str)
    human = await run_cli(*cli_target(any_sim), "status")
    assert human.code == 0
    assert "online" in human.stdout


async def test_sale_json_shape_and_exit_zero(any_sim: BaseSimulator) -> None:
    result = await run_cli("--json", *cli_target(any_sim), "sale", "12.34")
    assert result.code == 0, result.stderr
    data = result.json
    assert data.keys() >= TRANSACTION_KEYS
    assert data["result"] == "approved"
    assert data["amount"] == "12.34"
    assert data["auth_code"]
    assert "0119" in data["masked_pan"]
    assert len(any_sim.charges()) == 1


async def test_declined_exits_one(any_sim: BaseSimulator) -> None:
    result = await run_cli("--json", *cli_target(any_sim), "sale", "3.01")
    assert result.code == 1
    assert result.json["result"] == "declined"
    assert any_sim.charges() == []


@pytest.mark.parametrize("amount", ["0", "-1", "1.234", "abc", "500.01"])
async def test_invalid_amount_exits_two_and_sends_nothing(
    any_sim: BaseSimulator, amount: str
) -> None:
    result = await run_cli(*cli_target(any_sim), "sale", amount)
    assert result.code == 2
    assert "amount" in result.stderr
    assert any_sim.money_requests() == 0


async def test_max_amount_option(kinetic_go_sim: KineticGoSimulator) -> None:
    result = await run_cli(*cli_target(kinetic_go_sim), "--max-amount", "10", "sale", "10.01")
    assert result.code == 2
    assert "cap" in result.stderr
    assert kinetic_go_sim.money_requests() == 0


@pytest.mark.parametrize(
    ("sim_name", "argv"),
    [
        ("device_service", ["refund", "1.00"]),
        ("device_service", ["sale", "1.00", "--tip", "1.00"]),
        ("device_service", ["reconciliation"]),
        ("device_service", ["receipt", "d9c95df1-b52c-4a44-aa52-ed4b3fd61cee"]),
        ("payment_engine", ["print", "x"]),
        ("payment_engine", ["reversal", "abc"]),
        ("payment_engine", ["offline-count"]),
        ("kinetic_go", ["cancel", "pr_abc"]),
        ("kinetic_go", ["offline-send"]),
    ],
)
async def test_unsupported_command_exits_two(sim_name: str, argv: list[str]) -> None:
    async with started_sim(sim_name) as sim:
        result = await run_cli("--json", *cli_target(sim), *argv)
        assert result.code == 2
        assert "cannot" in result.stderr
        assert result.json["error"] == "unsupported"
        assert sim.money_requests() == 0


async def test_unreachable_terminal_exits_three() -> None:
    sim = make_sim("kinetic_go", host="127.0.0.65")
    async with sim:
        target = cli_target(sim)
    for argv in (["sale", "1.00"], ["status"], ["sale", "1.00", "--reference", "ref-1"]):
        result = await run_cli(*target, *argv)
        assert result.code == 3, (argv, result.stderr)
        assert "kinetic:" in result.stderr


async def test_wrong_credentials_exit_three(kinetic_go_sim: KineticGoSimulator) -> None:
    target = cli_target(kinetic_go_sim)
    target[target.index("--password") + 1] = "wrong-password"
    result = await run_cli(*target, "sale", "1.00")
    assert result.code == 3
    assert kinetic_go_sim.charges() == []


async def test_busy_terminal_exits_three(kinetic_go_sim: KineticGoSimulator) -> None:
    kinetic_go_sim.inject("busy", path="/api/v2/transactions/sale")
    result = await run_cli("--json", *cli_target(kinetic_go_sim), "sale", "1.00")
    assert result.code == 3
    assert result.json["error"] == "busy"


async def test_unknown_exits_four_and_resume_charges_once() -> None:
    async with make_sim("kinetic_go", customer_delay=0) as sim:
        target = cli_target(sim)
        first = await run_cli("--json", *target, "sale", "8.00", "--timeout", "0.3")
        assert first.code == 4
        reference = first.json["reference"]
        assert first.json["result"] == "unknown"
        assert reference in first.stderr
        human = await run_cli(*target, "sale", "7.00")
        # The terminal has an unresolved transaction: refused, naming it.
        assert human.code == 2
        assert reference in human.stderr
        await sim.customer("present")
        again = await run_cli("--json", *target, "sale", "8.00", "--reference", reference)
        assert again.code == 0, again.stderr
        assert again.json["reference"] == reference
        assert again.json["result"] == "approved"
        assert len(sim.charges()) == 1
        assert sim.money_requests() == 1
        # Asking once more still reports the same transaction.
        third = await run_cli("--json", *target, "sale", "8.00", "--reference", reference)
        assert third.code == 0
        assert third.json["auth_code"] == again.json["auth_code"]
        assert sim.money_requests() == 1


async def test_unknown_is_printed_for_humans() -> None:
    async with make_sim("device_service", customer_delay=0) as sim:
        result = await run_cli(*cli_target(sim), "sale", "8.00", "--timeout", "0.3")
        assert result.code == 4
        assert "UNKNOWN" in result.stdout
        assert "--reference" in result.stdout
        await sim.customer("present")


async def test_lost_response_is_recovered_through_the_cli(
    kinetic_go_sim: KineticGoSimulator,
) -> None:
    kinetic_go_sim.inject("drop_after_accept", path="/api/v2/transactions/sale")
    result = await run_cli("--json", *cli_target(kinetic_go_sim), "sale", "5.00")
    assert result.code == 0, result.stderr
    assert len(kinetic_go_sim.charges()) == 1
    assert kinetic_go_sim.money_requests() == 1


async def test_payment_engine_timeout_exits_one_without_new_request(
    payment_engine_sim: PaymentEngineSimulator,
) -> None:
    result = await run_cli(
        "--json", *cli_target(payment_engine_sim), "sale", "4.03", "--timeout", "1"
    )
    assert result.code == 1
    assert result.json["result"] == "timeout"
    assert result.json["request_key"].startswith("pr_")
    assert payment_engine_sim.money_requests() == 1


async def test_payment_engine_lost_create_is_found_and_never_recreated(
    payment_engine_sim: PaymentEngineSimulator,
) -> None:
    payment_engine_sim.inject("drop_after_accept", path="/api/v2/paymentengine/payrequests")
    target = cli_target(payment_engine_sim)
    first = await run_cli("--json", *target, "sale", "4.00", "--reference", "order-9")
    assert first.code == 0
    assert first.json["reference"] == "order-9"
    assert first.json["result"] == "approved"
    again = await run_cli("--json", *target, "sale", "4.00", "--reference", "order-9")
    assert again.code == 0
    assert payment_engine_sim.money_requests() == 1


async def test_payment_commands_json(kinetic_go_sim: KineticGoSimulator, tmp_path: Path) -> None:
    target = cli_target(kinetic_go_sim)
    sale = await run_cli("--json", *target, "sale", "10.00", "--tip", "1.00")
    assert sale.code == 0
    assert sale.json["tip"] == "1.00"
    refund = await run_cli("--json", *target, "refund", "2.00")
    assert refund.code == 0
    assert refund.json["type"] == "refund"
    assert refund.json["amount"] == "2.00"
    reversal = await run_cli("--json", *target, "reversal", sale.json["reference"])
    assert reversal.code == 0
    assert reversal.json["type"] == "reversal"
    reconciliation = await run_cli("--json", *target, "reconciliation")
    assert reconciliation.code == 0
    assert reconciliation.json["type"] == "reconciliation"
    lookup = await run_cli("--json", *target, "transaction", sale.json["reference"])
    assert lookup.code == 0
    assert lookup.json["reference"] == sale.json["reference"]
    assert lookup.json["result"] == "approved"


async def test_receipt_and_print_json(kinetic_go_sim: KineticGoSimulator) -> None:
    target = cli_target(kinetic_go_sim)
    sale = await run_cli("--json", *target, "sale", "12.34")
    reference = sale.json["reference"]
    receipt = await run_cli("--json", *target, "receipt", reference, "--copy", "cardholder")
    assert receipt.code == 0
    lines = receipt.json["lines"]
    assert isinstance(lines, list)
    assert any("12.34" in line for line in lines)
    printed = await run_cli("--json", *target, "receipt", reference, "--print")
    assert printed.code == 0
    assert kinetic_go_sim.printed[-1] == printed.json["lines"]
    text = await run_cli("--json", *target, "print", "Hello", "World")
    assert text.code == 0
    assert text.json == {"printed": True, "lines": 2}
    assert kinetic_go_sim.printed[-1] == ["Hello", "World"]
    human = await run_cli(*target, "receipt", reference, "--copy", "cardholder")
    assert human.stdout.splitlines() == lines
    missing = await run_cli(*target, "receipt", "no-such-transaction")
    assert missing.code == 1


async def test_offline_commands_json(device_service_sim: DeviceServiceSimulator) -> None:
    target = cli_target(device_service_sim)
    count = await run_cli("--json", *target, "offline-count")
    assert count.code == 0
    assert count.json == {"offline_count": 0}
    sent = await run_cli("--json", *target, "offline-send")
    assert sent.code == 0
    assert sent.json == {"sent": True}


async def test_cancel_json() -> None:
    async with make_sim("payment_engine", customer_delay=0) as sim:
        target = cli_target(sim)
        sale = asyncio.create_task(run_cli("--json", *target, "sale", "3.00", "--timeout", "20"))
        journal = SqliteJournal(os.environ["KINETIC_JOURNAL"])
        # The journal names a Payment Engine terminal by its device, not by the URL.
        identity = create_terminal(config_for(sim)).identity

        async def key_known() -> bool:
            unresolved = await journal.unresolved(identity)
            return bool(unresolved and unresolved[0].terminal_id)

        await wait_until(key_known)
        key = (await journal.unresolved(identity))[0].terminal_id
        assert key is not None
        cancel = await run_cli("--json", *target, "cancel", key)
        assert cancel.code == 0
        assert cancel.json == {"cancelled": True, "request_key": key}
        result = await sale
        assert result.code == 1
        assert result.json["result"] == "cancelled"
        assert sim.charges() == []


async def test_usage_errors_exit_two(kinetic_go_sim: KineticGoSimulator) -> None:
    for argv in (["frobnicate"], ["sale"], ["--port", "eighty", "status"], [], ["--kind", "x"]):
        result = await run_cli(*argv)
        assert result.code == 2, argv
        assert "error" in result.stderr
    help_result = await run_cli("--help")
    assert help_result.code == 0
    assert "sale" in help_result.stdout


async def test_missing_credentials_exit_two(kinetic_go_sim: KineticGoSimulator) -> None:
    result = await run_cli(
        "--host", kinetic_go_sim.host, "--port", str(kinetic_go_sim.port), "status"
    )
    assert result.code == 2
    assert "KINETIC_USERNAME" in result.stderr
    pe = await run_cli("--kind", "payment-engine", "status")
    assert pe.code == 2
    assert "KINETIC_API_KEY" in pe.stderr


async def test_credentials_from_environment(
    kinetic_go_sim: KineticGoSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    described = kinetic_go_sim.describe()
    monkeypatch.setenv("KINETIC_USERNAME", str(described["username"]))
    monkeypatch.setenv("KINETIC_PASSWORD", str(described["password"]))
    result = await run_cli(
        "--json", "--host", kinetic_go_sim.host, "--port", str(kinetic_go_sim.port), "status"
    )
    assert result.code == 0, result.stderr
    assert result.json["serial"] == kinetic_go_sim.serial


async def test_verbose_logs_to_stderr_without_secrets(any_sim: BaseSimulator) -> None:
    result = await run_cli("--verbose", *cli_target(any_sim), "sale", "2.00")
    assert result.code == 0
    assert "DEBUG" in result.stderr
    for secret in any_sim.secrets():
        assert secret not in result.stderr


def test_default_journal_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KINETIC_JOURNAL", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_journal_path() == tmp_path / "kinetic" / "journal.sqlite3"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_journal_path().parts[-4:] == (".local", "state", "kinetic", "journal.sqlite3")


async def test_simulate_runs_a_fleet_and_refuses_non_loopback() -> None:
    quiet = ["--no-zeroconf", "--no-announce"]
    result = await run_cli(
        "--json",
        "simulate",
        "--bind",
        "127.0.0.70",
        "--base-port",
        "0",
        "--duration",
        "0.2",
        *quiet,
    )
    assert result.code == 0, result.stderr
    terminals = result.json["terminals"]
    assert [t["kind"] for t in terminals] == ["kinetic-go", "device-service", "payment-engine"]
    assert [t["host"] for t in terminals] == ["127.0.0.70", "127.0.0.71", "127.0.0.72"]
    assert result.json["remote_control"] is False
    human = await run_cli(
        "simulate",
        "--bind",
        "127.0.0.73",
        "--base-port",
        "0",
        "--duration",
        "0.1",
        "--device-service",
        "0",
        "--payment-engine",
        "0",
        *quiet,
    )
    assert human.code == 0
    assert "kinetic --kind kinetic-go --host 127.0.0.73" in human.stdout
    assert "The control API (/_sim/) answers loopback clients only" in human.stdout
    remote = await run_cli(
        "--json",
        "simulate",
        "--bind",
        "127.0.0.74",
        "--base-port",
        "0",
        "--duration",
        "0.1",
        "--allow-remote-control",
        *quiet,
    )
    assert remote.code == 0, remote.stderr
    assert remote.json["remote_control"] is True
    refused = await run_cli("simulate", "--bind", "192.0.2.3", "--duration", "0.1")
    assert refused.code == 2
    assert "loopback" in refused.stderr


async def test_module_entry_point_smoke(kinetic_go_sim: KineticGoSimulator, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kinetic_integration",
        "--json",
        "status",
        *cli_target(kinetic_go_sim),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "KINETIC_JOURNAL": str(tmp_path / "j.sqlite3")},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    data = json.loads(stdout)
    assert data["kind"] == "kinetic-go"
    assert data["online"] is True
    assert data["serial"] == kinetic_go_sim.serial


async def test_pass_through_fields(
    payment_engine_sim: PaymentEngineSimulator, kinetic_go_sim: KineticGoSimulator
) -> None:
    target = cli_target(payment_engine_sim)
    fields = ["--field", "table=12", "--field", "clerk=Ann", "--field", "prompt_tip=false"]
    result = await run_cli("--json", *target, "sale", "5.00", *fields)
    assert result.code == 0, result.stderr
    bad = await run_cli(*target, "sale", "5.00", "--field", "colour=red")
    assert bad.code == 2
    assert "colour" in bad.stderr
    malformed = await run_cli(*target, "sale", "5.00", "--field", "novalue")
    assert malformed.code == 2
    go = await run_cli(*cli_target(kinetic_go_sim), "sale", "5.00", "--field", "table=1")
    assert go.code == 2
    assert payment_engine_sim.money_requests() == 1
    assert kinetic_go_sim.money_requests() == 0


async def test_unusable_journal_exits_two_before_sending(
    kinetic_go_sim: KineticGoSimulator, tmp_path: Path
) -> None:
    result = await run_cli(*cli_target(kinetic_go_sim), "--journal", str(tmp_path), "sale", "1.00")
    assert result.code == 2
    assert "journal" in result.stderr
    assert kinetic_go_sim.money_requests() == 0


async def test_interrupted_sale_prints_the_reference() -> None:
    async with started_sim("kinetic_go", customer_delay=0) as sim:
        out, err = io.StringIO(), io.StringIO()
        argv = [*cli_target(sim), "sale", "2.00", "--reference", "till-3", "--timeout", "30"]
        task = asyncio.create_task(async_main(argv, stdout=out, stderr=err))
        await wait_until(lambda: sim.money_requests() == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert "--reference till-3" in err.getvalue()
        # The record is unresolved: a new sale is refused until this one is resumed.
        blocked = await run_cli(*cli_target(sim), "sale", "1.00")
        assert blocked.code == 2
        assert "till-3" in blocked.stderr
        resume = asyncio.create_task(
            run_cli("--json", *cli_target(sim), "sale", "2.00", "--reference", "till-3")
        )
        await sim.customer("present")
        resumed = await resume
        assert resumed.code == 0, resumed.stderr
        assert resumed.json["result"] == "approved"
        assert len(sim.charges()) == 1
        assert sim.money_requests() == 1


async def test_discover_finds_an_announcing_simulated_fleet() -> None:
    """`kinetic simulate` announces its terminals; `kinetic discover` hears them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    listen = ["--bind", "127.0.0.1", "--announce-port", port, "--no-zeroconf"]
    discovered, simulated = await asyncio.gather(
        run_cli("--json", "discover", *listen, "--timeout", "1.0"),
        run_cli(
            "simulate",
            "--bind",
            "127.0.0.74",
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
    assert discovered.code == 0, discovered.stdout
    found = discovered.json
    assert [(t["kind"], t["host"], t["serial"], t["source"]) for t in found] == [
        ("kinetic-go", "127.0.0.74", "KG2SIM0001", "announcement")
    ]
