"""Stopping and starting the integration as Home Assistant does, at chosen moments.

A stop cancels every transaction task (as Home Assistant's stop cancels background
tasks), waits for the journal writes under way (as its stop event does), then a start
reads the journal back from storage and sets every entry up again.

:class:`StopAt` arms one stop at a moment of the journal's life: just before or just
after a write of the terminal's answer (a final result, or an error answered to the
request). The transaction's task is blocked there until the stop cancels it, so nothing
after that point runs in the old "process".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.data import DATA_JOURNAL
from custom_components.kinetic.journal import HomeAssistantJournal
from kinetic_integration.journal import JournalState

from .conftest import setup_entry


async def stop(hass: HomeAssistant, entries: list[MockConfigEntry]) -> None:
    """Stop: unload every entry (cancelling its transactions), let journal writes land."""
    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
    journal: HomeAssistantJournal = hass.data[DATA_JOURNAL]
    await journal.async_wait_for_writes()
    await hass.async_block_till_done()


async def start(
    hass: HomeAssistant, entries: list[MockConfigEntry], *, booting: bool = False
) -> None:
    """Start: a new journal read from storage, every entry set up (recovery runs).

    ``booting`` sets the entries up as Home Assistant's own start does: not running yet
    (automations attach their triggers only once it started), then started.
    """
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    hass.data[DATA_JOURNAL] = journal
    if booting:
        hass.set_state(CoreState.not_running)
    for entry in entries:
        await setup_entry(hass, entry)
    if booting:
        hass.set_state(CoreState.running)
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
        await hass.async_block_till_done()


async def announcements_done() -> None:
    """Wait for the announcements put off until Home Assistant started.

    They wait for Home Assistant to settle first, so the restart's own task (which Home
    Assistant counts) must be over before this is awaited.
    """
    pending = [
        task for task in asyncio.all_tasks() if task.get_name().startswith("kinetic announce ")
    ]
    await asyncio.gather(*pending)


async def restart(
    hass: HomeAssistant, entries: list[MockConfigEntry], *, booting: bool = False
) -> None:
    """Stop, then start."""
    await stop(hass, entries)
    await start(hass, entries, booting=booting)


def is_answer(changes: dict[str, Any]) -> bool:
    """Whether a journal update writes the terminal's answer (final, or an error)."""
    return changes.get("state") is JournalState.FINAL or bool(changes.get("answered_error"))


class StopAt:
    """One restart, at the first journal write of a terminal's answer.

    ``when`` is "before_write" (the answer arrived, the journal never heard of it) or
    "after_write" (written, nothing after it ran).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entries: list[MockConfigEntry],
        monkeypatch: pytest.MonkeyPatch,
        when: str,
        *,
        matches: Callable[[dict[str, Any]], bool] = is_answer,
        booting: bool = False,
    ) -> None:
        """Arm the stop; ``matches`` picks the write (by its keyword arguments).

        ``booting``: the start after it is as Home Assistant's own (see :func:`start`).
        """
        assert when in ("before_write", "after_write")
        self.hass = hass
        self.entries = entries
        self.when = when
        self.matches = matches
        self.armed = True
        self.restarted: asyncio.Task[None] | None = None
        original = HomeAssistantJournal.update

        async def update(journal: HomeAssistantJournal, reference: str, **changes: Any) -> Any:
            if not (self.armed and self.matches(changes)):
                return await original(journal, reference, **changes)
            self.armed = False
            result = None
            if self.when == "after_write":
                result = await original(journal, reference, **changes)
            self.restarted = hass.async_create_task(restart(hass, entries, booting=booting))
            # Blocked until the stop cancels this transaction's task.
            await asyncio.Event().wait()
            return result  # pragma: no cover - never reached

        monkeypatch.setattr(HomeAssistantJournal, "update", update)

    async def wait(self) -> None:
        """Wait until the restart it caused is complete."""
        for _ in range(1000):
            if self.restarted is not None:
                break
            await asyncio.sleep(0.01)
        assert self.restarted is not None, "the armed stop never happened"
        await self.restarted
        await self.hass.async_block_till_done()
