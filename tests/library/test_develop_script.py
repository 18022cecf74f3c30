"""The README's first command, ``scripts/develop``, starts the simulated fleet."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_develop_starts_the_fleet_and_shows_a_sale_to_run() -> None:
    # Ephemeral ports and no advertising, so it cannot collide with a demo already running.
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "develop"),
        "--base-port",
        "0",
        "--no-zeroconf",
        "--no-announce",
        "--duration",
        "0.5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 50)
    assert process.returncode == 0, stderr.decode()
    text = stdout.decode()
    assert text.count("(kinetic-go) at http://127.0.0.") == 2
    assert text.count("(device-service) at http://127.0.0.") == 1
    assert text.count("(payment-engine) at http://127.0.0.") == 1
    assert "sale 12.34" in text
