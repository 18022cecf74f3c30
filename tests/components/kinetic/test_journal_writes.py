"""What the journal's write path skips or defers, and what it never may."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant

from custom_components.kinetic.journal import HomeAssistantJournal

from .test_journal import _on_disk, _record


async def test_a_fresh_reference_is_answered_without_reading_the_file(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """A reference we just made up cannot be in the journal: no read, no executor hop."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    journal.stage("made-up", {"table": "4"}, fresh=True)
    lookup = journal.get("made-up")
    with pytest.raises(StopIteration) as answered:
        lookup.send(None)  # finished at once: it never waited for the file
    assert answered.value.value is None
    # The caller's own reference may name an old record: that one is looked up.
    journal.stage("callers-own", {"table": "5"})
    assert await journal.get("callers-own") is None
    reading = journal.get("callers-own")
    assert reading.send(None) is not None  # it waits for the file
    reading.close()
    journal.unstage("made-up")
    journal.unstage("callers-own")


async def test_announced_is_known_at_once_and_written_soon(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """Nobody waits for the "announced" commit; memory has it at once, the file soon after."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    await journal.begin(_record("r1"))
    journal.set_details_soon("r1", {"announced": True})
    assert journal.details("r1")["announced"] is True
    await journal.async_wait_for_writes()
    assert _on_disk(journal_in_tmp_path, "r1") == ("pending", '{"announced":true}')
