"""DeviceServiceClient against the DeviceService simulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from kinetic_integration.clients import DeviceServiceClient, check_reference, new_reference
from kinetic_integration.errors import (
    InvalidAmountError,
    KineticAuthenticationError,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDuplicateTransactionError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticNotFoundError,
    KineticReferenceMismatchError,
    KineticTimeoutError,
    KineticValidationError,
)
from kinetic_integration.models import DsTransaction, TransactionResult
from kinetic_integration.simulator import DeviceServiceSimulator
from kinetic_integration.simulator.device import SimTransaction
from tests.library.clients._support import assert_clean, eventually
from tests.log_hygiene import register_secret


def make_client(
    sim: DeviceServiceSimulator,
    session: aiohttp.ClientSession | None,
    *,
    request_timeout: float = 10.0,
    transaction_timeout: float = 30.0,
    lookup_timeout: float = 10.0,
) -> DeviceServiceClient:
    """A client for ``sim`` with its credentials."""
    info = sim.describe()
    register_secret(str(info["password"]), *sim.secrets())
    return DeviceServiceClient(
        sim.host,
        sim.port,
        username=str(info["username"]),
        password=str(info["password"]),
        session=session,
        request_timeout=request_timeout,
        transaction_timeout=transaction_timeout,
        lookup_timeout=lookup_timeout,
    )


@pytest.fixture
async def ds(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> DeviceServiceClient:
    """A client for the simulator, sharing the test's session."""
    return make_client(device_service_sim, session, request_timeout=5, lookup_timeout=5)


async def test_status(ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator) -> None:
    status = await ds.status()
    assert status.is_connected is True
    assert status.transaction_in_progress is False
    assert status.supports_offline is True
    assert status.status == "Idle"
    # The same reply again is the same (immutable) reading; a changed one is read anew.
    assert await ds.status() is status
    counts = await ds.offline_count()
    assert await ds.offline_count() is counts
    device_service_sim.set_connected(False)
    status = await ds.status()
    assert status.is_connected is False
    assert status.status is None


async def test_sale_approved(
    ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator
) -> None:
    reference = new_reference()
    txn = await ds.start_transaction(reference, Decimal("2.23"))
    assert txn.transaction_id == reference
    assert txn.complete is True
    assert isinstance(txn.total_amount, Decimal)
    common = txn.to_transaction()
    assert common.result is TransactionResult.APPROVED
    assert common.amount == Decimal("2.23")
    assert common.reference == reference
    assert common.masked_pan is not None
    assert common.masked_pan.endswith("0119")
    assert_clean(txn, device_service_sim.secrets())
    [charge] = device_service_sim.charges()
    assert (charge.reference, charge.amount) == (reference, Decimal("2.23"))
    # The same transaction, recovered by its reference.
    again = await ds.transaction(reference)
    assert again == txn


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1.01", TransactionResult.DECLINED),
        ("1.02", TransactionResult.APPROVED),
        ("1.04", TransactionResult.CANCELLED),
        ("1.05", TransactionResult.ERROR),
        ("1.06", TransactionResult.APPROVED),
    ],
)
async def test_scripted_outcomes(
    ds: DeviceServiceClient, amount: str, expected: TransactionResult
) -> None:
    txn = await ds.start_transaction(new_reference(), Decimal(amount))
    assert txn.to_transaction().result is expected
    if amount == "1.02":
        assert txn.verified_by_pin is True
    if amount == "1.06":
        assert txn.signature_required is True


async def test_card_wait_timeout_is_void(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    """Issue 15 point 12: "void" ("aborted or timed out") is reported as void, not cancelled."""
    device_service_sim.card_timeout = 0.2
    client = make_client(device_service_sim, session)
    txn = await client.start_transaction(new_reference(), Decimal("1.03"))
    assert txn.result == "void"
    common = txn.to_transaction()
    assert common.result is TransactionResult.VOID
    assert common.result.is_final
    assert device_service_sim.charges() == []


async def test_busy_while_a_transaction_runs(
    ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator
) -> None:
    reference = new_reference()
    # .03: the customer never presents a card, so the POST keeps blocking.
    running = asyncio.create_task(ds.start_transaction(reference, Decimal("4.03")))
    status = await eventually(ds.status, lambda s: s.transaction_in_progress)
    assert status.status
    with pytest.raises(KineticDeviceBusyError) as busy:
        await ds.transaction(reference)
    assert busy.value.field_errors[0].code == "device_busy"
    with pytest.raises(KineticDeviceBusyError):
        await ds.start_transaction(new_reference(), Decimal("1.00"))
    with pytest.raises(KineticDeviceBusyError):
        await ds.offline_count()
    await device_service_sim.customer("cancel")
    txn = await running
    assert txn.to_transaction().result is TransactionResult.CANCELLED
    assert device_service_sim.charges() == []


async def test_lost_post_is_recovered_by_reference(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(device_service_sim, session, transaction_timeout=0.3, lookup_timeout=5)
    reference = new_reference()
    with pytest.raises(KineticTimeoutError):
        await client.start_transaction(reference, Decimal("6.03"))
    # Still running on the terminal: the lookup waits for quiet, then says "not complete".
    pending = await eventually(
        lambda: client.transaction(reference), lambda t: True, retry_on=(KineticDeviceBusyError,)
    )
    assert pending.complete is False
    assert pending.to_transaction().result is TransactionResult.PENDING
    await device_service_sim.customer("tap")
    done: DsTransaction = await eventually(
        lambda: client.transaction(reference),
        lambda t: t.complete,
        retry_on=(KineticDeviceBusyError,),
    )
    assert done.to_transaction().result is TransactionResult.APPROVED
    with pytest.raises(KineticDuplicateTransactionError) as duplicate:
        await client.start_transaction(reference, Decimal("6.03"))
    assert "already exists" in (duplicate.value.details or "")
    assert len(device_service_sim.charges()) == 1


async def test_dropped_connection_then_recovery(
    ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator
) -> None:
    device_service_sim.inject("drop_after_accept", path="/DeviceService/Kinetic/Transaction")
    reference = new_reference()
    with pytest.raises(KineticConnectionError):
        await ds.start_transaction(reference, Decimal("3.00"))
    txn = await eventually(
        lambda: ds.transaction(reference), lambda t: t.complete, retry_on=(KineticDeviceBusyError,)
    )
    assert txn.to_transaction().result is TransactionResult.APPROVED
    assert device_service_sim.money_requests() == 1


async def test_not_found_and_validation(
    ds: DeviceServiceClient, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(KineticNotFoundError) as missing:
        await ds.transaction(new_reference())
    assert missing.value.field_errors[0].field == "uuid"
    async with DeviceServiceSimulator(
        host="127.0.0.61", customer_delay=0.05, stable_wait=0.3, support_offline=False
    ) as sim:
        client = make_client(sim, session)
        with pytest.raises(KineticValidationError) as invalid:
            await client.start_transaction(new_reference(), Decimal("1.00"), offline=True)
        assert invalid.value.field_errors[0].field == "offline"
        assert sim.charges() == []


async def test_offline_transactions(
    ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator
) -> None:
    assert (await ds.offline_count()).offline_count == 0
    txn = await ds.start_transaction(new_reference(), Decimal("9.00"), offline=True)
    assert txn.is_offline is True
    assert txn.to_transaction().is_offline is True
    count = await ds.offline_count()
    assert (count.offline_count, count.stored_records) == (1, 1)
    device_service_sim.set_offline(True)
    with pytest.raises(KineticDeviceError):
        await ds.send_offline_transactions()
    device_service_sim.set_offline(False)
    await ds.send_offline_transactions()
    count = await ds.offline_count()
    assert (count.offline_count, count.stored_records) == (0, 0)


async def test_wrong_password(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    client = DeviceServiceClient(
        device_service_sim.host,
        device_service_sim.port,
        username="kittens",
        password="wrong",
        session=session,
    )
    calls: list[Callable[[], Awaitable[object]]] = [
        client.status,
        client.offline_count,
        client.send_offline_transactions,
        lambda: client.transaction(new_reference()),
        lambda: client.start_transaction(new_reference(), Decimal("1.00")),
    ]
    for call in calls:
        with pytest.raises(KineticAuthenticationError):
            await call()
    assert device_service_sim.charges() == []


# A fixed version-1 UUID (RFC 4122's DNS namespace): a fresh uuid1() would give the test a
# new id on every run, and scripts/test compares two runs' results test by test.
UUID1 = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


@pytest.mark.parametrize("reference", ["", "kittens", UUID1, "0" * 32])
async def test_non_uuid4_reference_sends_nothing(
    ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator, reference: str
) -> None:
    with pytest.raises(KineticInputError):
        await ds.start_transaction(reference, Decimal("1.00"))
    with pytest.raises(KineticInputError):
        await ds.transaction(reference)
    assert device_service_sim.money_requests() == 0


@pytest.mark.parametrize("amount", [1.5, Decimal(0), Decimal("-2"), Decimal("1.001")])
async def test_bad_amount_sends_nothing(
    ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator, amount: Decimal
) -> None:
    with pytest.raises(InvalidAmountError):
        await ds.start_transaction(new_reference(), amount)
    assert device_service_sim.money_requests() == 0


def test_check_reference_canonicalises() -> None:
    value = str(uuid.uuid4())
    assert check_reference(value.upper()) == value


async def test_faults(ds: DeviceServiceClient, device_service_sim: DeviceServiceSimulator) -> None:
    device_service_sim.inject("malformed_json")
    with pytest.raises(KineticInvalidResponseError):
        await ds.status()
    device_service_sim.inject("error_500")
    with pytest.raises(KineticDeviceError) as failure:
        await ds.status()
    assert failure.value.field_errors[0].code == "device_failure"
    device_service_sim.inject("busy")
    with pytest.raises(KineticDeviceBusyError):
        await ds.offline_count()
    assert (await ds.status()).is_connected
    # An error reply is never kept: the same fault after a good reply raises again.
    device_service_sim.inject("error_500", times=2)
    for _ in range(2):
        with pytest.raises(KineticDeviceError):
            await ds.status()
    assert (await ds.status()).is_connected


async def test_hang_times_out(
    device_service_sim: DeviceServiceSimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(device_service_sim, session, request_timeout=0.2)
    device_service_sim.inject("hang")
    with pytest.raises(KineticTimeoutError):
        await client.status()
    device_service_sim.inject("hang")
    with pytest.raises(KineticTimeoutError):
        await client.transaction(new_reference(), timeout=0.2)


async def test_session_ownership(device_service_sim: DeviceServiceSimulator) -> None:
    async with aiohttp.ClientSession() as injected:
        async with make_client(device_service_sim, injected) as client:
            await client.status()
        assert not injected.closed
    own = make_client(device_service_sim, None)
    async with own:
        await own.status()
        created = own.session
        assert created is not None
    assert created.closed


def test_repr_hides_password() -> None:
    client = DeviceServiceClient(username="kittens", password="aresolovely-secret")
    assert "aresolovely-secret" not in repr(client)


class RenamingService(DeviceServiceSimulator):
    """A service that ignores our Reference and allocates its own id (as the seed warns)."""

    renamed = "11111111-1111-4111-8111-111111111111"

    def transaction_document(self, txn: SimTransaction) -> dict[str, Any]:
        """Answer under another id."""
        return {**super().transaction_document(txn), "TransactionId": self.renamed}


async def test_reference_mismatch_carries_the_returned_id(session: aiohttp.ClientSession) -> None:
    async with RenamingService(host="127.0.0.63", customer_delay=0.05, stable_wait=0.3) as sim:
        client = make_client(sim, session)
        reference = new_reference()
        with pytest.raises(KineticReferenceMismatchError) as mismatch:
            await client.start_transaction(reference, Decimal("5.00"))
        assert mismatch.value.expected_id == reference
        assert mismatch.value.returned_id == RenamingService.renamed
        assert isinstance(mismatch.value.transaction, DsTransaction)
        assert mismatch.value.transaction.to_transaction().result is TransactionResult.APPROVED
        assert isinstance(mismatch.value, KineticInvalidResponseError)
