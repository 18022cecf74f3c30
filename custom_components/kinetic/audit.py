"""Who started a transaction: a user, an automation or script, the terminal, or unknown.

Every transaction we start keeps it in its journal record's details under ``started_by``,
a small dict (the shared contract of the integration):

- ``{"type": "user", "user_id": ..., "name": ...}``: a Home Assistant user called;
- ``{"type": "automation" | "script", "entity_id": ..., "name": ..., "context_id": ...}``:
  a call without a user whose context an automation or script started; an automation a
  user ran by hand (``automation.trigger``) adds ``"user_id"`` and ``"user_name"``;
- ``{"type": "terminal"}``: a transaction of the terminal's own list (``get_transactions``)
  that no journal record of ours started;
- ``{"type": "unknown", "context_id": ...}``: no user, and no origin we know of.

:func:`started_by_text` is the one plain-words form ("anna", "automation Close the day",
"automation Close the day (run by anna)", "the terminal", "unknown"). Which automation
or script a context belongs to is learnt from Home Assistant's own
``automation_triggered`` and ``script_started`` events, and who ran an automation by hand
from its ``call_service`` event of ``automation.trigger``: maps from context id to origin,
filled as they fire and forgotten by age (a run that waits hours in a ``delay`` is still
known when it calls), with a bound on their size as a safety net.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.auth.models import User
from homeassistant.const import (
    ATTR_DOMAIN,
    ATTR_ENTITY_ID,
    ATTR_NAME,
    ATTR_SERVICE,
    EVENT_CALL_SERVICE,
)
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

#: The journal details key (and the events' and answers' field) of who started it.
STARTED_BY = "started_by"
#: Its plain-words form beside it in events and answers.
STARTED_BY_TEXT = "started_by_text"
# Home Assistant's own event names. Written here rather than imported: importing the
# automation or script integration would make it a dependency of ours.
EVENT_AUTOMATION_TRIGGERED = "automation_triggered"
EVENT_SCRIPT_STARTED = "script_started"
#: The origins of a call without a user that are automations or scripts.
AUTOMATION_ORIGINS = frozenset({"automation", "script"})
#: How long a run is remembered after it started (seconds): a run may wait in a
#: ``delay`` or ``wait_for_trigger`` for hours before it calls us.
ORIGINS_MAX_AGE = 24 * 60 * 60.0
#: The most runs remembered at once, a safety net only (the oldest go first): a day of
#: an automation every ten seconds; a few megabytes at most.
ORIGINS_KEPT = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who asked for a transaction: the call's context and what the journal keeps of it."""

    started_by: Mapping[str, str] | None = None
    context: Context | None = None


class Origins:
    """Which automation or script started each recent context (forgotten by age)."""

    def __init__(
        self,
        *,
        max_age: float = ORIGINS_MAX_AGE,
        size: int = ORIGINS_KEPT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start empty; ``clock`` (seconds) is replaceable for tests."""
        self._max_age = max_age
        self._size = size
        self._clock = clock
        self._by_context: OrderedDict[str, tuple[float, dict[str, str]]] = OrderedDict()
        # Context ids of users' calls of automation.trigger, and whose they were.
        self._run_by: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def _forget_old(self, remembered: OrderedDict[str, Any], now: float) -> None:
        # Noted in time order: the oldest are first.
        while remembered:
            noted_at = next(iter(remembered.values()))[0]
            if now - noted_at <= self._max_age and len(remembered) <= self._size:
                return
            remembered.popitem(last=False)

    @callback
    def async_note_run_by_hand(self, context: Context) -> None:
        """Remember the user of a call of ``automation.trigger`` (its run's parent)."""
        if context.user_id is None:
            return
        now = self._clock()
        self._run_by[context.id] = (now, context.user_id)
        self._forget_old(self._run_by, now)

    @callback
    def async_note(self, kind: str, event: Event[Mapping[str, Any]]) -> None:
        """Remember the automation or script a context belongs to.

        The first origin of a context is kept: a script an automation calls runs in the
        automation's context, and the automation is what started it.
        """
        context_id = event.context.id
        if context_id in self._by_context:
            return
        origin = {
            "type": kind,
            "entity_id": str(event.data.get(ATTR_ENTITY_ID) or ""),
            "name": str(event.data.get(ATTR_NAME) or event.data.get(ATTR_ENTITY_ID) or kind),
        }
        # automation.trigger runs the automation in a context whose parent is the call's.
        parent = event.context.parent_id
        if parent is not None and (run_by := self._run_by.get(parent)) is not None:
            origin["user_id"] = run_by[1]
        now = self._clock()
        self._by_context[context_id] = (now, origin)
        self._forget_old(self._by_context, now)

    def find(self, context: Context) -> dict[str, str] | None:
        """Return the origin of a context, or of the context it was started from."""
        now = self._clock()
        for context_id in (context.id, context.parent_id):
            found = self._by_context.get(context_id) if context_id is not None else None
            if found is not None and now - found[0] <= self._max_age:
                return dict(found[1])
        return None


DATA_ORIGINS: HassKey[Origins] = HassKey(f"{DOMAIN}_origins")


@callback
def async_setup_origins(hass: HomeAssistant) -> None:
    """Start noting which automation or script each new context belongs to."""
    origins = Origins()
    hass.data[DATA_ORIGINS] = origins

    @callback
    def _automation(event: Event[Mapping[str, Any]]) -> None:
        origins.async_note("automation", event)

    @callback
    def _script(event: Event[Mapping[str, Any]]) -> None:
        origins.async_note("script", event)

    @callback
    def _is_trigger(data: Mapping[str, Any]) -> bool:
        return data.get(ATTR_DOMAIN) == "automation" and data.get(ATTR_SERVICE) == "trigger"

    @callback
    def _run_by_hand(event: Event[Mapping[str, Any]]) -> None:
        origins.async_note_run_by_hand(event.context)

    hass.bus.async_listen(EVENT_AUTOMATION_TRIGGERED, _automation)
    hass.bus.async_listen(EVENT_SCRIPT_STARTED, _script)
    hass.bus.async_listen(EVENT_CALL_SERVICE, _run_by_hand, event_filter=_is_trigger)


def user_started_by(user: User) -> dict[str, str]:
    """Return ``started_by`` of a Home Assistant user."""
    return {"type": "user", "user_id": user.id, "name": user.name or user.id}


async def async_started_by(hass: HomeAssistant, context: Context | None) -> dict[str, str]:
    """Return who started a call with this context (see the module's docstring)."""
    if context is None:
        return {"type": "unknown", "context_id": ""}
    if context.user_id is not None:
        user = await hass.auth.async_get_user(context.user_id)
        if user is not None:
            return user_started_by(user)
        return {"type": "user", "user_id": context.user_id, "name": context.user_id}
    origins = hass.data.get(DATA_ORIGINS)
    origin = origins.find(context) if origins is not None else None
    if origin is None:
        return {"type": "unknown", "context_id": context.id}
    if run_by := origin.get("user_id"):
        user = await hass.auth.async_get_user(run_by)
        origin["user_name"] = (user.name if user is not None else None) or run_by
    return {**origin, "context_id": context.id}


async def async_caller(hass: HomeAssistant, context: Context | None) -> Caller:
    """Return the caller of a call with this context (anyone may start a sale)."""
    return Caller(started_by=await async_started_by(hass, context), context=context)


def started_by_text(started_by: Mapping[str, Any] | None) -> str:
    """Return who started it in plain words: "anna", "automation Close the day", ..."""
    if not started_by:
        return "unknown"
    kind = started_by.get("type")
    name = started_by.get("name")
    if kind == "user" and name:
        return str(name)
    if kind in AUTOMATION_ORIGINS and name:
        run_by = started_by.get("user_name") or started_by.get("user_id")
        return f"{kind} {name} (run by {run_by})" if run_by else f"{kind} {name}"
    if kind == "terminal":
        return "the terminal"
    return "unknown"


def recorded_caller(details: Mapping[str, Any]) -> Caller:
    """Return the caller a journal record keeps (a transaction recovered after a restart).

    The context is rebuilt so what is announced links to the same user (or to the
    automation's run, by its context id) as the call did.
    """
    started_by = details.get(STARTED_BY)
    if not isinstance(started_by, Mapping):
        return Caller()
    context: Context | None = None
    if started_by.get("type") == "user" and started_by.get("user_id"):
        context = Context(user_id=str(started_by["user_id"]))
    elif started_by.get("context_id"):
        context = Context(id=str(started_by["context_id"]))
    return Caller(started_by=started_by, context=context)


def started_by_fields(caller: Caller | None) -> dict[str, Any]:
    """Return ``started_by`` and ``started_by_text`` as events and answers carry them."""
    started_by = caller.started_by if caller is not None else None
    return {
        STARTED_BY: dict(started_by) if started_by is not None else None,
        STARTED_BY_TEXT: started_by_text(started_by),
    }
