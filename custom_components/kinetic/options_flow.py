"""Options flow: the behaviour settings of one terminal."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow

from kinetic_integration import DEFAULT_MAX_AMOUNT, KineticError, format_amount, parse_amount

from .authorization import AUTHORIZATION_OPTIONS, async_options_fields
from .const import CONF_MAX_AMOUNT
from .journal import CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS


class KineticOptionsFlow(OptionsFlow):
    """Behaviour settings: the per-sale amount cap, how long the journal keeps records."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the settings."""
        errors: dict[str, str] = {}
        # Who may refund, reverse, cancel, reconcile (authorization.py).
        who_fields, who = await async_options_fields(self.hass, self.config_entry.options)
        if user_input is not None:
            try:
                cap = parse_amount(user_input[CONF_MAX_AMOUNT], max_amount=None)
            except KineticError:
                errors[CONF_MAX_AMOUNT] = "invalid_amount"
            else:
                kept = {
                    k: v
                    for k, v in user_input.items()
                    if k == CONF_RETENTION_DAYS or k in AUTHORIZATION_OPTIONS
                }
                return self.async_create_entry(data={CONF_MAX_AMOUNT: format_amount(cap), **kept})
        current = self.config_entry.options.get(CONF_MAX_AMOUNT, format_amount(DEFAULT_MAX_AMOUNT))
        days = self.config_entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_MAX_AMOUNT): str,
                        # Optional: a form without it keeps the current retention.
                        vol.Optional(CONF_RETENTION_DAYS): vol.All(
                            vol.Coerce(int), vol.Range(min=1, max=3650)
                        ),
                        **who_fields,
                    }
                ),
                user_input or {CONF_MAX_AMOUNT: current, CONF_RETENTION_DAYS: days, **who},
            ),
            errors=errors,
        )
