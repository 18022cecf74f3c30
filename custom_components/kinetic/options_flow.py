"""Options flow: the behaviour settings of one terminal."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow

from kinetic_integration import DEFAULT_MAX_AMOUNT, KineticError, format_amount, parse_amount

from .authorization import AUTHORIZATION_OPTIONS, async_options_fields
from .const import CONF_MAX_AMOUNT
from .journal import CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS
from .refund_rules import (
    CONF_ALLOW_UNLINKED_REFUNDS,
    CONF_REFUND_CAP,
    DEFAULT_ALLOW_UNLINKED_REFUNDS,
    DEFAULT_REFUND_CAP,
)

#: Amounts the form checks and keeps as exact decimal text.
_AMOUNTS = (CONF_MAX_AMOUNT, CONF_REFUND_CAP)


class KineticOptionsFlow(OptionsFlow):
    """Behaviour settings: amount caps, refunds that name no sale, the journal's keeping."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the settings."""
        errors: dict[str, str] = {}
        # Who may refund, reverse, cancel, reconcile (authorization.py).
        who_fields, who = await async_options_fields(self.hass, self.config_entry.options)
        if user_input is not None:
            amounts: dict[str, str] = {}
            for key in _AMOUNTS:
                if key not in user_input:
                    continue
                try:
                    amounts[key] = format_amount(parse_amount(user_input[key], max_amount=None))
                except KineticError:
                    errors[key] = "invalid_amount"
            if not errors:
                kept = {
                    key: value
                    for key, value in user_input.items()
                    if key
                    in (CONF_RETENTION_DAYS, CONF_ALLOW_UNLINKED_REFUNDS, *AUTHORIZATION_OPTIONS)
                }
                return self.async_create_entry(data={**amounts, **kept})
        options = self.config_entry.options
        current = {
            CONF_MAX_AMOUNT: options.get(CONF_MAX_AMOUNT, format_amount(DEFAULT_MAX_AMOUNT)),
            CONF_RETENTION_DAYS: options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS),
            CONF_REFUND_CAP: options.get(CONF_REFUND_CAP, DEFAULT_REFUND_CAP),
            CONF_ALLOW_UNLINKED_REFUNDS: options.get(
                CONF_ALLOW_UNLINKED_REFUNDS, DEFAULT_ALLOW_UNLINKED_REFUNDS
            ),
            **who,
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_MAX_AMOUNT): str,
                        # Optional: a form without them keeps their defaults.
                        vol.Optional(CONF_RETENTION_DAYS): vol.All(
                            vol.Coerce(int), vol.Range(min=1, max=3650)
                        ),
                        vol.Optional(CONF_REFUND_CAP): str,
                        vol.Optional(CONF_ALLOW_UNLINKED_REFUNDS): bool,
                        **who_fields,
                    }
                ),
                user_input or current,
            ),
            errors=errors,
        )
