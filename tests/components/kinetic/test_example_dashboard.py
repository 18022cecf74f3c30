"""examples/dashboard.yaml against the demo fleet set up in a test Home Assistant.

The fleet is the demo's (``Fleet(kinetic_go=2, device_service=1, payment_engine=1)``:
same names, serials and Payment Engine device) on this module's own loopback addresses
with ephemeral ports. Entity ids follow the terminals' titles, which are the demo's for
the Kinetic Go terminals and the Payment Engine device. The DeviceService reader has no
serial, so its title (and entity ids) carry its address: the demo's 127.0.0.4:8526 is
mapped to where the test reader listens, rather than binding the demo's fixed address.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_socket
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.template import Template
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.kinetic.const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_DEVICE_KEY,
    CONF_KIND,
    CONF_PIN,
    CONF_SANDBOX,
    DOMAIN,
)
from custom_components.kinetic.terminal import async_identify
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    Fleet,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from tests.log_hygiene import register_secret

ROOT = Path(__file__).parents[3]
DASHBOARD = ROOT / "examples" / "dashboard.yaml"
SCRIPTS = ROOT / "examples" / "homeassistant" / "scripts"
URL_PATH = "kinetic-demo"
# Our own addresses (no other HA test uses them): the fleet takes four from here on.
FIRST_HOST = 75
HOSTS = [f"127.0.0.{FIRST_HOST + index}" for index in range(4)]
#: How the demo's DeviceService reader (127.0.0.4:8526) appears in its entity ids.
DEMO_DS = "127_0_0_4_8526"
#: Entity domains a dashboard entity id can have here.
ENTITY_ID = re.compile(r"\b(?:sensor|binary_sensor|image|event|button|script)\.[a-z0-9_]+\b")
#: Keys whose values name actions, not entities.
ACTION_KEYS = {"perform_action", "service", "action"}
BUTTONS = {"Charge table 5": (5, "42.50"), "Charge table 12": (12, "18.00")}


@dataclass(frozen=True, slots=True)
class Demo:
    """The demo-like fleet, set up: its simulators and how the DS entity ids differ."""

    go: list[KineticGoSimulator]
    ds: DeviceServiceSimulator
    pe: PaymentEngineSimulator

    @property
    def ds_slug(self) -> str:
        """The test reader's address as it appears in its entity ids."""
        return f"{self.ds.host.replace('.', '_')}_{self.ds.port}"

    def local(self, entity_id: str) -> str:
        """The entity id in this test of a demo entity id."""
        return entity_id.replace(DEMO_DS, self.ds_slug)


def _data(sim: Any) -> dict[str, Any]:
    """Entry data as the config flow stores it for each kind."""
    described = sim.describe()
    if isinstance(sim, PaymentEngineSimulator):
        return {
            CONF_KIND: "payment-engine",
            CONF_API_KEY: described["api_key"],
            CONF_PIN: described["pin"],
            CONF_SANDBOX: False,
            CONF_BASE_URL: sim.base_url,
            CONF_DEVICE_KEY: next(iter(sim.pe_devices)),
        }
    return {
        CONF_KIND: str(sim.kind),
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_USERNAME: described["username"],
        CONF_PASSWORD: described["password"],
    }


@pytest.fixture
async def fleet(socket_enabled: None) -> AsyncIterator[Fleet]:
    """The demo's fleet on this module's addresses, ephemeral ports, a quick customer."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", *HOSTS], allow_unix_socket=True)
    fleet = Fleet(
        kinetic_go=2,
        device_service=1,
        payment_engine=1,
        first_host=FIRST_HOST,
        port=0,
        customer_delay=0.05,
        processing_delay=0.01,
    )
    for sim in fleet.simulators:
        register_secret(*sim.secrets())
    async with fleet:
        yield fleet


@pytest.fixture
async def demo(hass: HomeAssistant, fleet: Fleet) -> Demo:
    """Every terminal added with the title and unique id the config flow gives it."""
    for sim in fleet.simulators:
        data = _data(sim)
        identity = await async_identify(hass, data)
        entry = MockConfigEntry(
            domain=DOMAIN, title=identity.title, unique_id=identity.unique_id, data=data
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sims = fleet.simulators
    go = [sim for sim in sims if isinstance(sim, KineticGoSimulator)]
    ds = next(sim for sim in sims if isinstance(sim, DeviceServiceSimulator))
    pe = next(sim for sim in sims if isinstance(sim, PaymentEngineSimulator))
    titles = {entry.title for entry in hass.config_entries.async_entries(DOMAIN)}
    # The demo's titles; only the reader's address differs from the demo's 127.0.0.4:8526.
    assert titles == {
        "Kinetic Go 2 KG2SIM0001",
        "Kinetic Go 2 KG2SIM0002",
        f"MP200 (DeviceService) {ds.host}:{ds.port}",
        "Counter 1",
    }
    return Demo(go=go, ds=ds, pe=pe)


def _dashboard() -> dict[str, Any]:
    return dict(load_yaml_dict(DASHBOARD))


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) in the configuration, depth first."""
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield child_key, value
            yield from _walk(value, child_key)
    elif isinstance(node, list):
        for item in node:
            yield key, item
            yield from _walk(item, key)


def _entity_ids(config: Any) -> set[str]:
    """Every entity id named anywhere (cards, rows, targets, templates)."""
    found: set[str] = set()
    for key, value in _walk(config):
        if isinstance(value, str) and key not in ACTION_KEYS:
            found.update(ENTITY_ID.findall(value))
    return found


def _cards(config: Any) -> list[dict[str, Any]]:
    return [
        value
        for _key, value in _walk(config)
        if isinstance(value, dict) and isinstance(value.get("type"), str)
    ]


def _actions(config: Any) -> list[dict[str, Any]]:
    return [
        value
        for key, value in _walk(config)
        if key in {"tap_action", "hold_action", "double_tap_action"} and isinstance(value, dict)
    ]


async def test_lovelace_serves_the_dashboard(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """The file loads as a YAML-mode dashboard, as the demo configures it."""
    assert await async_setup_component(
        hass,
        "lovelace",
        {
            "lovelace": {
                "dashboards": {
                    URL_PATH: {
                        "mode": "yaml",
                        "filename": str(DASHBOARD),
                        "title": "Kinetic",
                        "show_in_sidebar": True,
                    }
                }
            }
        },
    )
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL_PATH})
    response = await client.receive_json()
    assert response["success"], response
    config = response["result"]
    assert config == _dashboard()
    assert config["title"] == "Kinetic"
    assert [view["path"] for view in config["views"]] == ["terminals"]


async def test_every_entity_exists(hass: HomeAssistant, demo: Demo) -> None:
    """Each entity the dashboard names is one the demo fleet has."""
    named = _entity_ids(_dashboard())
    assert any(DEMO_DS in entity_id for entity_id in named)
    missing = sorted(
        entity_id
        for entity_id in named
        if entity_id != "script.table_service" and hass.states.get(demo.local(entity_id)) is None
    )
    assert missing == []
    # Every terminal shows its state, screen, links, sales today and last receipt.
    for device in (
        "kinetic_go_2_kg2sim0001",
        "kinetic_go_2_kg2sim0002",
        f"mp200_deviceservice_{DEMO_DS}",
        "counter_1",
    ):
        for entity_id in (
            f"sensor.{device}_state",
            f"sensor.{device}_screen",
            f"binary_sensor.{device}_connectivity",
            f"binary_sensor.{device}_transaction_in_progress",
            f"sensor.{device}_sales_today",
            f"image.{device}_last_receipt",
        ):
            assert entity_id in named, entity_id
    assert f"sensor.mp200_deviceservice_{DEMO_DS}_offline_transactions" in named
    receipts = {card["entity"] for card in _cards(_dashboard()) if card["type"] == "picture-entity"}
    assert len(receipts) == 4
    assert all(entity_id.endswith("_last_receipt") for entity_id in receipts)


async def test_actions_exist(hass: HomeAssistant, demo: Demo) -> None:
    """Every action is a known one, or the table-service script with table and amount."""
    actions = _actions(_dashboard())
    assert actions
    for action in actions:
        assert action["action"] == "perform-action"
        domain, service = action["perform_action"].split(".")
        if action["perform_action"] == "script.table_service":
            assert set(action["data"]) == {"table", "amount"}
        else:
            assert hass.services.has_service(domain, service), action


def _buttons() -> dict[str, dict[str, Any]]:
    return {
        card["name"]: card
        for card in _cards(_dashboard())
        if card["type"] == "button" and "name" in card
    }


def test_charge_buttons() -> None:
    """The buttons a browser finds by their text charge the right table and amount."""
    buttons = _buttons()
    assert set(BUTTONS) <= set(buttons)
    for name, (table, amount) in BUTTONS.items():
        action = buttons[name]["tap_action"]
        # Called directly (not through script.turn_on), so a refusal reaches the browser.
        assert action["perform_action"] == "script.table_service"
        # Amounts stay exact strings ("42.50"), never numbers.
        assert action["data"] == {"table": table, "amount": amount}


async def test_charge_button_sells_and_the_total_adds_up(hass: HomeAssistant, demo: Demo) -> None:
    """Pressing "Charge table 5" runs the example script: one sale, counted in the total."""
    scripts: dict[str, Any] = {}
    for path in sorted(SCRIPTS.glob("*.yaml")):
        scripts.update(load_yaml_dict(path))
    assert await async_setup_component(hass, "script", {"script": scripts})
    await hass.async_block_till_done()
    total = next(
        card["content"]
        for card in _cards(_dashboard())
        if card["type"] == "markdown" and card.get("title") == "Sales today"
    )
    assert Template(total, hass).async_render(parse_result=False).startswith("## 0.00 ")

    # What the frontend sends for the button's tap action.
    action = _buttons()["Charge table 5"]["tap_action"]
    domain, service = action["perform_action"].split(".")
    await hass.services.async_call(domain, service, action["data"], blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)

    first, second = demo.go
    assert [str(charge.amount) for charge in first.charges()] == ["42.50"]
    assert second.charges() == []
    state = hass.states.get("sensor.kinetic_go_2_kg2sim0001_sales_today")
    assert state is not None
    assert Decimal(state.state) == Decimal("42.50")
    rendered = Template(total, hass).async_render(parse_result=False)
    assert rendered.startswith(f"## 42.50 {hass.config.currency}")


async def test_second_charge_is_refused_visibly(
    hass: HomeAssistant, demo: Demo, hass_ws_client: WebSocketGenerator
) -> None:
    """A second press for the same table answers the browser with the integration's words.

    Issue 15 (4): through ``script.turn_on`` the refusal was only an ERROR in the log.
    """
    scripts: dict[str, Any] = {}
    for path in sorted(SCRIPTS.glob("*.yaml")):
        scripts.update(load_yaml_dict(path))
    assert await async_setup_component(hass, "script", {"script": scripts})
    await hass.async_block_till_done()
    action = _buttons()["Charge table 5"]["tap_action"]
    domain, service = action["perform_action"].split(".")
    client = await hass_ws_client(hass)
    answers = []
    for ident in (1, 2):
        # What the frontend sends for the button's tap action.
        await client.send_json(
            {
                "id": ident,
                "type": "call_service",
                "domain": domain,
                "service": service,
                "service_data": action["data"],
            }
        )
        answers.append(await client.receive_json())
        await hass.async_block_till_done(wait_background_tasks=True)
    first, second = answers
    assert first["success"], first
    assert not second["success"]
    # The frontend shows this message in a toast.
    message = second["error"]["message"]
    assert "for table 5 is running or was just approved" in message
    assert second["error"]["translation_key"] == "duplicate_table"
    assert [str(charge.amount) for charge in demo.go[0].charges()] == ["42.50"]
