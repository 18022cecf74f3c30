"""Build the library's Terminal from a config entry's data, and identify a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from kinetic_integration import (
    KindFacts,
    PaymentEngineClient,
    PeDevice,
    Terminal,
    TerminalConfig,
    TerminalStatus,
    create_terminal,
    kind_facts,
)

from .const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_DEVICE_KEY,
    CONF_KIND,
    CONF_PIN,
    CONF_SANDBOX,
)


def entry_facts(data: Mapping[str, Any]) -> KindFacts:
    """Return the facts of the kind of terminal a config entry's data is for."""
    return kind_facts(data[CONF_KIND])


def base_url(data: Mapping[str, Any]) -> str:
    """Return the cloud API address: custom, sandbox or production."""
    if custom := data.get(CONF_BASE_URL):
        return str(custom).rstrip("/")
    facts = entry_facts(data)
    url = facts.sandbox_url if data.get(CONF_SANDBOX) else facts.production_url
    assert url is not None, f"{facts.kind} is not a cloud kind"
    return url


def terminal_config(data: Mapping[str, Any], max_amount: Decimal | None = None) -> TerminalConfig:
    """Return the library configuration for a config entry's data."""
    facts = entry_facts(data)
    kind = facts.kind
    if facts.cloud:
        return TerminalConfig(
            kind=kind,
            api_key=data[CONF_API_KEY],
            pin=data[CONF_PIN],
            device_key=data.get(CONF_DEVICE_KEY),
            base_url=base_url(data),
            max_amount=max_amount,
        )
    return TerminalConfig(
        kind=kind,
        host=data[CONF_HOST],
        port=data.get(CONF_PORT) or facts.default_port,
        username=data[CONF_USERNAME],
        password=data[CONF_PASSWORD],
        max_amount=max_amount,
    )


def build_terminal(
    hass: HomeAssistant, data: Mapping[str, Any], max_amount: Decimal | None = None
) -> Terminal:
    """Return a Terminal that uses Home Assistant's shared web session."""
    return create_terminal(terminal_config(data, max_amount), async_get_clientsession(hass))


def payment_engine_client(hass: HomeAssistant, data: Mapping[str, Any]) -> PaymentEngineClient:
    """Return a Payment Engine client (for the account's device list)."""
    return PaymentEngineClient(
        api_key=data[CONF_API_KEY],
        pin=data[CONF_PIN],
        base_url=base_url(data),
        session=async_get_clientsession(hass),
    )


async def async_list_devices(hass: HomeAssistant, data: Mapping[str, Any]) -> list[PeDevice]:
    """Return the devices of a Payment Engine account (tests the API key and PIN)."""
    return await payment_engine_client(hass, data).devices()


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Who answered: the unique id of its config entry and a title for it."""

    unique_id: str
    title: str
    status: TerminalStatus


def unique_id_for(data: Mapping[str, Any], status: TerminalStatus) -> str:
    """Return the serial, the device key, or host:port where the API has no serial."""
    facts = entry_facts(data)
    if facts.cloud:
        # A cloud account has many devices; the entry is for the one with this key.
        return str(data[CONF_DEVICE_KEY])
    if status.serial:
        return status.serial
    return facts.address(data[CONF_HOST], data.get(CONF_PORT) or None)


async def async_identify(hass: HomeAssistant, data: Mapping[str, Any]) -> Identity:
    """Talk to the terminal with these credentials; raise the library's errors if it fails."""
    terminal = build_terminal(hass, data)
    try:
        status = await terminal.status()
    finally:
        await terminal.close()
    unique_id = unique_id_for(data, status)
    title = status.name or f"{entry_facts(data).model} {unique_id}"
    return Identity(unique_id=unique_id, title=title, status=status)
