"""The forms of the config flow, and the connection test every form runs before it saves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from kinetic_integration import (
    KindFacts,
    KineticAuthenticationError,
    KineticConnectionError,
    KineticError,
)

from .const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_NETWORK,
    CONF_PIN,
    CONF_PORTS,
    CONF_SANDBOX,
    LOGGER,
)
from .terminal import Identity, async_identify

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def credentials_schema() -> dict[vol.Marker, Any]:
    """Return the fields of a local terminal's sign-in."""
    return {vol.Required(CONF_USERNAME): str, vol.Required(CONF_PASSWORD): PASSWORD}


def local_schema(facts: KindFacts) -> vol.Schema:
    """Return the form of a terminal on the local network: address and sign-in."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST): str,
            vol.Required(CONF_PORT, default=facts.default_port): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=65535)
            ),
            **credentials_schema(),
        }
    )


def cloud_auth_schema() -> dict[vol.Marker, Any]:
    """Return the fields of a cloud account's sign-in."""
    return {vol.Required(CONF_API_KEY): PASSWORD, vol.Required(CONF_PIN): PASSWORD}


CLOUD_SCHEMA = vol.Schema(
    {
        **cloud_auth_schema(),
        vol.Required(CONF_SANDBOX, default=False): bool,
        # Empty means USAePay itself (production or sandbox); a cleared field comes back empty.
        vol.Optional(CONF_BASE_URL, default=""): str,
    }
)

SEARCH_SCHEMA = vol.Schema({vol.Required(CONF_NETWORK): str, vol.Required(CONF_PORTS): str})


def entry_schema(facts: KindFacts) -> vol.Schema:
    """Return the whole form of an entry of this kind (what reconfiguring shows)."""
    return CLOUD_SCHEMA if facts.cloud else local_schema(facts)


def auth_schema(facts: KindFacts) -> vol.Schema:
    """Return the sign-in fields of this kind (what reauthentication asks)."""
    return vol.Schema(cloud_auth_schema() if facts.cloud else credentials_schema())


def parse_ports(text: str) -> list[int]:
    """Read the search form's ports ("8080, 8526"); raise ValueError if one is not a port."""
    ports = [int(part) for part in text.replace(",", " ").split()]
    if not ports or any(not 0 < port < 65536 for port in ports):
        raise ValueError(text)
    return ports


async def async_try(
    hass: HomeAssistant, data: Mapping[str, Any], errors: dict[str, str]
) -> Identity | None:
    """Test the connection and the credentials; fill ``errors`` when they fail."""
    try:
        return await async_identify(hass, data)
    except KineticAuthenticationError:
        errors["base"] = "invalid_auth"
    except KineticConnectionError:
        errors["base"] = "cannot_connect"
    except KineticError as err:
        # It answered, but not as a terminal should (bad response, device error).
        LOGGER.debug("Terminal test failed: %s", err.code)
        errors["base"] = "unknown"
    return None
