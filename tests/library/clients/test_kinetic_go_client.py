"""KineticGoClient against the Kinetic Go 2 simulator over loopback HTTP."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from kinetic_integration.clients import KineticGoClient
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
    KineticPrinterError,
    KineticReferenceMismatchError,
    KineticTimeoutError,
    KineticValidationError,
)
from kinetic_integration.models import (
    GoTransaction,
    ReceiptCopy,
    TransactionResult,
    TransactionType,
)
from kinetic_integration.receipts import receipt_lines
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.simulator.device import SimTransaction
from tests.library.clients._support import assert_clean, eventually
from tests.log_hygiene import register_secret


def new_id() -> str:
    """A fresh client-chosen transaction id."""
    return str(uuid.uuid4())


@pytest.fixture
async def go(kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession) -> KineticGoClient:
    """A client for the simulator, sharing the test's session."""
    info = kinetic_go_sim.describe()
    register_secret(str(info["password"]), *kinetic_go_sim.secrets())
    return KineticGoClient(
        kinetic_go_sim.host,
        kinetic_go_sim.port,
        username=str(info["username"]),
        password=str(info["password"]),
        session=session,
        request_timeout=5,
    )


async def finished(go: KineticGoClient, transaction_id: str) -> GoTransaction:
    """Poll the transaction until the terminal says it is no longer active."""
    return await eventually(
        lambda: go.transaction(transaction_id), lambda txn: txn.is_active is False
    )


async def approved_sale(go: KineticGoClient, amount: str = "12.34") -> GoTransaction:
    """Run a sale the automatic customer approves."""
    tid = new_id()
    await go.start_sale(tid, Decimal(amount))
    txn = await finished(go, tid)
    assert txn.to_transaction().result is TransactionResult.APPROVED
    return txn


# --- unauthenticated and device information -------------------------------------


async def test_ping_needs_no_credentials(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    client = KineticGoClient(kinetic_go_sim.host, kinetic_go_sim.port, session=session)
    assert await client.ping() is True
    with pytest.raises(KineticAuthenticationError):
        await client.device()


async def test_device_and_settings(go: KineticGoClient, kinetic_go_sim: KineticGoSimulator) -> None:
    device = await go.device()
    assert device.serial_number == kinetic_go_sim.serial
    settings = await go.settings()
    assert isinstance(settings, dict)
    assert "host" in settings


async def test_wrong_password_is_authentication_error(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    client = KineticGoClient(
        kinetic_go_sim.host,
        kinetic_go_sim.port,
        username="kinetic",
        password="wrong",
        session=session,
    )
    with pytest.raises(KineticAuthenticationError):
        await client.settings()
    with pytest.raises(KineticAuthenticationError):
        await client.start_sale(new_id(), Decimal("1.00"))
    assert kinetic_go_sim.charges() == []


# --- transactions -----------------------------------------------------------------


async def test_sale_approved_and_recoverable_by_id(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    tid = new_id()
    started = await go.start_sale(tid, Decimal("12.34"))
    assert started.id == tid
    assert started.amount == Decimal("12.34")
    txn = await finished(go, tid)
    common = txn.to_transaction()
    assert common.result is TransactionResult.APPROVED
    assert common.type is TransactionType.SALE
    assert common.amount == Decimal("12.34")
    assert common.masked_pan is not None
    assert "*" in common.masked_pan
    assert_clean(txn, kinetic_go_sim.secrets())
    assert_clean(common, kinetic_go_sim.secrets())
    [charge] = kinetic_go_sim.charges()
    assert charge.reference == tid
    assert charge.amount == Decimal("12.34")
    assert kinetic_go_sim.money_requests() == 1


async def test_sale_with_tip_and_cashback_in_exact_minor_units(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    tid = new_id()
    await go.start_sale(tid, Decimal("10.10"), tip=Decimal("0.99"), cashback=Decimal("20.00"))
    txn = await finished(go, tid)
    assert (txn.amount, txn.tip_amount, txn.amount_other) == (
        Decimal("10.10"),
        Decimal("0.99"),
        Decimal("20.00"),
    )
    assert txn.total_amount == Decimal("31.09")
    [charge] = kinetic_go_sim.charges()
    assert charge.amount == Decimal("31.09")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("5.01", TransactionResult.DECLINED),
        ("5.04", TransactionResult.CANCELLED),
        ("5.05", TransactionResult.ERROR),
        ("5.06", TransactionResult.APPROVED),
    ],
)
async def test_scripted_outcomes(
    go: KineticGoClient, amount: str, expected: TransactionResult
) -> None:
    tid = new_id()
    await go.start_sale(tid, Decimal(amount))
    txn = await finished(go, tid)
    assert txn.to_transaction().result is expected
    if amount == "5.06":
        assert txn.is_signature_required is True


async def test_refund_reversal_and_reconciliation(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    sale = await approved_sale(go, "7.00")
    refund_id = new_id()
    refund = await go.start_refund(refund_id, Decimal("2.50"))
    assert refund.transaction_type is TransactionType.REFUND
    refund = await finished(go, refund_id)
    assert refund.to_transaction().result is TransactionResult.APPROVED
    assert refund.amount == Decimal("2.50")

    reversal_id = new_id()
    reversal = await go.start_reversal(reversal_id, sale.id)
    assert reversal.reference_txn_id == sale.id
    reversal = await finished(go, reversal_id)
    assert reversal.to_transaction().type is TransactionType.REVERSAL
    assert reversal.to_transaction().result is TransactionResult.APPROVED
    assert (await go.transaction(sale.id)).is_reversed is True

    recon_id = new_id()
    await go.start_reconciliation(recon_id)
    recon = await finished(go, recon_id)
    assert recon.to_transaction().type is TransactionType.RECONCILIATION
    lines = receipt_lines(await go.receipt(recon_id, ReceiptCopy.RECONCILIATION))
    assert lines
    assert lines == receipt_lines(await go.receipt(recon_id, ReceiptCopy.MERCHANT))
    with pytest.raises(KineticValidationError):
        await go.receipt(recon_id, ReceiptCopy.CARDHOLDER)
    types = {entry.reference: entry.type for entry in kinetic_go_sim.ledger}
    assert types[refund_id] == "refund"
    assert types[reversal_id] == "reversal"


async def test_transaction_list_latest_and_not_found(go: KineticGoClient) -> None:
    assert await go.transactions() == []
    assert await go.latest_transaction() is None
    first = await approved_sale(go, "1.00")
    second = await approved_sale(go, "2.00")
    summaries = await go.transactions()
    assert {s.id for s in summaries} == {first.id, second.id}
    by_id = {s.id: s for s in summaries}
    assert by_id[second.id].amount == Decimal("2.00")
    assert by_id[second.id].to_transaction().result is TransactionResult.APPROVED
    latest = await go.latest_transaction()
    assert latest is not None
    assert latest.id == second.id
    with pytest.raises(KineticNotFoundError):
        await go.transaction(new_id())


async def test_current_transaction_busy_and_duplicate(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    assert await go.current_transaction() is None
    tid = new_id()
    # .03: the customer never presents a card, so the transaction stays active.
    await go.start_sale(tid, Decimal("3.03"))
    current = await go.current_transaction()
    assert current is not None
    assert current.id == tid
    assert current.to_transaction().result is TransactionResult.PENDING
    screen = await go.current_screen()
    assert not screen.is_idle

    with pytest.raises(KineticDeviceBusyError):
        await go.start_sale(new_id(), Decimal("1.00"))
    with pytest.raises(KineticDuplicateTransactionError):
        await go.start_sale(tid, Decimal("3.03"))

    await kinetic_go_sim.customer("cancel")
    txn = await finished(go, tid)
    assert txn.to_transaction().result is TransactionResult.CANCELLED
    await eventually(go.current_screen, lambda screen: screen.is_idle)
    assert await go.current_transaction() is None
    with pytest.raises(KineticDuplicateTransactionError):
        await go.start_sale(tid, Decimal("1.00"))
    assert kinetic_go_sim.charges() == []


async def test_card_wait_timeout_is_timeout(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    info = kinetic_go_sim.describe()
    kinetic_go_sim.card_timeout = 0.2
    client = KineticGoClient(
        kinetic_go_sim.host,
        kinetic_go_sim.port,
        username=str(info["username"]),
        password=str(info["password"]),
        session=session,
    )
    tid = new_id()
    await client.start_sale(tid, Decimal("1.03"))
    txn = await finished(client, tid)
    assert txn.to_transaction().result is TransactionResult.TIMEOUT


# --- printer and receipts -----------------------------------------------------------


async def test_receipts_render_to_lines(go: KineticGoClient) -> None:
    sale = await approved_sale(go, "12.34")
    merchant = await go.receipt(sale.id, ReceiptCopy.MERCHANT)
    cardholder = await go.receipt(sale.id, ReceiptCopy.CARDHOLDER)
    for receipt in (merchant, cardholder):
        text = "\n".join(receipt_lines(receipt))
        assert "12.34" in text
    with pytest.raises(KineticValidationError):
        await go.receipt(sale.id, ReceiptCopy.RECONCILIATION)
    with pytest.raises(KineticNotFoundError):
        await go.receipt(new_id(), ReceiptCopy.MERCHANT)


async def test_print_and_printer_errors(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    await go.print_instructions(
        [
            {"command": "text", "text": "second", "x": 0, "y": 40},
            {"command": "text", "text": "first", "x": 0, "y": 0},
            {"command": "flush"},
        ]
    )
    assert kinetic_go_sim.printed[-1] == ["first", "second"]
    kinetic_go_sim.set_paper(False)
    with pytest.raises(KineticPrinterError):
        await go.print_instructions([{"command": "text", "text": "x", "x": 0, "y": 0}])
    kinetic_go_sim.set_paper(True)
    sale = await approved_sale(go, "4.00")
    await go.print_instructions(await go.receipt(sale.id, ReceiptCopy.CARDHOLDER))
    assert any("4.00" in line for line in kinetic_go_sim.printed[-1])


# --- input validation: nothing is sent ------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (1.5, InvalidAmountError),
        (Decimal("0"), InvalidAmountError),
        (Decimal("-1"), InvalidAmountError),
        (Decimal("1.005"), InvalidAmountError),
        (Decimal("NaN"), InvalidAmountError),
    ],
)
async def test_bad_amount_sends_nothing(
    go: KineticGoClient,
    kinetic_go_sim: KineticGoSimulator,
    amount: Decimal,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await go.start_sale(new_id(), amount)
    with pytest.raises(error):
        await go.start_refund(new_id(), amount)
    assert kinetic_go_sim.money_requests() == 0


@pytest.mark.parametrize("bad_id", ["", "a/b", "../x", "x" * 200, "with space"])
async def test_bad_transaction_id_sends_nothing(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator, bad_id: str
) -> None:
    with pytest.raises(KineticInputError):
        await go.start_sale(bad_id, Decimal("1.00"))
    with pytest.raises(KineticInputError):
        await go.transaction(bad_id)
    assert kinetic_go_sim.money_requests() == 0


# --- faults -----------------------------------------------------------------------------


async def test_malformed_json_is_invalid_response(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    kinetic_go_sim.inject("malformed_json", path="/api/v2/device.json")
    with pytest.raises(KineticInvalidResponseError):
        await go.device()
    assert (await go.device()).serial_number == kinetic_go_sim.serial


async def test_hang_times_out(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    info = kinetic_go_sim.describe()
    client = KineticGoClient(
        kinetic_go_sim.host,
        kinetic_go_sim.port,
        username=str(info["username"]),
        password=str(info["password"]),
        session=session,
        request_timeout=0.2,
    )
    kinetic_go_sim.inject("hang")
    with pytest.raises(KineticTimeoutError):
        await client.ping()
    assert await client.ping() is True


async def test_error_500_busy_and_dropped_connection(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    kinetic_go_sim.inject("error_500")
    with pytest.raises(KineticDeviceError):
        await go.settings()
    kinetic_go_sim.inject("busy")
    with pytest.raises(KineticDeviceBusyError):
        await go.start_sale(new_id(), Decimal("1.00"))
    tid = new_id()
    kinetic_go_sim.inject("drop_after_accept", path="/api/v2/transactions/sale.json")
    with pytest.raises(KineticConnectionError):
        await go.start_sale(tid, Decimal("8.00"))
    # The terminal did start it: recovery by our own id finds the outcome.
    txn = await finished(go, tid)
    assert txn.to_transaction().result is TransactionResult.APPROVED


async def test_unreachable_terminal_is_connection_error(session: aiohttp.ClientSession) -> None:
    # Port 9 on a loopback address nobody listens on: connection refused.
    client = KineticGoClient("127.0.0.254", 9, username="u", password="p", session=session)
    with pytest.raises(KineticConnectionError):
        await client.ping()


# --- session handling and secrets ---------------------------------------------------------


async def test_session_injection_and_ownership(kinetic_go_sim: KineticGoSimulator) -> None:
    async with aiohttp.ClientSession() as injected:
        client = KineticGoClient(kinetic_go_sim.host, kinetic_go_sim.port, session=injected)
        async with client:
            assert await client.ping()
        assert not injected.closed
        assert client.session is injected

    own = KineticGoClient(kinetic_go_sim.host, kinetic_go_sim.port)
    async with own:
        assert await own.ping()
        created = own.session
        assert created is not None
        assert not created.closed
    assert created.closed


def test_repr_hides_password() -> None:
    client = KineticGoClient("127.0.0.2", username="kinetic", password="s3cret-passcode")
    assert "s3cret-passcode" not in repr(client)
    assert "kinetic" in repr(client)


class RenamingTerminal(KineticGoSimulator):
    """A terminal that ignores the client's id and reports its own."""

    def transaction_document(self, txn: SimTransaction) -> dict[str, Any]:
        """Answer under another id."""
        return {**super().transaction_document(txn), "id": f"device-{txn.id}"}


async def test_start_under_another_id_is_reported(session: aiohttp.ClientSession) -> None:
    async with RenamingTerminal(host="127.0.0.64", customer_delay=0.05) as sim:
        info = sim.describe()
        client = KineticGoClient(
            sim.host,
            sim.port,
            username=str(info["username"]),
            password=str(info["password"]),
            session=session,
        )
        tid = new_id()
        with pytest.raises(KineticReferenceMismatchError) as mismatch:
            await client.start_sale(tid, Decimal("1.00"))
        assert mismatch.value.expected_id == tid
        assert mismatch.value.returned_id == f"device-{tid}"


async def test_polls_reuse_the_reading_of_an_unchanged_reply(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    # An idle terminal answers the same bytes every poll: the same (immutable) model.
    screen = await go.current_screen()
    assert await go.current_screen() is screen
    assert await go.current_transaction() is None
    assert await go.current_transaction() is None
    tid = new_id()
    await go.start_sale(tid, Decimal("3.03"))  # .03: stays active, waiting for the card
    # A changed reply is read again: the change is never lost.
    busy_screen = await go.current_screen()
    assert busy_screen is not screen
    assert not busy_screen.is_idle
    current = await go.current_transaction()
    assert current is not None
    assert current.id == tid
    # An error reply is never kept: it raises each time, then the real answer is read.
    kinetic_go_sim.inject("error_500", path="/api/v2/transactions/current.json", times=2)
    for _ in range(2):
        with pytest.raises(KineticDeviceError):
            await go.current_transaction()
    assert (await go.current_transaction()) == current
    kinetic_go_sim.inject("malformed_json", path="/api/v2/screens/current.json")
    with pytest.raises(KineticInvalidResponseError):
        await go.current_screen()
    assert await go.current_screen() == busy_screen
    await kinetic_go_sim.customer("cancel")
    await finished(go, tid)
    latest = await go.latest_transaction()
    assert latest is not None
    assert latest.id == tid


async def test_requests_follow_a_changed_address(
    go: KineticGoClient, kinetic_go_sim: KineticGoSimulator
) -> None:
    assert await go.ping() is True
    port = go.port
    go.port = 9  # nothing listens there: the URL built for the old address is not reused
    with pytest.raises(KineticConnectionError):
        await go.ping()
    go.port = port
    assert await go.ping() is True
