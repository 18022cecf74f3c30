"""Repairs: a transaction whose outcome stayed unknown, released once a person checked."""

from __future__ import annotations

import contextlib
from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.http import current_request

from kinetic_integration import KineticInputError, abandon

from .data import DATA_JOURNAL
from .logbook_entry import async_log_action

#: Who released it when Home Assistant does not say (repair flows are for administrators).
AN_ADMINISTRATOR = "an administrator"


class UnknownOutcomeRepairFlow(ConfirmRepairFlow):
    """Confirm the terminal was checked: the record no longer blocks new sales.

    Its reference is still never sent again (the library only ever looks it up).
    """

    def __init__(self, reference: str, entry_id: str | None = None) -> None:
        """Remember which record to release, and its terminal's entry."""
        super().__init__()
        self.reference = reference
        self.entry_id = entry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Release the record once the user confirms."""
        if user_input is not None:
            # Settled meanwhile (a later poll found the outcome): nothing to release.
            with contextlib.suppress(KineticInputError):
                await abandon(
                    self.hass.data[DATA_JOURNAL],
                    self.reference,
                    note="Checked on the terminal by a person (repair confirmed)",
                )
                self._log_release()
            return self.async_create_entry(data={})
        return await super().async_step_confirm(user_input)

    def _log_release(self) -> None:
        """Say who released it, in the log and the logbook.

        The flow's context carries no user (2025.4 to 2026.x), but the repairs API's
        request does; without one (a flow driven some other way), "an administrator".
        """
        request = current_request.get()
        user = request.get(KEY_HASS_USER) if request is not None else None
        entry = self.hass.config_entries.async_get_entry(self.entry_id) if self.entry_id else None
        where = f" on {entry.title}" if entry is not None else ""
        async_log_action(
            self.hass,
            entry,
            name=self.reference,
            done=f"released{where} after a check on the terminal",
            who=(user.name or user.id) if user is not None else AN_ADMINISTRATOR,
            context=Context(user_id=user.id) if user is not None else None,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Create the flow for an unknown-outcome issue."""
    assert data is not None
    entry_id = data.get("entry_id")
    return UnknownOutcomeRepairFlow(
        str(data["reference"]), str(entry_id) if entry_id is not None else None
    )
