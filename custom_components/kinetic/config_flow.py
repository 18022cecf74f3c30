"""Config flow: one entry per terminal, found by search, discovery or entered by hand.

The local network's steps (search, discovery, the address form) are in ``flow_local``,
the forms in ``flow_schemas`` and the options in ``options_flow``; here are the menu,
the cloud account's steps and the steps that change an existing entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig

from kinetic_integration import (
    KINDS,
    KineticAuthenticationError,
    KineticConnectionError,
    KineticError,
    PeDevice,
    TerminalKind,
    kind_facts,
)

from .const import CONF_DEVICE_KEY, CONF_KIND, DOMAIN
from .data import KineticConfigEntry
from .flow_local import KineticLocalFlow, step_id
from .flow_schemas import CLOUD_SCHEMA, async_try, auth_schema, entry_schema
from .options_flow import KineticOptionsFlow
from .terminal import async_list_devices


class KineticConfigFlow(KineticLocalFlow, domain=DOMAIN):
    """Add a payment terminal."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        super().__init__()
        self._payment_engine: dict[str, Any] = {}
        self._devices: list[PeDevice] = []

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: KineticConfigEntry) -> KineticOptionsFlow:
        """Return the options flow."""
        return KineticOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user search the network or pick the kind of terminal."""
        return self.async_show_menu(
            step_id="user",
            menu_options=["search", *(step_id(facts) for facts in KINDS.values())],
        )

    # --- terminals on the local network, by hand ------------------------------------

    async def async_step_kinetic_go(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a Kinetic Go 2 terminal by address and credentials."""
        return await self._async_step_local(kind_facts(TerminalKind.KINETIC_GO), user_input)

    async def async_step_device_service(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a DeviceService (MP200) reader by address and credentials."""
        return await self._async_step_local(kind_facts(TerminalKind.DEVICE_SERVICE), user_input)

    # --- the Payment Engine (cloud) -----------------------------------------------

    async def async_step_payment_engine(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in to the Payment Engine with an API key and PIN."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_KIND: str(TerminalKind.PAYMENT_ENGINE), **user_input}
            try:
                devices = await async_list_devices(self.hass, data)
            except KineticAuthenticationError:
                errors["base"] = "invalid_auth"
            except KineticConnectionError:
                errors["base"] = "cannot_connect"
            except KineticError:
                errors["base"] = "unknown"
            else:
                if devices:
                    self._payment_engine = data
                    self._devices = devices
                    return await self.async_step_payment_engine_device()
                errors["base"] = "no_devices"
        return self.async_show_form(
            step_id="payment_engine",
            data_schema=self.add_suggested_values_to_schema(CLOUD_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_payment_engine_device(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the device of the account this entry is for."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**self._payment_engine, CONF_DEVICE_KEY: user_input[CONF_DEVICE_KEY]}
            await self.async_set_unique_id(data[CONF_DEVICE_KEY], raise_on_progress=False)
            self._abort_if_configured(self._payment_engine)
            if identity := await async_try(self.hass, data, errors):
                return self.async_create_entry(title=identity.title, data=data)
        options = [
            SelectOptionDict(value=device.key, label=f"{device.name or device.key}")
            for device in self._devices
        ]
        return self.async_show_form(
            step_id="payment_engine_device",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_DEVICE_KEY): SelectSelector(
                        SelectSelectorConfig(options=options)
                    )
                }
            ),
            errors=errors,
        )

    # --- updating an existing entry ----------------------------------------------

    def _update_reload_and_abort(
        self, entry: KineticConfigEntry, data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Store the new data, make sure the entry starts again with it, and finish."""
        changed = self.hass.config_entries.async_update_entry(entry, data=dict(data))
        if not (changed and entry.update_listeners):
            # Unchanged data (a retry with the same credentials) or an entry that is not
            # loaded: no listener reloads it, so the flow does, as the user expects.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the terminal rejected our credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if identity := await async_try(self.hass, data, errors):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._update_reload_and_abort(entry, {**entry.data, **user_input})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                auth_schema(kind_facts(entry.data[CONF_KIND])),
                {CONF_USERNAME: entry.data.get(CONF_USERNAME)},
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or the credentials of a terminal."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if identity := await async_try(self.hass, data, errors):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._update_reload_and_abort(entry, data)
        suggested = {key: value for key, value in entry.data.items() if key != CONF_PASSWORD}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                entry_schema(kind_facts(entry.data[CONF_KIND])), user_input or suggested
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )
