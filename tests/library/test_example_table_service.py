"""examples/table_service.py, run as a user runs it, against a simulated Kinetic Go."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kinetic_integration.simulator import KineticGoSimulator

SCRIPT = Path(__file__).parents[2] / "examples" / "table_service.py"


async def _run(sim: KineticGoSimulator, journal: Path, *args: str) -> tuple[int, str, str]:
    """Run the example in its own process (the event loop stays free for the simulator)."""
    described = sim.describe()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--kind",
        "kinetic-go",
        "--host",
        sim.host,
        "--port",
        str(sim.port),
        "--journal",
        str(journal),
        "--timeout",
        "20",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # Credentials from the environment, as the docstring offers (not on the command line).
        env={
            **os.environ,
            "KINETIC_USERNAME": str(described["username"]),
            "KINETIC_PASSWORD": str(described["password"]),
        },
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_approved(kinetic_go_sim: KineticGoSimulator, tmp_path: Path) -> None:
    """Approved: exit 0, the receipt lines, exactly one charge of amount plus tip."""
    journal = tmp_path / "journal.sqlite3"
    code, out, err = await _run(
        kinetic_go_sim, journal, "--table", "5", "--amount", "42.50", "--tip", "5.00"
    )

    assert code == 0, err
    assert "AMOUNT: 42.50" in out
    assert "TIP: 5.00" in out
    assert "TOTAL: 47.50" in out
    assert "APPROVED" in out
    assert "REF: table5-" in out
    assert out.rstrip().endswith("Table 5: 47.50 approved")
    charges = kinetic_go_sim.charges()
    assert [(entry.type, entry.amount) for entry in charges] == [("sale", Decimal("47.50"))]
    assert kinetic_go_sim.money_requests() == 1

    # Re-run with the printed reference: the journal resumes it, nothing is sent again.
    reference = next(line for line in out.splitlines() if line.startswith("REF: "))[5:]
    code, out, err = await _run(
        kinetic_go_sim,
        journal,
        "--table",
        "5",
        "--amount",
        "42.50",
        "--tip",
        "5.00",
        "--reference",
        reference,
    )
    assert code == 0, err
    assert kinetic_go_sim.money_requests() == 1
    assert len(kinetic_go_sim.charges()) == 1


async def test_declined(kinetic_go_sim: KineticGoSimulator, tmp_path: Path) -> None:
    """Declined (the simulator declines .01): non-zero, nothing charged."""
    code, out, _err = await _run(
        kinetic_go_sim, tmp_path / "journal.sqlite3", "--table", "7", "--amount", "12.01"
    )

    assert code == 1
    assert "DECLINED" in out
    assert out.rstrip().endswith("Table 7: declined, nothing charged")
    assert kinetic_go_sim.charges() == []
    assert kinetic_go_sim.money_requests() == 1


@pytest.mark.parametrize("amount", ["42.5.0", "-1", "1e3", "12.345"])
async def test_bad_amount(kinetic_go_sim: KineticGoSimulator, tmp_path: Path, amount: str) -> None:
    """A bad amount: a clear error, non-zero, and no request for money at all."""
    code, out, err = await _run(
        kinetic_go_sim, tmp_path / "journal.sqlite3", "--table", "5", f"--amount={amount}"
    )

    assert code == 2
    assert "amount" in err
    assert "nothing was sent" in err
    assert out == ""
    assert kinetic_go_sim.money_requests() == 0


async def test_missing_credentials(kinetic_go_sim: KineticGoSimulator, tmp_path: Path) -> None:
    """Without credentials it says which are needed and sends nothing."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--kind=kinetic-go",
        f"--host={kinetic_go_sim.host}",
        f"--port={kinetic_go_sim.port}",
        f"--journal={tmp_path / 'journal.sqlite3'}",
        "--table=5",
        "--amount=42.50",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={key: value for key, value in os.environ.items() if not key.startswith("KINETIC_")},
    )
    _out, err = await asyncio.wait_for(process.communicate(), 40)

    assert process.returncode == 2
    assert "needs --username and --password" in err.decode()
    assert kinetic_go_sim.money_requests() == 0
