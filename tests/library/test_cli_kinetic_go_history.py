"""``kinetic transactions``, ``kinetic latest`` and ``kinetic settings`` on a Kinetic Go."""

from __future__ import annotations

from decimal import Decimal

from kinetic_integration.simulator import KineticGoSimulator
from tests.library.terminal.support import cli_target, run_cli, started_sim, wait_until


async def test_transactions_lists_the_terminals_own_database(
    kinetic_go_sim: KineticGoSimulator,
) -> None:
    target = cli_target(kinetic_go_sim)
    declined = await run_cli("--json", *target, "sale", "3.01")
    approved = await run_cli("--json", *target, "sale", "4.00")
    # A sale the merchant starts on the terminal itself: no journal knows it.
    local = kinetic_go_sim.start_on_terminal(Decimal("2.50"))
    await wait_until(lambda: not kinetic_go_sim.device.busy)
    listing = await run_cli("--json", *target, "transactions")
    assert listing.code == 0
    rows = listing.json["transactions"]
    assert {row["reference"] for row in rows} == {
        declined.json["reference"],
        approved.json["reference"],
        local,
    }
    by_reference = {row["reference"]: row for row in rows}
    assert by_reference[local]["amount"] == "2.50"
    assert by_reference[local]["result"] == "approved"
    assert by_reference[local]["masked_pan"]
    assert by_reference[local]["is_reversed"] is False
    only = await run_cli("--json", *target, "transactions", "--result", "declined")
    assert [row["reference"] for row in only.json["transactions"]] == [declined.json["reference"]]
    newest = await run_cli("--json", *target, "transactions", "--limit", "1")
    assert [row["reference"] for row in newest.json["transactions"]] == [rows[0]["reference"]]
    future = await run_cli(
        "--json", *target, "transactions", "--since", "2999-01-01T00:00:00+00:00"
    )
    assert future.json["transactions"] == []
    bad = await run_cli("--json", *target, "transactions", "--limit", "0")
    assert bad.code == 2
    human = await run_cli(*target, "transactions", "--type", "sale")
    assert local in human.stdout
    # The reversal marks the original reversed in the list.
    reversal = await run_cli("--json", *target, "reversal", approved.json["reference"])
    assert reversal.json["result"] == "approved"
    listing = await run_cli("--json", *target, "transactions", "--type", "sale")
    reversed_rows = [row for row in listing.json["transactions"] if row["is_reversed"]]
    assert [row["reference"] for row in reversed_rows] == [approved.json["reference"]]


async def test_latest_shows_the_most_recent_transaction(
    kinetic_go_sim: KineticGoSimulator,
) -> None:
    target = cli_target(kinetic_go_sim)
    empty = await run_cli("--json", *target, "latest")
    assert empty.code == 2
    local = kinetic_go_sim.start_on_terminal(Decimal("6.06"))
    await wait_until(lambda: not kinetic_go_sim.device.busy)
    latest = await run_cli("--json", *target, "latest")
    assert latest.code == 0
    assert latest.json["reference"] == local
    assert latest.json["signature_required"] is True
    human = await run_cli(*target, "latest")
    assert "SIGNATURE REQUIRED" in human.stdout


async def test_deferred_authorisation_is_reported() -> None:
    async with started_sim("kinetic_go", deferred_auth=True) as sim:
        target = cli_target(sim)
        sale = await run_cli("--json", *target, "sale", "8.05")
        assert sale.json["result"] == "approved"
        assert sale.json["is_deferred_auth"] is True
        assert sale.json["deferred_auth_attempts"] == 1
        assert sale.json["last_deferred_auth_attempt_at"]
        human = await run_cli(*target, "latest")
        assert "DEFERRED AUTHORISATION" in human.stdout
        settings = await run_cli("--json", *target, "settings")
        assert settings.json["deferred_auth_enabled"] is True


async def test_settings_shows_the_typed_settings() -> None:
    async with started_sim(
        "kinetic_go", terminal_id="22009999", receipt_footer=["Thank you", "Come again"]
    ) as sim:
        target = cli_target(sim)
        settings = await run_cli("--json", *target, "settings")
        assert settings.code == 0
        assert settings.json == {
            "host_module": "dummy",
            "host_address": "127.0.0.1",
            "host_port": 23215,
            "terminal_id": "22009999",
            "merchant_id": "87654321",
            "deferred_auth_enabled": False,
            "receipt_header": [sim.name],
            "receipt_footer": ["Thank you", "Come again"],
            "http_enabled": True,
            "http_port": 8080,
        }
        human = await run_cli(*target, "settings")
        assert "terminal_id: 22009999" in human.stdout


async def test_history_commands_are_refused_by_other_kinds() -> None:
    async with started_sim("device_service") as sim:
        for command in ("transactions", "settings"):
            refused = await run_cli("--json", *cli_target(sim), command)
            assert refused.code == 2
            assert refused.json["error"] == "unsupported"


async def test_print_with_the_printers_attributes(kinetic_go_sim: KineticGoSimulator) -> None:
    target = cli_target(kinetic_go_sim)
    printed = await run_cli(
        "--json",
        *target,
        "print",
        "Hi",
        "there",
        "--font-size",
        "40",
        "--x",
        "12",
        "--underline",
        "--family",
        "Mono",
        "--skew-x",
        "-5",
    )
    assert printed.code == 0
    line = {"x": 12, "font_size": 40, "underline": True, "skew_x": -5, "family": "Mono"}
    assert kinetic_go_sim.printed_instructions[-1] == [
        {"command": "text", "text": "Hi", "y": 0, **line},
        {"command": "text", "text": "there", "y": 50, **line},
        {"command": "scroll", "amount": 100},
    ]
    refused = await run_cli("--json", *target, "print", "Hi", "--font-size", "500")
    assert refused.code == 2
    assert kinetic_go_sim.print_requests == 1
