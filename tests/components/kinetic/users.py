"""Home Assistant users for the tests: an administrator, staff, and their contexts.

The privileged actions (refund, reverse, cancel, reconcile, send offline) need an
administrator's (or a manager's) context; a call without one is an automation's.
"""

from __future__ import annotations

from homeassistant.auth.const import GROUP_ID_ADMIN, GROUP_ID_USER
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant


async def person(hass: HomeAssistant, name: str, *, admin: bool = False) -> User:
    """Return the user called ``name`` (created the first time), an administrator or not."""
    for user in await hass.auth.async_get_users():
        if user.name == name:
            return user
    if not any(not user.system_generated for user in await hass.auth.async_get_users()):
        # Home Assistant makes the first person its owner (an administrator whatever the
        # group): an owner of its own, so the people the tests name are what they say.
        await hass.auth.async_create_user("Owner", group_ids=[GROUP_ID_ADMIN])
    group = GROUP_ID_ADMIN if admin else GROUP_ID_USER
    return await hass.auth.async_create_user(name, group_ids=[group])


async def admin_context(hass: HomeAssistant) -> Context:
    """Return a context of an administrator ("Ada")."""
    return Context(user_id=(await person(hass, "Ada", admin=True)).id)


async def staff_context(hass: HomeAssistant, name: str = "anna") -> Context:
    """Return a context of a user who is not an administrator."""
    return Context(user_id=(await person(hass, name)).id)
