"""The virtual terminal page in headless Chromium: a person pays at the simulated terminal.

Skipped (with the reason) when Playwright or Debian's ``/usr/bin/chromium`` is missing.
Uses 127.0.0.148 (nothing else in the suite does).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

import aiohttp
import pytest

from kinetic_integration.models.common import TransactionResult
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.terminal import create_terminal
from tests.library.terminal.support import config_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (apt install chromium)"
)


async def test_paying_at_the_virtual_terminal(session: aiohttp.ClientSession) -> None:
    async with (
        KineticGoSimulator(host="127.0.0.148", customer_delay=0, processing_delay=0.05) as sim,
        playwright_api.async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            posted: list[Any] = []
            page.on(
                "request",
                lambda request: (
                    posted.append(json.loads(request.post_data or "null"))
                    if request.method == "POST"
                    else None
                ),
            )
            await page.goto(f"{sim.url}/_sim/ui")
            device = page.locator('[data-testid="device"][data-device="KG2SIM0001"]')
            screen = device.get_by_test_id("prompt")
            await playwright_api.expect(screen).to_have_text("Idle")
            await playwright_api.expect(page.get_by_test_id("sim-serial")).to_have_text(
                "KG2SIM0001"
            )
            tap = device.get_by_test_id("action-tap")
            await playwright_api.expect(tap).to_be_disabled()

            terminal = create_terminal(config_for(sim), session)
            # A total ending in .02 asks for a PIN after the card.
            sale = asyncio.ensure_future(terminal.sale("42.02", timeout=30))
            await playwright_api.expect(device.get_by_test_id("amount")).to_have_text("£42.02")
            await playwright_api.expect(screen).to_have_text("Present card")
            await playwright_api.expect(device.get_by_test_id("action-pin")).to_be_disabled()
            await tap.click()
            await playwright_api.expect(screen).to_have_text("Enter PIN")
            for _ in range(4):
                await device.locator("button.digit").nth(3).click()
            await playwright_api.expect(device.get_by_test_id("pin-dots")).to_have_text("••••")
            await device.get_by_test_id("key-enter").click()
            await playwright_api.expect(screen).to_have_text("Approved")
            assert (await sale).result is TransactionResult.APPROVED
            await playwright_api.expect(tap).to_be_disabled()
            # The page sent action names only: never a digit of the PIN.
            assert posted == [
                {"action": "tap", "device": "KG2SIM0001", "wait": 0},
                {"action": "pin", "device": "KG2SIM0001", "wait": 0},
            ]
            assert errors == []

            # A button pressed when nothing waits for it: the 409 shows as a toast.
            await page.evaluate(
                "document.querySelector('[data-testid=action-swipe]').disabled = false"
            )
            await device.get_by_test_id("action-swipe").click()
            await playwright_api.expect(page.get_by_test_id("toast")).to_contain_text("not waiting")

            cable = page.get_by_test_id("cable")
            await cable.click()
            await playwright_api.expect(cable).to_have_text("Plug cable back")
            assert sim.state()["cable"] == {"connected": False}
            await playwright_api.expect(device.get_by_test_id("network")).to_have_text(
                "No network cable"
            )
            await cable.click()
            await playwright_api.expect(cable).to_have_text("Pull network cable")
            assert sim.state()["cable"] == {"connected": True}

            paper = page.get_by_test_id("paper")
            await paper.click()
            await playwright_api.expect(paper).to_have_text("Load paper")
            assert sim.state()["printer"] == {"present": True, "paper": False, "jobs": 0}
            await paper.click()
            await playwright_api.expect(paper).to_have_text("Paper out")
            await terminal.print_text(await terminal.receipt((await sale).reference))
            strip = page.get_by_test_id("printer-strip")
            await playwright_api.expect(strip).to_contain_text("CARD: 4***********0119")
            # Chromium logs the deliberate 409 as a failed resource; nothing else failed.
            assert [error for error in errors if "409" not in error] == []
        finally:
            await browser.close()
