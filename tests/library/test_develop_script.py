"""The README's first command, ``scripts/develop``: the fleet part (``--no-hass``).

The whole demo with Home Assistant is exercised by ``tests/e2e``.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_develop_starts_the_fleet_with_a_virtual_terminal_page_each() -> None:
    # Ephemeral ports and no advertising, so it cannot collide with a demo already running.
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "develop"),
        "--no-hass",
        "--terminal-port",
        "0",
        "--no-advertise",
        "--duration",
        "0.5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 50)
    assert process.returncode == 0, stderr.decode()
    text = stdout.decode()
    pages = re.findall(r"(kinetic-go|device-service|payment-engine)\s+(http://\S+/_sim/ui)", text)
    assert sorted(kind for kind, _ in pages) == [
        "device-service",
        "kinetic-go",
        "kinetic-go",
        "payment-engine",
    ]
    # Each terminal on its own loopback address.
    assert len({url.split(":")[1] for _, url in pages}) == 4
    assert all(url.startswith("http://127.0.0.") for _, url in pages)
    assert "Home Assistant" not in text
