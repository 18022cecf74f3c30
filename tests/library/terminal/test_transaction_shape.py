"""The same sale gives the same shape on every kind: library Transaction and CLI output.

Before the fields were normalised the simulators' answers showed ``4***********0119``,
``**** **** **** 0119`` and ``4xxxxxxxxxxx0119``; ``visa-qvsdc`` / ``visa`` / ``Visa``;
``AUTH CODE:…``, ``Declined`` and ``000000``; ``tip`` 0.00 on one kind and None on the
others and ``total`` None on the Payment Engine.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from kinetic_integration.models.common import Transaction, TransactionResult
from kinetic_integration.terminal import create_terminal
from tests.library.terminal.support import KINDS, cli_target, config_for, run_cli, started_sim

_AUTH_CODE = re.compile(r"[0-9A-Za-z]{1,12}")


def _shape(txn: Transaction) -> dict[str, Any]:
    """The fields that must agree across kinds for the same sale."""
    return {
        "result": txn.result,
        "amount": txn.amount,
        "tip": txn.tip,
        "cashback": txn.cashback,
        "total": txn.total,
        "masked_pan": txn.masked_pan,
        "card_network": txn.card_network,
        "has_auth_code": txn.auth_code is not None,
    }


async def _sales(session: aiohttp.ClientSession, amount: str) -> dict[str, Transaction]:
    answers: dict[str, Transaction] = {}
    for kind in KINDS:
        async with started_sim(kind) as sim:
            answers[kind] = await create_terminal(config_for(sim), session).sale(amount)
    return answers


async def test_an_approved_sale_has_one_shape_on_every_kind(
    session: aiohttp.ClientSession,
) -> None:
    answers = await _sales(session, "12.34")
    expected = {
        "result": TransactionResult.APPROVED,
        "amount": Decimal("12.34"),
        "tip": Decimal("0.00"),
        "cashback": Decimal("0.00"),
        "total": Decimal("12.34"),
        "masked_pan": "**** 0119",
        "card_network": "visa",
        "has_auth_code": True,
    }
    for kind, txn in answers.items():
        assert _shape(txn) == expected, kind
        assert txn.auth_code is not None
        assert _AUTH_CODE.fullmatch(txn.auth_code), (kind, txn.auth_code)
        for value in (txn.tip, txn.cashback, txn.total):
            assert isinstance(value, Decimal)


async def test_a_declined_sale_has_one_shape_and_no_auth_code(
    session: aiohttp.ClientSession,
) -> None:
    answers = await _sales(session, "5.01")
    for kind, txn in answers.items():
        assert txn.result is TransactionResult.DECLINED, kind
        assert txn.auth_code is None, kind
        assert (txn.tip, txn.total) == (Decimal("0.00"), Decimal("5.01")), kind
        assert txn.card_network in (None, "visa"), kind
        assert txn.masked_pan in (None, "**** 0119"), kind


@pytest.mark.parametrize("kind", KINDS)
async def test_cli_shows_the_normalised_fields(kind: str) -> None:
    async with started_sim(kind) as sim:
        result = await run_cli("--json", *cli_target(sim), "sale", "12.34")
        human = await run_cli(*cli_target(sim), "sale", "12.35")
    assert result.code == 0, result.stderr
    data = result.json
    assert data["masked_pan"] == "**** 0119"
    assert data["card_network"] == "visa"
    assert _AUTH_CODE.fullmatch(data["auth_code"])
    assert (data["tip"], data["total"]) == ("0.00", "12.34")
    assert human.code == 0, human.stderr
    assert "**** 0119" in human.stdout
    assert "AUTH CODE:" not in human.stdout
    for text in (result.stdout, human.stdout):
        # The card's last four appear only in the one masked form, nothing before them.
        assert text.count("0119") == text.count("**** 0119") == 1, text
