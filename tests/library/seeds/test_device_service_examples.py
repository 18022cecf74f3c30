"""The DeviceService seed's example bodies, read by the models and the client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from kinetic_integration.clients import DeviceServiceClient
from kinetic_integration.errors import (
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDuplicateTransactionError,
    KineticError,
    KineticNotFoundError,
    KineticValidationError,
)
from kinetic_integration.models import (
    DsOfflineCount,
    DsStatus,
    DsTransaction,
    TransactionResult,
)
from tests.library.seeds.canned import HOST, CannedServer, canned_server
from tests.library.seeds.examples import seed_json
from tests.log_hygiene import register_secret

#: The uuid of the seed's example request and of its answer.
SEED_REFERENCE = "d9c95df1-b52c-4a44-aa52-ed4b3fd61cee"
#: The seed's example request writes ``amount``; its own parameter table (and we) ``Amount``.
SEED_KEY_SPELLINGS = {"amount": "Amount"}

Call = Callable[[DeviceServiceClient], Awaitable[Any]]


@pytest.fixture
async def ds() -> AsyncIterator[tuple[DeviceServiceClient, CannedServer]]:
    """A DeviceService client talking to a server that answers with seed examples."""
    register_secret("seed-ds-password")
    async with canned_server() as server:
        password = "seed-ds-password"
        yield (
            DeviceServiceClient(HOST, server.port, password=password, session=server.session),
            server,
        )


def test_status_example() -> None:
    assert DsStatus.from_dict(seed_json("device_service/status.200.json")) == DsStatus(
        is_connected=True, transaction_in_progress=False, status="Idle", supports_offline=False
    )


@pytest.mark.parametrize("name", ["transaction-post.200.json", "transaction-get.200.json"])
def test_approved_transaction_examples(name: str) -> None:
    txn = DsTransaction.from_dict(seed_json(f"device_service/{name}"))
    assert txn.transaction_id == SEED_REFERENCE
    assert txn.total_amount == Decimal("2.23")
    assert isinstance(txn.total_amount, Decimal)
    assert txn.outcome is TransactionResult.APPROVED
    assert txn.auth_response == "AUTH CODE:000B9D"
    assert txn.masked_pan == "**** 0014"
    assert (txn.card_network, txn.data_source, txn.signature_required) == (
        "mastercard",
        "swipe",
        True,
    )
    assert txn.is_offline is None  # not in the example


@pytest.mark.parametrize(
    ("name", "reference", "amount", "outcome", "masked_pan"),
    [
        (
            "transaction-example-declined.200.json",
            "ff8b9d75-6685-4938-9d01-1fd0a06e948c",
            Decimal("2.29"),
            TransactionResult.DECLINED,
            "**** 0119",
        ),
        (
            "transaction-example-contactless.200.json",
            "384eec9b-1dc1-4bfb-bce8-fa71b188f1dc",
            Decimal(1),
            TransactionResult.APPROVED,
            "**** 0119",
        ),
        (
            "transaction-example-cancelled.200.jsonc",
            "2854fb89-96f1-4600-a870-7adc79fc6530",
            Decimal("2.23"),
            TransactionResult.CANCELLED,
            None,
        ),
    ],
)
def test_transaction_result_examples(
    name: str,
    reference: str,
    amount: Decimal,
    outcome: TransactionResult,
    masked_pan: str | None,
) -> None:
    txn = DsTransaction.from_dict(seed_json(f"device_service/{name}"))
    assert txn.transaction_id == reference
    assert txn.total_amount == amount
    assert isinstance(txn.total_amount, Decimal)
    assert txn.outcome is outcome
    assert txn.masked_pan == masked_pan
    shared = txn.to_transaction()
    assert (shared.reference, shared.amount, shared.result) == (reference, amount, outcome)


def test_offline_count_example() -> None:
    count = DsOfflineCount.from_dict(seed_json("device_service/offline-count.200.json"))
    assert count == DsOfflineCount(offline_count=2, stored_records=0)


def _sale(client: DeviceServiceClient) -> Awaitable[Any]:
    return client.start_transaction(SEED_REFERENCE, Decimal("1.23"))


def _lookup(client: DeviceServiceClient) -> Awaitable[Any]:
    return client.transaction(SEED_REFERENCE)


def _status(client: DeviceServiceClient) -> Awaitable[Any]:
    return client.status()


def _send(client: DeviceServiceClient) -> Awaitable[Any]:
    return client.send_offline_transactions()


def _count(client: DeviceServiceClient) -> Awaitable[Any]:
    return client.offline_count()


@pytest.mark.parametrize(
    ("name", "call", "error", "field"),
    [
        ("status.401.json", _status, KineticAuthenticationError, None),
        ("transaction-post.400-bad-request.json", _sale, KineticValidationError, "amount"),
        ("transaction-post.400-device-busy.json", _sale, KineticDeviceBusyError, None),
        ("transaction-post.500-device-error.json", _sale, KineticDeviceError, None),
        # The seed gives no status for this example; a 500 DeviceError per the API notes.
        (
            "transaction-example-card-reader-error.500.json",
            _sale,
            KineticDuplicateTransactionError,
            None,
        ),
        ("transaction-get.400-device-busy.json", _lookup, KineticDeviceBusyError, None),
        ("transaction-get.400-bad-request.json", _lookup, KineticValidationError, "uuid"),
        ("transaction-get.404-not-found.json", _lookup, KineticNotFoundError, "uuid"),
        ("transaction-get.500-device-error.json", _lookup, KineticDeviceError, None),
        ("offline-send.400-device-busy.json", _send, KineticDeviceBusyError, None),
        ("offline-send.401.json", _send, KineticAuthenticationError, None),
        ("offline-count.400-device-busy.json", _count, KineticDeviceBusyError, None),
        ("offline-count.401.json", _count, KineticAuthenticationError, None),
    ],
)
async def test_error_examples(
    ds: tuple[DeviceServiceClient, CannedServer],
    name: str,
    call: Call,
    error: type[KineticError],
    field: str | None,
) -> None:
    client, server = ds
    server.answer(f"device_service/{name}")
    with pytest.raises(error) as caught:
        await call(client)
    assert type(caught.value) is error
    if field is not None:
        assert [e.field for e in getattr(caught.value, "field_errors", ())] == [field]


async def test_sale_request_matches_the_seed(ds: tuple[DeviceServiceClient, CannedServer]) -> None:
    client, server = ds
    server.answer("device_service/transaction-post.200.json")
    txn = await client.start_transaction(SEED_REFERENCE, Decimal("1.23"))
    assert txn.outcome is TransactionResult.APPROVED
    [sent] = server.requests
    assert (sent.method, sent.path) == ("POST", "/DeviceService/Kinetic/Transaction")
    seed = seed_json("device_service/transaction.request.json")
    expected = {SEED_KEY_SPELLINGS.get(key, key): value for key, value in seed.items()}
    assert sent.body == expected == {"Amount": "1.23", "Reference": SEED_REFERENCE}


async def test_lookup_request_matches_the_seed(
    ds: tuple[DeviceServiceClient, CannedServer],
) -> None:
    # GET .../Transaction/?uuid=<reference>, no body.
    client, server = ds
    server.answer("device_service/transaction-get.200.json")
    await client.transaction(SEED_REFERENCE)
    [sent] = server.requests
    assert (sent.method, sent.path, sent.query, sent.body) == (
        "GET",
        "/DeviceService/Kinetic/Transaction/",
        {"uuid": SEED_REFERENCE},
        None,
    )


async def test_offline_sale_request_carries_the_seeds_offline_flag(
    ds: tuple[DeviceServiceClient, CannedServer],
) -> None:
    # Data param "Offline — Indicates whether the transaction is offline (boolean,
    # default to false)": sent only when asked for, as a JSON boolean.
    client, server = ds
    server.answer("device_service/transaction-post.200.json")
    await client.start_transaction(SEED_REFERENCE, Decimal("1.23"), offline=True)
    [sent] = server.requests
    assert sent.body == {"Amount": "1.23", "Reference": SEED_REFERENCE, "Offline": True}


def test_seed_examples_in_the_shared_shape() -> None:
    """Issue 14 contradictions 1 and 5 on the seed's own example bodies."""
    approved = DsTransaction.from_dict(seed_json("device_service/transaction-post.200.json"))
    shared = approved.to_transaction()
    assert shared.terminal_id == SEED_REFERENCE  # TransactionId: the transaction's id
    assert shared.reader_terminal_id == "22001111"  # TerminalId: the reader's
    assert shared.message == "The transaction was approved"  # not "Transaction found"
    assert (shared.signature_required, shared.is_contactless) == (True, False)
    assert (shared.verified_by_pin, shared.verified_on_device) == (False, False)
    assert (shared.is_offline, shared.response_code) == (None, None)
    assert shared.entry_mode == "swipe"
    assert shared.card_network == "mastercard"
    assert shared.status == "approved"
    cancelled = DsTransaction.from_dict(
        seed_json("device_service/transaction-example-cancelled.200.jsonc")
    ).to_transaction()
    assert cancelled.reader_terminal_id is None  # "May be null"
    assert cancelled.message == "The transaction was cancelled"
