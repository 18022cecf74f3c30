"""The ``kinetic`` command's Payment Engine surface of seed 004 (issue 14), over loopback."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kinetic_integration.journal import SqliteJournal
from kinetic_integration.models.common import TransactionType
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator
from tests.library.terminal.support import cli_target, run_cli
from tests.log_hygiene import register_secret


@pytest.fixture(autouse=True)
def _journal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KINETIC_JOURNAL", str(tmp_path / "journal.sqlite3"))


async def test_authorize_is_recorded_as_an_authorisation(
    payment_engine_sim: PaymentEngineSimulator, tmp_path: Path
) -> None:
    result = await run_cli(
        "--json", *cli_target(payment_engine_sim), "authorize", "30.00", "--reference", "hold-1"
    )
    assert result.code == 0, result.stderr
    assert result.json["type"] == "authorization"
    assert result.json["result"] == "approved"
    assert result.json["total"] == "30.00"
    [body] = [pay.params for pay in payment_engine_sim.requests.values()]
    assert body["command"] == "authonly"
    record = await SqliteJournal(str(tmp_path / "journal.sqlite3")).get("hold-1")
    assert record is not None
    assert record.type is TransactionType.AUTHORIZATION


async def test_authorize_is_refused_by_a_kind_without_it(
    kinetic_go_sim: KineticGoSimulator,
) -> None:
    result = await run_cli("--json", *cli_target(kinetic_go_sim), "authorize", "30.00")
    assert result.code == 2
    assert kinetic_go_sim.money_requests() == 0


async def test_sale_fields_reach_the_pay_request(
    payment_engine_sim: PaymentEngineSimulator,
) -> None:
    fields = [
        "prompt_tip=true",
        "save_card=true",
        "manual_key=false",
        "block_offline=true",
        "invoice=INV-12",
        "ponum=PO-9",
        "description=Lunch",
        "clerk=Ann",
        "table=7",
        "orderid=ORDER-5",
    ]
    argv = [arg for field in fields for arg in ("--field", field)]
    result = await run_cli(
        "--json", *cli_target(payment_engine_sim), "sale", "12.00", "--timeout", "30", *argv
    )
    assert result.code == 0, result.stderr
    token = result.json["card_token"]
    assert token
    register_secret(token)
    [body] = [pay.params for pay in payment_engine_sim.requests.values()]
    assert body["prompt_tip"] is True
    assert body["save_card"] is True
    assert body["manual_key"] is False
    assert body["block_offline"] is True
    assert body["timeout"] == 30
    assert (body["invoice"], body["ponum"], body["orderid"]) == ("INV-12", "PO-9", "ORDER-5")
    assert (body["description"], body["clerk"], body["table"]) == ("Lunch", "Ann", "7")
    assert Decimal(result.json["amount"]) == Decimal("12.00")


async def test_a_too_long_invoice_sends_nothing(
    payment_engine_sim: PaymentEngineSimulator,
) -> None:
    result = await run_cli(
        "--json", *cli_target(payment_engine_sim), "sale", "1.00", "--field", "invoice=123456789012"
    )
    assert result.code == 2
    assert "11 characters" in result.json["message"]
    assert payment_engine_sim.money_requests() == 0
