"""Who may move money out: the privileged actions, for administrators by default.

A sale is safe to allow widely (the customer presents a card and approves it); a refund
sends the merchant's money to whichever card is presented. So refund, reverse, cancel,
reconcile and sending offline transactions (actions and buttons) are allowed to Home
Assistant administrators, to the users a terminal's options name as ``managers``, and
to calls without a user only where the options say ``allow_automations`` *and* the call
comes from an automation or a script (audit.py finds the origin): a call without a user
from anything else (another integration, HomeKit, an origin we never saw start) is
refused whatever the options say. The check runs before anything else can send or stage
anything; a refusal is logged at WARNING with who, what and which terminal (no
secrets).

The end-of-day export (``export_transactions`` and its CSV download) has one policy,
here too: administrators, and calls without a user whose origin is an automation or a
script, without any option (it only reads, automations and scripts are written by
administrators, and the options are per terminal while the export spans them all). The
CSV download needs a real administrator (no user, no file).

The repair flow's "abandon" needs no check here: Home Assistant serves repair flows to
administrators only (``require_admin`` on its repairs views, 2025.4 and 2026.x alike;
``tests/components/kinetic/test_authorization.py`` shows a non-admin is refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeGuard

import voluptuous as vol
from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.helpers import selector

from .audit import (
    AUTOMATION_ORIGINS,
    Caller,
    async_started_by,
    started_by_text,
    user_started_by,
)
from .const import LOGGER
from .refusal import ActionRefused

if TYPE_CHECKING:
    from .payments import KineticPayments

#: Options: users (ids) allowed the privileged actions besides administrators.
CONF_MANAGERS = "managers"
#: Options: whether calls without a user (automations, scripts) may use them.
CONF_ALLOW_AUTOMATIONS = "allow_automations"
#: The options this module owns (the options flow keeps them).
AUTHORIZATION_OPTIONS = (CONF_MANAGERS, CONF_ALLOW_AUTOMATIONS)


class Privilege(StrEnum):
    """What only a few may do, by the action's name.

    All but ``EXPORT``: administrators and the options' managers (:func:`async_authorize`).
    ``EXPORT``: administrators only (:func:`async_authorize_export`, :func:`may_export`).
    """

    REFUND = "refund"
    REVERSE = "reverse"
    CANCEL = "cancel"
    RECONCILE = "reconcile"
    SEND_OFFLINE = "send_offline_transactions"
    EXPORT = "export_transactions"


async def async_require_privilege(
    call: ServiceCall, payments: KineticPayments, privilege: Privilege
) -> Caller:
    """Refuse an action call its caller may not make; return the caller otherwise."""
    return await async_authorize(call.hass, call.context, payments.entry, privilege)


async def async_authorize(
    hass: HomeAssistant, context: Context | None, entry: ConfigEntry, privilege: Privilege
) -> Caller:
    """Return the caller if allowed ``privilege`` on ``entry``'s terminal; refuse otherwise.

    The refusal is ``ActionRefused`` (a translated ``ServiceValidationError``, HTTP 400
    over REST), not Home Assistant's ``Unauthorized``: that one carries no translation,
    so the UI would say only "Unauthorized" without the reason or the way to allow more,
    and the REST API answers it with 401, which clients read as a bad token.
    """
    options: Mapping[str, Any] = entry.options
    terminal = entry.title
    user_id = context.user_id if context is not None else None
    if user_id is None:
        started_by = await async_started_by(hass, context)
        allowed = bool(options.get(CONF_ALLOW_AUTOMATIONS, False))
        if allowed and started_by["type"] in AUTOMATION_ORIGINS:
            return Caller(started_by=started_by, context=context)
        if allowed:
            _log_refusal(privilege, terminal, started_by, "comes from no automation or script")
            raise ActionRefused(
                translation_key="origin_not_automation",
                translation_placeholders={"action": privilege.value},
            )
        _log_refusal(privilege, terminal, started_by, "which the terminal's options do not allow")
        raise ActionRefused(
            translation_key="automation_not_allowed",
            translation_placeholders={"action": privilege.value},
        )
    user = await hass.auth.async_get_user(user_id)
    managers = options.get(CONF_MANAGERS, ())
    if user is not None and user.is_active and (user.is_admin or user.id in managers):
        return Caller(started_by=user_started_by(user), context=context)
    name = (user.name if user is not None else None) or user_id
    LOGGER.warning(
        "Refused %s on %s: %s is neither an administrator nor a manager", privilege, terminal, name
    )
    raise ActionRefused(
        translation_key="not_privileged",
        translation_placeholders={"action": privilege.value, "user": name},
    )


def _log_refusal(
    privilege: Privilege, terminal: str, started_by: Mapping[str, Any], why: str
) -> None:
    LOGGER.warning(
        "Refused %s on %s: started by %s, a call without a user, %s",
        privilege,
        terminal,
        started_by_text(started_by),
        why,
    )


def may_export(user: User | None) -> TypeGuard[User]:
    """Whether a signed-in user may download the export: an active administrator.

    No user is no: the CSV download is for people, and a request the web server let
    through without one is not an administrator's.
    """
    return user is not None and user.is_active and user.is_admin


def export_refused() -> ActionRefused:
    """Return the translated refusal of a user who is not an administrator."""
    return ActionRefused(translation_key="export_not_admin")


async def async_authorize_export(hass: HomeAssistant, context: Context) -> Caller:
    """Return the caller if it may export the transactions (see the module); refuse otherwise."""
    if context.user_id is None:
        started_by = await async_started_by(hass, context)
        if started_by["type"] in AUTOMATION_ORIGINS:
            return Caller(started_by=started_by, context=context)
        _log_refusal(Privilege.EXPORT, "every terminal", started_by, "from no automation or script")
        raise ActionRefused(translation_key="export_origin_unknown")
    user = await hass.auth.async_get_user(context.user_id)
    if may_export(user):
        return Caller(started_by=user_started_by(user), context=context)
    LOGGER.warning(
        "Refused %s on every terminal: %s is not an administrator",
        Privilege.EXPORT,
        (user.name if user is not None else None) or context.user_id,
    )
    raise export_refused()


async def async_options_fields(
    hass: HomeAssistant, options: Mapping[str, Any]
) -> tuple[dict[vol.Marker, Any], dict[str, Any]]:
    """Return the options flow's fields of this module and their current values.

    Managers are picked among the people who can log in and are not administrators
    already (administrators are always allowed); a manager since removed, deactivated or
    made an administrator is no longer offered.
    """
    users = [
        user
        for user in await hass.auth.async_get_users()
        if not user.system_generated and user.is_active and not user.is_admin
    ]
    people = [
        selector.SelectOptionDict(value=user.id, label=user.name or user.id)
        for user in sorted(users, key=lambda user: (user.name or "").casefold())
    ]
    offered = {user.id for user in users}
    fields: dict[vol.Marker, Any] = {
        vol.Optional(CONF_MANAGERS, default=[]): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=people, multiple=True, mode=selector.SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Optional(CONF_ALLOW_AUTOMATIONS, default=False): selector.BooleanSelector(),
    }
    current = {
        CONF_MANAGERS: [uid for uid in options.get(CONF_MANAGERS, ()) if uid in offered],
        CONF_ALLOW_AUTOMATIONS: bool(options.get(CONF_ALLOW_AUTOMATIONS, False)),
    }
    return fields, current
