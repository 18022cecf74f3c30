"""Config flow steps for terminals on the local network: searched, discovered or typed in.

The kind's facts decide what differs (default port, whether it reports a serial); the
flow never compares kinds. The steps that show a kind's address form (``kinetic_go``,
``device_service``, named after the kind by :func:`step_id`) are in ``config_flow``.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.helpers.typing import DiscoveryInfoType

from kinetic_integration import KindFacts, TerminalKind, kind_facts
from kinetic_integration.discovery import (
    DEFAULT_SWEEP_PORTS,
    DiscoveredTerminal,
    HttpSweep,
    auto_networks,
    identify,
    sweep_targets,
)

from .const import CONF_KIND, CONF_NETWORK, CONF_PORTS, CONF_SERIAL, CONF_TERMINAL, DOMAIN
from .flow_schemas import SEARCH_SCHEMA, async_try, credentials_schema, local_schema, parse_ports

#: The search form's placeholder naming the terminals that answered but are added already.
PLACEHOLDER_ADDED = "added"


def step_id(facts: KindFacts) -> str:
    """Return the config flow step that adds a terminal of this kind by hand."""
    return facts.kind.value.replace("-", "_")


class KineticLocalFlow(ConfigFlow):
    """The steps that add a local terminal, and the duplicate check every step shares."""

    def __init__(self) -> None:
        """Start with nothing found."""
        self._discovered: dict[str, Any] = {}
        self._found: dict[str, DiscoveredTerminal] = {}

    async def _async_step_local(
        self, facts: KindFacts, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the address and credentials (pre-filled with what was found)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_KIND: str(facts.kind), **user_input}
            if identity := await async_try(self.hass, data, errors):
                await self.async_set_unique_id(identity.unique_id, raise_on_progress=False)
                self._abort_if_configured({CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]})
                return self.async_create_entry(title=identity.title, data=data)
        suggested = user_input or {
            key: value for key, value in self._discovered.items() if key != CONF_KIND
        }
        return self.async_show_form(
            step_id=step_id(facts),
            data_schema=self.add_suggested_values_to_schema(local_schema(facts), suggested),
            errors=errors,
        )

    # --- search -----------------------------------------------------------------

    async def async_step_search(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sweep a network the user confirms and list what answered."""
        errors: dict[str, str] = {}
        placeholders = {PLACEHOLDER_ADDED: ""}
        if user_input is not None:
            try:
                hosts = sweep_targets(user_input[CONF_NETWORK])
            except ValueError:
                errors[CONF_NETWORK] = "invalid_network"
            try:
                ports = parse_ports(user_input[CONF_PORTS])
            except ValueError:
                errors[CONF_PORTS] = "invalid_ports"
            if not errors:
                sweep = HttpSweep(ports=ports, session=async_get_clientsession(self.hass))
                # A sweep without credentials learns no serial: compare addresses too.
                configured: dict[str | None, str] = {}
                for entry in self._async_current_entries(include_ignore=False):
                    configured[entry.unique_id] = entry.title
                    configured[f"{entry.data.get(CONF_HOST)}:{entry.data.get(CONF_PORT)}"] = (
                        entry.title
                    )
                answered = await sweep.sweep_hosts(hosts)
                self._found = {
                    terminal.address: terminal
                    for terminal in answered
                    if terminal.key not in configured and terminal.address not in configured
                }
                if self._found:
                    return await self.async_step_pick()
                if answered:
                    # Every terminal that answered is added already: name them, so the
                    # user does not think the search failed.
                    errors["base"] = "all_added"
                    placeholders[PLACEHOLDER_ADDED] = ", ".join(
                        f"{configured.get(terminal.key) or configured[terminal.address]} "
                        f"({terminal.address})"
                        for terminal in answered
                    )
                else:
                    errors["base"] = "no_devices_found"
        default = ""
        if user_input is None:
            networks = await self.hass.async_add_executor_job(auto_networks)
            default = str(networks[0]) if networks else ""
            ports_text = ", ".join(str(port) for port in DEFAULT_SWEEP_PORTS)
            user_input = {CONF_NETWORK: default, CONF_PORTS: ports_text}
        return self.async_show_form(
            step_id="search",
            data_schema=self.add_suggested_values_to_schema(SEARCH_SCHEMA, user_input),
            errors=errors,
            description_placeholders=placeholders,
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
            # On to the form of its kind, pre-filled with its address.
            return await self._async_step_local(kind_facts(terminal.kind), None)
        options = [
            SelectOptionDict(
                value=address,
                label=f"{kind_facts(terminal.kind).model} "
                f"{terminal.name or terminal.serial or ''} ({address})".replace("  ", " "),
            )
            for address, terminal in self._found.items()
        ]
        return self.async_show_form(
            step_id="pick",
            data_schema=vol.Schema(
                {vol.Required(CONF_TERMINAL): SelectSelector(SelectSelectorConfig(options=options))}
            ),
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
        facts = kind_facts(kind)
        if facts.cloud:
            # A cloud device is reached through the account, never by its address.
            return self.async_abort(reason="not_supported")
        port = port or facts.default_port
        # A kind without a serial in its API (DeviceService) is known by its address.
        unique_id = serial if serial and facts.has_serial else None
        await self.async_set_unique_id(unique_id or facts.address(host, port))
        self._abort_if_configured({CONF_HOST: host, CONF_PORT: port})
        self._discovered = {
            CONF_KIND: kind,
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
            if identity := await async_try(self.hass, data, errors):
                announced = self._discovered[CONF_SERIAL]
                if announced is not None and identity.unique_id != announced:
                    return self.async_abort(reason="wrong_device")
                # Without an announced serial the flow was known by address until now.
                await self.async_set_unique_id(identity.unique_id, raise_on_progress=False)
                self._abort_if_configured({CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]})
                return self.async_create_entry(title=identity.title, data=data)
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=vol.Schema(credentials_schema()),
            description_placeholders={
                "name": self.context["title_placeholders"]["name"],
                "model": kind_facts(self._discovered[CONF_KIND]).model,
                "host": f"{self._discovered[CONF_HOST]}:{self._discovered[CONF_PORT]}",
            },
            errors=errors,
        )

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
