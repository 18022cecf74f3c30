"""The ``kinetic`` command against a DeviceService (seed 001): offline sales, the seed's
response fields, ``unknown`` and ``void`` (issue 14; issue 15 point 12)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kinetic_integration.simulator import DeviceServiceSimulator
from tests.library.terminal.support import cli_target, run_cli, started_sim


@pytest.fixture(autouse=True)
def _private_journal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Never touch the real journal (or credentials) of whoever runs the tests.
    for name in ("KINETIC_USERNAME", "KINETIC_PASSWORD", "KINETIC_API_KEY", "KINETIC_PIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KINETIC_JOURNAL", str(tmp_path / "journal.sqlite3"))


async def test_sale_json_carries_the_seeds_fields(
    device_service_sim: DeviceServiceSimulator,
) -> None:
    result = await run_cli("--json", *cli_target(device_service_sim), "sale", "1.02")
    assert result.code == 0, result.stderr
    data = result.json
    # Contradiction 1: the transaction's id and the reader's id, each in its own field.
    assert data["terminal_id"] == data["reference"]
    assert data["reader_terminal_id"] == "22001111"
    assert (data["is_contactless"], data["verified_by_pin"], data["verified_on_device"]) == (
        False,
        True,
        False,
    )
    assert data["signature_required"] is False
    assert (data["is_offline"], data["response_code"]) == (None, None)
    assert data["message"] == "The transaction was approved"
    assert data["started_at"] <= data["ended_at"]


async def test_offline_sale_then_count_and_send(
    device_service_sim: DeviceServiceSimulator,
) -> None:
    target = cli_target(device_service_sim)
    status = await run_cli("--json", *target, "status")
    assert status.json["supports_offline"] is True
    sale = await run_cli("--json", *target, "sale", "7.00", "--offline")
    assert sale.code == 0, sale.stderr
    assert (sale.json["is_offline"], sale.json["response_code"]) == (True, None)
    assert (await run_cli("--json", *target, "offline-count")).json == {"offline_count": 1}
    assert (await run_cli("--json", *target, "offline-send")).json == {"sent": True}
    assert (await run_cli("--json", *target, "offline-count")).json == {"offline_count": 0}
    looked_up = await run_cli("--json", *target, "transaction", sale.json["reference"])
    assert (looked_up.json["is_offline"], looked_up.json["response_code"]) == (True, "00")


async def test_offline_sale_refused_where_not_supported() -> None:
    async with started_sim("device_service", support_offline=False) as sim:
        target = cli_target(sim)
        status = await run_cli("--json", *target, "status")
        assert status.json["supports_offline"] is False
        assert status.json["offline_count"] is None
        result = await run_cli("--json", *target, "sale", "7.00", "--offline")
        assert result.code == 2
        assert result.json["error"] == "unsupported"
        assert (await run_cli("--json", *target, "offline-count")).code == 2
        assert sim.money_requests() == 0


async def test_unknown_answer_ends_the_wait(device_service_sim: DeviceServiceSimulator) -> None:
    """Issue 15 point 12: not ~218 polls over the whole timeout, then "no final result"."""
    device_service_sim.report_unknown = True
    target = cli_target(device_service_sim)
    started = time.monotonic()
    result = await run_cli("--json", *target, "sale", "4.00", "--timeout", "30")
    assert time.monotonic() - started < 10
    assert result.code == 4
    assert result.json["result"] == "unknown"
    assert "deadline" not in result.json["message"]
    assert "check the terminal" in result.json["message"]
    assert device_service_sim.money_requests() == 1


async def test_void_exits_one(device_service_sim: DeviceServiceSimulator) -> None:
    device_service_sim.card_timeout = 0.2
    result = await run_cli("--json", *cli_target(device_service_sim), "sale", "1.03")
    assert result.code == 1
    assert result.json["result"] == "void"
    assert device_service_sim.charges() == []
