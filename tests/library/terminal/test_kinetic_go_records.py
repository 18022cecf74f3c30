"""The facade over what a Kinetic Go keeps itself: settings, transactions, formatted print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration import (
    GoSettings,
    KineticInputError,
    PrintLine,
    TransactionFilter,
    TransactionResult,
    TransactionType,
    UnsupportedOperationError,
)
from kinetic_integration.simulator import BaseSimulator, KineticGoSimulator
from kinetic_integration.terminal import Capability, KineticGoTerminal, Terminal, create_terminal
from kinetic_integration.terminal.printing import text_instructions
from tests.library.terminal.support import config_for, started_sim, wait_until


def _terminal(sim: BaseSimulator, session: aiohttp.ClientSession) -> Terminal:
    return create_terminal(config_for(sim), session)


async def test_settings_as_a_typed_model(session: aiohttp.ClientSession) -> None:
    async with started_sim(
        "kinetic_go", terminal_id="22005555", receipt_header=["Cafe", "High St"]
    ) as sim:
        settings = await _terminal(sim, session).settings()
    assert settings == GoSettings(
        host_module="dummy",
        host_address="127.0.0.1",
        host_port=23215,
        terminal_id="22005555",
        merchant_id="87654321",
        deferred_auth_enabled=False,
        # The host module's own header wins over the default one.
        receipt_header=(sim.name,),
        receipt_footer=(),
        http_enabled=True,
        http_port=8080,
    )


async def test_transactions_include_sales_started_on_the_terminal(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    ours = await terminal.sale("3.00")
    declined = await terminal.sale("3.01")
    local = kinetic_go_sim.start_on_terminal(Decimal("2.50"))
    await wait_until(lambda: not kinetic_go_sim.device.busy)
    everything = await terminal.transactions()
    assert [txn.reference for txn in everything] == [local, declined.reference, ours.reference]
    assert everything[0].amount == Decimal("2.50")
    assert everything[0].result is TransactionResult.APPROVED
    assert everything[0].is_reversed is False
    approved = await terminal.transactions(TransactionFilter(result=TransactionResult.APPROVED))
    assert [txn.reference for txn in approved] == [local, ours.reference]
    assert await terminal.transactions(TransactionFilter(type=TransactionType.REFUND)) == []
    now = datetime.now(UTC)
    window = TransactionFilter(since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    assert len(await terminal.transactions(window)) == 3
    assert await terminal.transactions(TransactionFilter(since=now + timedelta(hours=1))) == []
    [newest] = await terminal.transactions(TransactionFilter(limit=1))
    assert newest.reference == local
    await terminal.reversal(ours.reference)
    sales = await terminal.transactions(TransactionFilter(type=TransactionType.SALE))
    assert {txn.reference: txn.is_reversed for txn in sales}[ours.reference] is True


@pytest.mark.parametrize(
    "fields",
    [
        {"since": datetime(2026, 1, 1)},  # noqa: DTZ001 - no time zone, on purpose
        {"since": datetime(2026, 1, 2, tzinfo=UTC), "until": datetime(2026, 1, 1, tzinfo=UTC)},
        {"limit": 0},
        {"limit": 1001},
        {"limit": True},
    ],
)
def test_transaction_filter_refuses_bad_input(fields: dict[str, object]) -> None:
    with pytest.raises(KineticInputError):
        TransactionFilter(**fields)  # type: ignore[arg-type]


async def test_deferred_authorisation_through_the_facade(session: aiohttp.ClientSession) -> None:
    async with started_sim("kinetic_go", deferred_auth=True) as sim:
        terminal = _terminal(sim, session)
        assert (await terminal.settings()).deferred_auth_enabled is True
        txn = await terminal.sale("9.05")
        assert txn.result is TransactionResult.APPROVED
        assert txn.is_deferred_auth is True
        assert txn.deferred_auth_attempts == 1
        assert txn.last_deferred_auth_attempt_at is not None
        plain = await terminal.sale("9.00")
        assert (plain.is_deferred_auth, plain.deferred_auth_attempts) == (False, None)
        # A refund whose host fails is not deferred: only sales are.
        refund = await terminal.refund("1.05")
        assert refund.result is TransactionResult.ERROR


async def test_print_text_with_attributes_reaches_the_printer(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    await terminal.print_text(
        [PrintLine(text="TOTAL", font_size=40, x=100, reverse=True, feed=30), "thanks"]
    )
    assert kinetic_go_sim.printed_instructions[-1] == [
        {"command": "text", "text": "TOTAL", "x": 100, "y": 0, "font_size": 40, "reverse": True},
        {"command": "scroll", "amount": 30},
        {"command": "text", "text": "thanks", "x": 0, "y": 0, "font_size": 24},
        {"command": "scroll", "amount": 100},
    ]
    assert kinetic_go_sim.printed[-1] == ["TOTAL", "thanks"]


@pytest.mark.parametrize(
    "line",
    [
        PrintLine(text="x", font_size=7),
        PrintLine(text="x", font_size=97),
        PrintLine(text="x", x=577),
        PrintLine(text="x", feed=-1),
        PrintLine(text="x", line_width=0),
        PrintLine(text="x", skew_x=46),
        PrintLine(text="x", family=""),
        PrintLine(text="x", family="Arial\n"),
        PrintLine(text="x", underline="yes"),  # type: ignore[arg-type]
        PrintLine(text="x", font_size=True),
        PrintLine(text="tab\there"),
    ],
)
async def test_bad_print_attributes_send_nothing(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession, line: PrintLine
) -> None:
    with pytest.raises(KineticInputError):
        await _terminal(kinetic_go_sim, session).print_text([line])
    assert kinetic_go_sim.print_requests == 0


def test_plain_lines_keep_their_old_layout() -> None:
    instructions = text_instructions(["a", "b"])
    assert instructions == [
        {"command": "text", "text": "a", "x": 0, "y": 0, "font_size": 24},
        {"command": "text", "text": "b", "x": 0, "y": 30, "font_size": 24},
        {"command": "scroll", "amount": 100},
    ]


async def test_other_kinds_refuse_the_kinetic_go_records(session: aiohttp.ClientSession) -> None:
    for kind in ("device_service", "payment_engine"):
        async with started_sim(kind) as sim:
            terminal = create_terminal(config_for(sim), session)
            for capability in (
                Capability.SETTINGS,
                Capability.TRANSACTION_HISTORY,
                Capability.PRINT,
            ):
                assert not terminal.supports(capability)
            with pytest.raises(UnsupportedOperationError):
                await terminal.settings()
            with pytest.raises(UnsupportedOperationError):
                await terminal.transactions()
            with pytest.raises(UnsupportedOperationError):
                await terminal.print_receipt("ref-1")
            with pytest.raises(UnsupportedOperationError):
                await terminal.receipt_instructions("ref-1")
            with pytest.raises(UnsupportedOperationError):
                await terminal.print_instructions([{"command": "flush"}])
            assert sim.money_requests() == 0


async def test_card_timeout_is_sent_as_timeout_ms(session: aiohttp.ClientSession) -> None:
    """The seed's ``timeout_ms``: the terminal ends an unanswered card wait by itself."""
    async with started_sim("kinetic_go", customer_delay=0) as sim:
        assert isinstance(sim, KineticGoSimulator)
        terminal = _terminal(sim, session)
        assert isinstance(terminal, KineticGoTerminal)
        client = terminal.client
        started = await client.start_sale("card-wait-1", Decimal("4.00"), card_timeout=1.5)
        assert started.timeout_ms == 1500
        await wait_until(lambda: not sim.device.busy)
        ended = await client.transaction("card-wait-1")
        assert ended.to_transaction().result is TransactionResult.TIMEOUT
        refund = await client.start_refund("card-wait-2", Decimal("1.00"), card_timeout=2)
        assert refund.timeout_ms == 2000
        for bad in (0.5, 3601, True):
            with pytest.raises(KineticInputError):
                await client.start_sale("card-wait-3", Decimal("1.00"), card_timeout=bad)
        assert sim.money_requests() == 2
