"""The export's edges: a time given in another zone, a journal that cannot be read."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from http import HTTPStatus
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic.export_view import EXPORT_URL

from .conftest import setup_entry
from .test_export import _export
from .test_payments import journal


async def test_an_end_in_another_zone_ends_its_local_day(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """Only an end, 01:00 UTC of the 10th: in Los Angeles that is the 9th, from its midnight.

    The start used to be the end's own date in its zone (the 10th): after the end.
    """
    await hass.config.async_set_time_zone("America/Los_Angeles")
    await setup_entry(hass, go_entry)
    end = "2026-03-10T01:00:00+00:00"
    export = await _export(hass, end=end)
    assert export["start"] == dt_util.start_of_local_day(date(2026, 3, 9)).isoformat()
    assert export["start"] == "2026-03-09T00:00:00-07:00"
    assert export["end"] == dt_util.as_local(datetime.fromisoformat(end)).isoformat()


def _folder_in_place_of(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.mkdir()


async def test_an_unreadable_journal_is_503_with_its_reason(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    journal_in_tmp_path: Path,
) -> None:
    """The journal's file gone (a folder in its place): the download says so, 503, not 500."""
    await setup_entry(hass, go_entry)
    await journal(hass).database.close()
    await hass.async_add_executor_job(_folder_in_place_of, journal_in_tmp_path)
    try:
        with pytest.raises(HomeAssistantError) as err:
            await _export(hass)
        assert err.value.translation_key == "export_failed"
        answer = await (await hass_client()).get(EXPORT_URL)
        assert answer.status == HTTPStatus.SERVICE_UNAVAILABLE
        body = await answer.json()
        assert body["code"] == "export_failed"
        assert body["message"].startswith("Could not read the transaction journal: ")
    finally:
        await hass.async_add_executor_job(shutil.rmtree, journal_in_tmp_path)
