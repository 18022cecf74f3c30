"""Signals from the payments to the coordinator: a transaction of ours began or ended.

The integration knows when it starts a transaction and when the terminal answered it,
before any poll could see either; the coordinator shows both at once rather than at its
next poll (up to the idle interval later).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send

from kinetic_integration import Transaction

from .const import DOMAIN


def started_signal(entry_id: str) -> str:
    """Return the signal sent when the payments of one entry start a transaction."""
    return f"{DOMAIN}_started_{entry_id}"


def finished_signal(entry_id: str) -> str:
    """Return the signal sent when a transaction of one entry has its outcome."""
    return f"{DOMAIN}_finished_{entry_id}"


def async_started(hass: HomeAssistant, entry_id: str, reference: str) -> None:
    """Tell the entry's coordinator that ``reference`` is on its way to the terminal."""
    async_dispatcher_send(hass, started_signal(entry_id), reference)


def async_finished(
    hass: HomeAssistant, entry_id: str, reference: str, transaction: Transaction | None
) -> None:
    """Tell the entry's coordinator that ``reference`` ended (``transaction``: its answer)."""
    async_dispatcher_send(hass, finished_signal(entry_id), reference, transaction)
