"""Repairs: a transaction whose outcome stayed unknown, released once a person checked."""

from __future__ import annotations

import contextlib
from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from kinetic_integration import KineticInputError, abandon

from .data import DATA_JOURNAL


class UnknownOutcomeRepairFlow(ConfirmRepairFlow):
    """Confirm the terminal was checked: the record no longer blocks new sales.

    Its reference is still never sent again (the library only ever looks it up).
    """

    def __init__(self, reference: str) -> None:
        """Remember which record to release."""
        super().__init__()
        self.reference = reference

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
            return self.async_create_entry(data={})
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Create the flow for an unknown-outcome issue."""
    assert data is not None
    return UnknownOutcomeRepairFlow(str(data["reference"]))
