"""Options flow: the behaviour settings of one terminal."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow

from kinetic_integration import DEFAULT_MAX_AMOUNT, KineticError, format_amount, parse_amount

from .const import CONF_MAX_AMOUNT


class KineticOptionsFlow(OptionsFlow):
    """Behaviour settings: the per-sale amount cap (payment actions add more)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the settings."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                cap = parse_amount(user_input[CONF_MAX_AMOUNT], max_amount=None)
            except KineticError:
                errors[CONF_MAX_AMOUNT] = "invalid_amount"
            else:
                return self.async_create_entry(data={CONF_MAX_AMOUNT: format_amount(cap)})
        current = self.config_entry.options.get(CONF_MAX_AMOUNT, format_amount(DEFAULT_MAX_AMOUNT))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_MAX_AMOUNT): str}),
                user_input or {CONF_MAX_AMOUNT: current},
            ),
            errors=errors,
        )
