"""One translated state vocabulary for what every kind of terminal shows."""

from __future__ import annotations

from enum import StrEnum

from kinetic_integration import TerminalStatus


class TerminalState(StrEnum):
    """What a terminal is doing, whichever API reports it."""

    IDLE = "idle"
    WAITING_FOR_CARD = "waiting_for_card"
    PIN_ENTRY = "pin_entry"
    PROCESSING = "processing"
    SIGNATURE = "signature"
    PRINTING = "printing"
    REMOVE_CARD = "remove_card"
    SHOWING_RESULT = "showing_result"
    PAIRING = "pairing"
    BUSY = "busy"
    OFFLINE = "offline"


# Checked in order: the first phrase found in the screen or status text wins. Prompts
# only count during a transaction (an idle Kinetic Go says "Tap Green To Start").
_DURING_TRANSACTION: tuple[tuple[str, TerminalState], ...] = (
    ("pin", TerminalState.PIN_ENTRY),
    ("signature", TerminalState.SIGNATURE),
    ("card", TerminalState.WAITING_FOR_CARD),
    ("tap", TerminalState.WAITING_FOR_CARD),
    ("insert", TerminalState.WAITING_FOR_CARD),
    ("swipe", TerminalState.WAITING_FOR_CARD),
    ("processing", TerminalState.PROCESSING),
)
_ANY_TIME: tuple[tuple[str, TerminalState], ...] = (
    ("remove card", TerminalState.REMOVE_CARD),
    ("pairing", TerminalState.PAIRING),
    ("print", TerminalState.PRINTING),
    ("approved", TerminalState.SHOWING_RESULT),
    ("declined", TerminalState.SHOWING_RESULT),
    ("cancelled", TerminalState.SHOWING_RESULT),
    ("canceled", TerminalState.SHOWING_RESULT),
    ("error", TerminalState.SHOWING_RESULT),
)


def terminal_state(status: TerminalStatus) -> TerminalState:
    """Map a terminal's own words to the shared vocabulary."""
    if not status.online:
        return TerminalState.OFFLINE
    text = (status.screen or "").lower()
    phrases = (_ANY_TIME[:1] + _DURING_TRANSACTION + _ANY_TIME[1:]) if status.busy else _ANY_TIME
    for phrase, state in phrases:
        if phrase in text:
            return state
    return TerminalState.BUSY if status.busy else TerminalState.IDLE
