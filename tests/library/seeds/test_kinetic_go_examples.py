"""The Kinetic Go 2 seed's example bodies, read by the models and the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kinetic_integration.clients import KineticGoClient
from kinetic_integration.errors import KineticInvalidResponseError
from kinetic_integration.models import (
    GoDevice,
    GoScreen,
    GoTransaction,
    GoTransactionSummary,
    ReceiptCopy,
    TransactionResult,
)
from kinetic_integration.receipts import receipt_lines, scroll_amount
from tests.library.clients._support import assert_clean
from tests.library.seeds.canned import HOST, CannedServer, canned_server
from tests.library.seeds.examples import seed_json
from tests.log_hygiene import register_secret

#: The amounts of the transaction document, all the placeholder ``"number"``.
_AMOUNT_FIELDS = ("amount", "amount_other", "tip_amount", "total_amount")


@pytest.fixture
async def go() -> AsyncIterator[tuple[KineticGoClient, CannedServer]]:
    """A Kinetic Go client talking to a server that answers with seed examples."""
    register_secret("seed-go-password")
    async with canned_server() as server:
        password = "seed-go-password"
        yield KineticGoClient(HOST, server.port, password=password, session=server.session), server


def test_device_example() -> None:
    device = GoDevice.from_dict(seed_json("kinetic_go/device.200.json")["device"])
    assert device == GoDevice(
        manufacturer="Device manufacturer name",
        family="Device hardware family",
        serial_number="Device serial number",
    )


def test_transactions_example_row() -> None:
    row = GoTransactionSummary.from_dict(seed_json("kinetic_go/transactions.200.json"))
    assert row.id == "transaction id"
    assert row.amount == Decimal("1.00")
    assert isinstance(row.amount, Decimal)
    assert row.masked_pan == "**** 1111"
    assert row.is_reversed is False
    assert row.started_at == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    # "approved|declined|cancelled|error" is the list of results, not one of them.
    assert row.to_transaction().result is TransactionResult.UNKNOWN


def test_transaction_document_placeholder_amounts_are_refused() -> None:
    # Every amount in the document is the placeholder "number": never guessed as money.
    document = seed_json("kinetic_go/transaction.200.jsonc")["transaction"]
    with pytest.raises(KineticInvalidResponseError, match="expected an integer"):
        GoTransaction.from_dict(document)


def test_transaction_document_with_amounts() -> None:
    document = seed_json("kinetic_go/transaction.200.jsonc")["transaction"]
    # Only the money placeholders are replaced (minor units); the rest is the seed's text.
    document |= dict(zip(_AMOUNT_FIELDS, (1234, 0, 100, 1334), strict=True))
    txn = GoTransaction.from_dict(document)
    assert (txn.amount, txn.amount_other, txn.tip_amount, txn.total_amount) == (
        Decimal("12.34"),
        Decimal("0.00"),
        Decimal("1.00"),
        Decimal("13.34"),
    )
    assert txn.id == "string"
    assert txn.attempts_remaining is None  # "number," (the seed's typo) is not a number
    assert txn.is_active is None  # "boolean"
    assert txn.started_at is None
    assert txn.card_scheme is not None
    assert txn.card_scheme.startswith("visa-old-us |")
    # No result, no activity flag, no end time: still running, never declined.
    assert txn.outcome is TransactionResult.PENDING
    assert_clean(txn, ["Masked track 2 data", "EMV tag value"])


def test_screen_example() -> None:
    screen = GoScreen.from_dict(seed_json("kinetic_go/screen.200.json")["scene"])
    assert screen.is_idle
    assert screen.text == "Tap Green To Start\nDevice Name\n\n\n\n"


async def test_ping_settings_device_transactions_screen_through_the_client(
    go: tuple[KineticGoClient, CannedServer],
) -> None:
    client, server = go
    server.answer("kinetic_go/ping.200.json")
    assert await client.ping() is True
    server.answer("kinetic_go/settings.200.jsonc")
    settings = await client.settings()
    assert settings["host"] == {"module": "dummy"}
    assert settings["dummy"]["port"] == 23215
    server.answer("kinetic_go/device.200.json")
    assert (await client.device()).serial_number == "Device serial number"
    server.answer("kinetic_go/transactions.200.json")
    [row] = await client.transactions()
    assert row.amount == Decimal("1.00")
    server.answer("kinetic_go/screen.200.json")
    assert (await client.current_screen()).is_idle
    assert [r.path for r in server.requests] == [
        "/api/v2/ping.json",
        "/api/v2/settings.json",
        "/api/v2/device.json",
        "/api/v2/transactions.json",
        "/api/v2/screens/current.json",
    ]


@pytest.mark.parametrize(
    ("copy", "name"),
    [
        (ReceiptCopy.MERCHANT, "receipt-merchant.200.jsonc"),  # "amount": 100
        (ReceiptCopy.CARDHOLDER, "receipt-cardholder.200.jsonc"),  # "amount": "100"
        (ReceiptCopy.RECONCILIATION, "receipt-reconciliation.200.jsonc"),  # "mount": 100
    ],
)
async def test_receipt_examples(
    go: tuple[KineticGoClient, CannedServer], copy: ReceiptCopy, name: str
) -> None:
    client, server = go
    server.answer(f"kinetic_go/{name}")
    receipt = await client.receipt("txn-1", copy)
    assert [item["command"] for item in receipt] == ["scroll", "text"]
    assert scroll_amount(receipt[0]) == Decimal(100)
    assert receipt_lines(receipt) == ["Hello, world!"]
    assert server.requests[-1].path == f"/api/v2/transactions/txn-1/receipts/{copy.value}.json"


async def test_print_request_matches_the_seed(go: tuple[KineticGoClient, CannedServer]) -> None:
    client, server = go
    instructions = [
        seed_json("kinetic_go/instruction-text.request.jsonc"),
        seed_json("kinetic_go/instruction-flush.request.json"),
        seed_json("kinetic_go/instruction-scroll.request.json"),
    ]
    server.answer("kinetic_go/print.200.json")
    await client.print_instructions(instructions)
    [sent] = server.requests
    seed = seed_json("kinetic_go/print.request.jsonc")
    # The seed's array holds only a comment; the instructions are its own examples.
    assert seed == {"instructions": []}
    assert sent.method == "POST"
    assert sent.path == "/api/v2/print.json"
    assert sent.body.keys() == seed.keys()
    assert sent.body["instructions"] == instructions
    assert instructions[0]["font_size"] == 24
    assert instructions[2] == {"command": "scroll", "amount": 100}
