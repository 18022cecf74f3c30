"""A reference asked again: answered from the journal, never told twice, nor as the new caller.

The library resumes a known reference and sends nothing; what was announced when it
ended (the logbook entry, the event, who started it) stays the only announcement.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import setup_entry
from .test_payments import device_id, journal
from .users import person


async def _refund_as(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, reference: str
) -> dict[str, Any]:
    user = await person(hass, name, admin=True)
    answer = await hass.services.async_call(
        DOMAIN,
        "refund",
        {"device_id": device_id(hass, entry), "amount": "4.00", "reference": reference},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id),
    )
    assert isinstance(answer, dict)
    return answer


async def test_a_repeated_reference_is_told_once_as_its_first_caller(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Ada's refund asked again by Bob: one request, one logbook entry, one event (Ada's)."""
    await setup_entry(hass, go_entry)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    first = await _refund_as(hass, go_entry, "Ada", "refund-0001")
    again = await _refund_as(hass, go_entry, "Bob", "refund-0001")
    await hass.async_block_till_done()
    assert go_sim.money_requests() == 1
    assert (first["result"], again["result"]) == ("approved", "approved")
    # The answer says who started it, from the record.
    assert (first["started_by_text"], again["started_by_text"]) == ("Ada", "Ada")
    assert len(logbook) == 1
    assert "Ada" in logbook[0].data["message"]
    assert [event.data["started_by_text"] for event in events] == ["Ada"]
    assert journal(hass).details("refund-0001")["started_by"]["name"] == "Ada"


async def test_the_same_reference_at_once_is_told_once(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Two calls with one reference at the same moment: the second waits and is not told."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answers = [
        hass.async_create_task(_refund_as(hass, go_entry, name, "refund-0002"))
        for name in ("Ada", "Bob")
    ]
    results = [await answer for answer in answers]
    await hass.async_block_till_done()
    assert go_sim.money_requests() == 1
    assert [result["started_by_text"] for result in results] == ["Ada", "Ada"]
    assert [event.data["started_by_text"] for event in events] == ["Ada"]
