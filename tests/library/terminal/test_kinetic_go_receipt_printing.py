"""Kinetic Go receipts are printed as the terminal rendered them, never reflowed.

The seed: receipt endpoints return "correctly formatted (and certified) receipt
messages ... send it directly to the printer without having to manipulate the result".
"""

from __future__ import annotations

import aiohttp

from kinetic_integration.models.common import ReceiptCopy
from kinetic_integration.receipts import receipt_lines
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.terminal import KineticGoTerminal, create_terminal
from tests.library.terminal.support import cli_target, config_for, run_cli


def _terminal(sim: KineticGoSimulator, session: aiohttp.ClientSession) -> KineticGoTerminal:
    terminal = create_terminal(config_for(sim), session)
    assert isinstance(terminal, KineticGoTerminal)
    return terminal


async def test_print_receipt_sends_the_document_unchanged(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    sale = await terminal.sale("12.34")
    reconciliation = await terminal.reconciliation()
    for reference, copy in (
        (sale.reference, ReceiptCopy.MERCHANT),
        (sale.reference, ReceiptCopy.CARDHOLDER),
        (reconciliation.reference, ReceiptCopy.RECONCILIATION),
    ):
        document = await terminal.client.receipt(reference, copy)
        lines = await terminal.print_receipt(reference, copy)
        # The seed's quirks ("amount": "100", "mount") and x/y/font_size arrive as served.
        assert kinetic_go_sim.printed_instructions[-1] == document
        assert lines == receipt_lines(document) == kinetic_go_sim.printed[-1]
    assert await terminal.receipt_instructions(sale.reference) == await terminal.client.receipt(
        sale.reference, ReceiptCopy.MERCHANT
    )


async def test_cli_receipt_print_sends_the_document_unchanged(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    target = cli_target(kinetic_go_sim)
    sale = await run_cli("--json", *target, "sale", "12.34")
    reference = sale.json["reference"]
    printed = await run_cli("--json", *target, "receipt", reference, "--print")
    assert printed.code == 0
    client = _terminal(kinetic_go_sim, session).client
    document = await client.receipt(reference, ReceiptCopy.MERCHANT)
    assert kinetic_go_sim.printed_instructions[-1] == document
    assert printed.json["lines"] == kinetic_go_sim.printed[-1]


async def test_control_route_shows_the_instructions_as_received(
    kinetic_go_sim: KineticGoSimulator, session: aiohttp.ClientSession
) -> None:
    terminal = _terminal(kinetic_go_sim, session)
    sent = [{"command": "text", "text": "Hi", "x": 7, "y": 0, "font_size": 30, "family": "Mono"}]
    await terminal.print_instructions(sent)
    async with session.get(f"{kinetic_go_sim.url}/_sim/printed/instructions") as response:
        assert await response.json() == [sent]
    assert kinetic_go_sim.print_requests == 1
