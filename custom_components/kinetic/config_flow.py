"""Config flow: one entry per terminal, found by search, discovery or entered by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.helpers.typing import DiscoveryInfoType

from kinetic_integration.discovery import DiscoveredTerminal, HttpSweep, auto_networks
from kinetic_integration.discovery.sweep import sweep_targets
from kinetic_integration.discovery.zeroconf_browser import identify
from kinetic_integration.errors import (
    KineticAuthenticationError,
    KineticConnectionError,
    KineticError,
)
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.models.payment_engine import PeDevice
from kinetic_integration.money import format_amount, parse_amount

from .const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_DEVICE_KEY,
    CONF_KIND,
    CONF_MAX_AMOUNT,
    CONF_NETWORK,
    CONF_PIN,
    CONF_PORTS,
    CONF_SANDBOX,
    CONF_SERIAL,
    CONF_TERMINAL,
    DEFAULT_MAX_AMOUNT,
    DEFAULT_PORTS,
    DOMAIN,
    LOGGER,
    MODELS,
)
from .coordinator import KineticConfigEntry
from .journal import CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS
from .terminal import Identity, async_identify, async_list_devices

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
STEP_FOR_KIND = {
    TerminalKind.KINETIC_GO: "kinetic_go",
    TerminalKind.DEVICE_SERVICE: "device_service",
}


def _credentials_schema() -> dict[vol.Marker, Any]:
    return {vol.Required(CONF_USERNAME): str, vol.Required(CONF_PASSWORD): PASSWORD}


def _local_schema(kind: TerminalKind) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST): str,
            vol.Required(CONF_PORT, default=DEFAULT_PORTS[kind]): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=65535)
            ),
            **_credentials_schema(),
        }
    )


def _payment_engine_auth_schema() -> dict[vol.Marker, Any]:
    return {vol.Required(CONF_API_KEY): PASSWORD, vol.Required(CONF_PIN): PASSWORD}


PAYMENT_ENGINE_SCHEMA = vol.Schema(
    {
        **_payment_engine_auth_schema(),
        vol.Required(CONF_SANDBOX, default=False): bool,
        # Empty means USAePay itself (production or sandbox); a cleared field comes back empty.
        vol.Optional(CONF_BASE_URL, default=""): str,
    }
)


async def _async_try(
    flow: ConfigFlow, data: Mapping[str, Any], errors: dict[str, str]
) -> Identity | None:
    """Test the connection and the credentials; fill ``errors`` when they fail."""
    try:
        return await async_identify(flow.hass, data)
    except KineticAuthenticationError:
        errors["base"] = "invalid_auth"
    except KineticConnectionError:
        errors["base"] = "cannot_connect"
    except KineticError as err:
        # It answered, but not as a terminal should (bad response, device error).
        LOGGER.debug("Terminal test failed: %s", err.code)
        errors["base"] = "unknown"
    return None


def _parse_ports(text: str) -> list[int]:
    ports = [int(part) for part in text.replace(",", " ").split()]
    if not ports or any(not 0 < port < 65536 for port in ports):
        raise ValueError(text)
    return ports


class KineticConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a payment terminal."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._discovered: dict[str, Any] = {}
        self._found: dict[str, DiscoveredTerminal] = {}
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
            menu_options=["search", "kinetic_go", "device_service", "payment_engine"],
        )

    # --- search -----------------------------------------------------------------

    async def async_step_search(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sweep a network the user confirms and list what answered."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                hosts = sweep_targets(user_input[CONF_NETWORK])
            except ValueError:
                errors[CONF_NETWORK] = "invalid_network"
            try:
                ports = _parse_ports(user_input[CONF_PORTS])
            except ValueError:
                errors[CONF_PORTS] = "invalid_ports"
            if not errors:
                sweep = HttpSweep(ports=ports, session=async_get_clientsession(self.hass))
                # A sweep without credentials learns no serial: compare addresses too.
                configured: set[str | None] = set()
                for entry in self._async_current_entries(include_ignore=False):
                    configured.add(entry.unique_id)
                    configured.add(f"{entry.data.get(CONF_HOST)}:{entry.data.get(CONF_PORT)}")
                self._found = {
                    terminal.address: terminal
                    for terminal in await sweep.sweep_hosts(hosts)
                    if terminal.key not in configured and terminal.address not in configured
                }
                if self._found:
                    return await self.async_step_pick()
                errors["base"] = "no_devices_found"
        default = ""
        if user_input is None:
            networks = await self.hass.async_add_executor_job(auto_networks)
            default = str(networks[0]) if networks else ""
            user_input = {CONF_NETWORK: default, CONF_PORTS: "8080, 8526"}
        return self.async_show_form(
            step_id="search",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_NETWORK): str, vol.Required(CONF_PORTS): str}),
                user_input,
            ),
            errors=errors,
        )

    async def async_step_pick(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick one of the terminals the search found."""
        if user_input is not None:
            terminal = self._found[user_input[CONF_TERMINAL]]
            self._discovered = {
                CONF_KIND: terminal.kind,
                CONF_HOST: terminal.host,
                CONF_PORT: terminal.port,
            }
            if terminal.kind is TerminalKind.DEVICE_SERVICE:
                return await self.async_step_device_service()
            return await self.async_step_kinetic_go()
        options = [
            SelectOptionDict(
                value=address,
                label=f"{MODELS[terminal.kind]} {terminal.name or terminal.serial or ''} "
                f"({address})".replace("  ", " "),
            )
            for address, terminal in self._found.items()
        ]
        return self.async_show_form(
            step_id="pick",
            data_schema=vol.Schema(
                {vol.Required(CONF_TERMINAL): SelectSelector(SelectSelectorConfig(options=options))}
            ),
        )

    # --- terminals on the local network -------------------------------------------

    async def async_step_kinetic_go(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a Kinetic Go 2 terminal by address and credentials."""
        return await self._async_step_local(TerminalKind.KINETIC_GO, user_input)

    async def async_step_device_service(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a DeviceService (MP200) reader by address and credentials."""
        return await self._async_step_local(TerminalKind.DEVICE_SERVICE, user_input)

    async def _async_step_local(
        self, kind: TerminalKind, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_KIND: str(kind), **user_input}
            if identity := await _async_try(self, data, errors):
                await self.async_set_unique_id(identity.unique_id, raise_on_progress=False)
                self._abort_if_configured({CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]})
                return self.async_create_entry(title=identity.title, data=data)
        suggested = user_input or {
            key: value for key, value in self._discovered.items() if key != CONF_KIND
        }
        return self.async_show_form(
            step_id=STEP_FOR_KIND[kind],
            data_schema=self.add_suggested_values_to_schema(_local_schema(kind), suggested),
            errors=errors,
        )

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
            data_schema=self.add_suggested_values_to_schema(PAYMENT_ENGINE_SCHEMA, user_input),
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
            if identity := await _async_try(self, data, errors):
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

    # --- discovery ---------------------------------------------------------------

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """Handle a terminal advertised by DNS-SD."""
        # The library's rules decide whether and as what an advertisement is a terminal.
        txt = {key.lower(): value for key, value in discovery_info.properties.items()}
        service_type = discovery_info.type
        instance = discovery_info.name.removesuffix("." + service_type)
        kind = identify(service_type, instance, discovery_info.port or 0, txt)
        if kind is None:
            return self.async_abort(reason="not_supported")
        return await self._async_discovered(
            kind=kind,
            host=discovery_info.host,
            port=discovery_info.port,
            serial=txt.get("serial") or None,
            name=txt.get("name") or instance,
        )

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """Handle a terminal heard through its UDP announcements."""
        # Our own announcement listener built this; its kind is always one of ours.
        return await self._async_discovered(
            kind=TerminalKind(discovery_info[CONF_KIND]),
            host=discovery_info[CONF_HOST],
            port=discovery_info[CONF_PORT],
            serial=discovery_info.get(CONF_SERIAL),
            name=discovery_info.get(CONF_NAME),
        )

    async def _async_discovered(
        self,
        *,
        kind: TerminalKind,
        host: str,
        port: int | None,
        serial: str | None,
        name: str | None,
    ) -> ConfigFlowResult:
        terminal_kind = kind
        if terminal_kind is TerminalKind.PAYMENT_ENGINE:
            # A cloud device is reached through the account, never by its address.
            return self.async_abort(reason="not_supported")
        port = port or DEFAULT_PORTS[terminal_kind]
        # DeviceService has no serial in its API: its entries are known by address.
        unique_id = serial if serial and terminal_kind is TerminalKind.KINETIC_GO else None
        await self.async_set_unique_id(unique_id or f"{host}:{port}")
        self._abort_if_configured({CONF_HOST: host, CONF_PORT: port})
        self._discovered = {
            CONF_KIND: terminal_kind,
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_SERIAL: unique_id,
        }
        label = name or serial or host
        self.context["title_placeholders"] = {"name": label}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a discovered terminal and give its credentials."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_KIND: str(self._discovered[CONF_KIND]),
                CONF_HOST: self._discovered[CONF_HOST],
                CONF_PORT: self._discovered[CONF_PORT],
                **user_input,
            }
            if identity := await _async_try(self, data, errors):
                announced = self._discovered[CONF_SERIAL]
                if announced is not None and identity.unique_id != announced:
                    return self.async_abort(reason="wrong_device")
                # Without an announced serial the flow was known by address until now.
                await self.async_set_unique_id(identity.unique_id, raise_on_progress=False)
                self._abort_if_configured({CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]})
                return self.async_create_entry(title=identity.title, data=data)
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=vol.Schema(_credentials_schema()),
            description_placeholders={
                "name": self.context["title_placeholders"]["name"],
                "model": MODELS[self._discovered[CONF_KIND]],
                "host": f"{self._discovered[CONF_HOST]}:{self._discovered[CONF_PORT]}",
            },
            errors=errors,
        )

    # --- updating an existing entry ----------------------------------------------
    # A loaded entry has an update listener (it reloads the entry when its data or options
    # change). Home Assistant 2026.x reports a flow that asks it to reload such an entry
    # too, so the flows reload only entries without one, and leave the rest to it.

    def _abort_if_configured(self, updates: dict[str, Any]) -> None:
        """Abort when this terminal has an entry already, taking its new address."""
        assert self.unique_id is not None
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, self.unique_id)
        self._abort_if_unique_id_configured(
            updates=updates,
            reload_on_update=entry is None or not entry.update_listeners,
        )

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

    # --- reauth and reconfigure --------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the terminal rejected our credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials."""
        entry = self._get_reauth_entry()
        kind = TerminalKind(entry.data[CONF_KIND])
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if identity := await _async_try(self, data, errors):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._update_reload_and_abort(entry, {**entry.data, **user_input})
        schema = (
            _payment_engine_auth_schema()
            if kind is TerminalKind.PAYMENT_ENGINE
            else _credentials_schema()
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema),
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
        kind = TerminalKind(entry.data[CONF_KIND])
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if identity := await _async_try(self, data, errors):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._update_reload_and_abort(entry, data)
        schema = (
            PAYMENT_ENGINE_SCHEMA if kind is TerminalKind.PAYMENT_ENGINE else _local_schema(kind)
        )
        suggested = {key: value for key, value in entry.data.items() if key != CONF_PASSWORD}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            description_placeholders={"name": entry.title},
            errors=errors,
        )


class KineticOptionsFlow(OptionsFlow):
    """Behaviour settings: the per-sale amount cap, how long the journal keeps records."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the settings."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                cap = parse_amount(user_input[CONF_MAX_AMOUNT], max_amount=None)
            except KineticError:
                errors[CONF_MAX_AMOUNT] = "invalid_amount"
            else:
                kept = {k: v for k, v in user_input.items() if k == CONF_RETENTION_DAYS}
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
                    }
                ),
                user_input or {CONF_MAX_AMOUNT: current, CONF_RETENTION_DAYS: days},
            ),
            errors=errors,
        )
