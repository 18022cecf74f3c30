"""Surprises end as UNKNOWN (exit 4), never as a crash or "declined"; smaller hardening.

Regression tests for the money-safety review, findings 4 and 6.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from kinetic_integration.cli import transaction_json
from kinetic_integration.clients._http import BasicCredentials
from kinetic_integration.clients.kinetic_go import KineticGoClient
from kinetic_integration.errors import KineticConnectionError, KineticInvalidResponseError
from kinetic_integration.journal import JournaledPayments, JournalState, SqliteJournal
from kinetic_integration.models.common import TransactionResult, mask_pan
from kinetic_integration.models.device_service import DsTransaction
from kinetic_integration.models.kinetic_go import GoTransaction
from kinetic_integration.models.payment_engine import PayRequest
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator
from kinetic_integration.terminal import create_terminal
from tests.library.terminal.support import (
    cli_target,
    config_for,
    default_sigint,
    run_cli,
    started_sim,
    wait_until,
)


class _BrokenResolver(AbstractResolver):
    """A resolver that fails the way aiodns 3.2 with pycares 5 does: TypeError."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise TypeError("a resolver bug")

    async def close(self) -> None:
        return None


@pytest.fixture
async def broken_session() -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(resolver=_BrokenResolver())
    async with aiohttp.ClientSession(connector=connector) as client_session:
        yield client_session


@pytest.fixture(autouse=True)
def _own_journal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KINETIC_JOURNAL", str(tmp_path / "journal.sqlite3"))


# --- finding 4 ------------------------------------------------------------------------


async def test_unexpected_client_failure_is_a_connection_error(
    broken_session: aiohttp.ClientSession,
) -> None:
    client = KineticGoClient("localhost", 8080, session=broken_session)
    with pytest.raises(KineticConnectionError):
        await client.ping()


async def test_unexpected_failure_while_sending_is_unknown_not_a_crash(
    broken_session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    async with started_sim("payment_engine", host="127.0.0.1") as sim:
        config = config_for(sim, base_url=f"http://localhost:{sim.port}/api/v2")
        journal = SqliteJournal(tmp_path / "j.sqlite3")
        txn = await JournaledPayments(create_terminal(config, broken_session), journal).sale(
            "10.00", timeout=1
        )
        # We cannot prove the request never left: unknown, and the record stays open.
        assert txn.result is TransactionResult.UNKNOWN
        record = await journal.get(txn.reference)
        assert record is not None
        assert record.state is JournalState.SENT
        assert sim.money_requests() == 0


async def test_cli_reaches_a_terminal_by_host_name() -> None:
    async with started_sim("kinetic_go", host="127.0.0.1") as sim:
        target = cli_target(sim)
        target[target.index("--host") + 1] = "localhost"
        result = await run_cli("--json", *target, "sale", "12.34")
        assert result.code == 0, result.stderr
        assert result.json["result"] == "approved"
        assert len(sim.charges()) == 1


async def test_cli_unexpected_exception_during_payment_exits_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_record(self: JournaledPayments, txn: object) -> None:
        raise RuntimeError("a bug after the charge")

    monkeypatch.setattr(JournaledPayments, "_record", broken_record)
    async with started_sim("kinetic_go", host="127.0.0.95") as sim:
        result = await run_cli("--json", *cli_target(sim), "sale", "12.34", "--reference", "r-4")
        assert result.code == 4
        assert result.json["reference"] == "r-4"
        assert "r-4" in result.stderr
        assert len(sim.charges()) == 1


def test_absurd_amounts_are_invalid_responses() -> None:
    with pytest.raises(KineticInvalidResponseError):
        GoTransaction.from_dict({"id": "t-1", "amount": 10**40})
    with pytest.raises(KineticInvalidResponseError):
        DsTransaction.from_dict(
            {"Complete": True, "TransactionId": "t-1", "TotalAmount": Decimal("1E+40")}
        )


# --- finding 6 ------------------------------------------------------------------------


async def test_device_service_recovers_in_the_grace_after_a_full_length_post(
    session: aiohttp.ClientSession,
) -> None:
    """R8: the POST used the whole budget and not a single look-up was tried."""
    async with started_sim("device_service", host="127.0.0.96", customer_delay=0.9) as sim:
        terminal = create_terminal(config_for(sim, recovery_grace=2.0), session)
        txn = await terminal.sale("10.00", timeout=0.8)
        assert txn.result is TransactionResult.APPROVED
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


async def test_payment_engine_request_carries_our_reference_as_order_id(
    payment_engine_sim: PaymentEngineSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = create_terminal(config_for(payment_engine_sim), session)
    txn = await terminal.sale("10.00", reference="order-55")
    assert txn.request_key is not None
    assert payment_engine_sim.requests[txn.request_key].params["orderid"] == "order-55"
    own = await terminal.sale("11.00", reference="order-56", orderid="till-7")
    assert own.request_key is not None
    assert payment_engine_sim.requests[own.request_key].params["orderid"] == "till-7"


class _PartialCreateAnswer(PaymentEngineSimulator):
    """Answers a create with the key but without the documented status."""

    async def _create(self, request: web.Request) -> web.Response:
        response = await super()._create(request)
        assert isinstance(response.body, bytes)
        data: dict[str, Any] = json.loads(response.body)
        data.pop("status", None)
        return web.json_response(data, status=response.status)


async def test_payment_engine_key_of_a_partial_create_answer_is_kept(
    session: aiohttp.ClientSession,
) -> None:
    sim = _PartialCreateAnswer(
        host="127.0.0.97", port=0, customer_delay=0.05, processing_delay=0.02, rate_limit=0
    )
    async with sim:
        txn = await create_terminal(config_for(sim), session).sale("10.00")
        assert txn.result is TransactionResult.APPROVED
        assert sim.money_requests() == 1
        assert len(sim.charges()) == 1


def test_payment_engine_duplicate_is_reported() -> None:
    request = PayRequest.from_dict(
        {
            "key": "pr_1",
            "status": "transaction complete",
            "complete": True,
            "transaction": {"key": "t_1", "result_code": "A", "is_duplicate": "Y"},
        }
    )
    txn = request.to_transaction()
    assert txn.is_duplicate is True
    assert transaction_json(txn)["is_duplicate"] is True


async def test_payment_engine_over_plain_http_is_refused_off_loopback() -> None:
    result = await run_cli(
        "--json",
        "--kind",
        "payment-engine",
        "--host",
        "192.0.2.10",
        "--port",
        "8080",
        "--api-key",
        "k",
        "--pin",
        "1",
        "sale",
        "1.00",
    )
    assert result.code == 2
    assert "https" in result.stderr


def test_credentials_repr_hides_the_login() -> None:
    assert "my-api-key" not in repr(BasicCredentials("my-api-key", "secret"))


def test_dotted_pans_are_masked() -> None:
    assert mask_pan("4111.1111.1111.1111") == "**** 1111"


async def test_ctrl_c_during_a_payment_exits_unknown(tmp_path: Path) -> None:
    async with started_sim("kinetic_go", host="127.0.0.98", customer_delay=0) as sim:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kinetic_integration",
            *cli_target(sim),
            "sale",
            "10.00",
            "--reference",
            "ctrl-c",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "KINETIC_JOURNAL": str(tmp_path / "j.sqlite3")},
            preexec_fn=default_sigint,
        )
        await wait_until(lambda: sim.money_requests() == 1, within=20)
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
        # The customer may still pay: "interrupted" alone (130) would hide that.
        assert process.returncode == 4, stderr.decode()
        assert "--reference ctrl-c" in stderr.decode()


def test_device_service_offline_approval_declined_by_the_host_is_declined() -> None:
    body = {"Complete": True, "TransactionId": "t-1", "Result": "Approved", "IsOffline": True}
    assert DsTransaction.from_dict(body).outcome is TransactionResult.APPROVED  # not synced
    synced = DsTransaction.from_dict({**body, "ResponseCode": "00"})
    assert synced.outcome is TransactionResult.APPROVED
    declined = DsTransaction.from_dict({**body, "ResponseCode": "51"})
    assert declined.outcome is TransactionResult.DECLINED


async def test_zero_tip_is_accepted(kinetic_go_sim: KineticGoSimulator) -> None:
    result = await run_cli("--json", *cli_target(kinetic_go_sim), "sale", "5.00", "--tip", "0")
    assert result.code == 0, result.stderr
    assert result.json["result"] == "approved"
