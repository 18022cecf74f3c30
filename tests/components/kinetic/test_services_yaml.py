"""Every action and field is documented in services.yaml, translated and has an icon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID, MAJOR_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.service_schemas import ACTION_CAPABILITIES
from kinetic_integration import KINDS, TransactionResult, TransactionType, kind_facts
from kinetic_integration.terminal import (
    DeviceServiceTerminal,
    KineticGoTerminal,
    PaymentEngineTerminal,
)

from .conftest import setup_entry, terminal_device

ROOT = Path(__file__).parents[3]
COMPONENT = ROOT / "custom_components" / "kinetic"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def test_actions_are_documented(hass: HomeAssistant, loopback: None) -> None:
    """services.yaml, the registered actions, translations and icons agree."""
    assert await async_setup_component(hass, DOMAIN, {})
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    documented = load_yaml_dict(str(COMPONENT / "services.yaml"))
    assert set(documented) == registered
    english = _load(ROOT / "translations" / "en.json")["services"]
    icons = _load(COMPONENT / "icons.json")["services"]
    assert set(english) == registered
    assert set(icons) == registered
    for name, spec in documented.items():
        assert english[name]["name"]
        assert english[name]["description"]
        assert set(spec["fields"]) == set(english[name]["fields"]), name
        for field in english[name]["fields"].values():
            assert field["name"]
            assert field["description"]
    # What the frontend shows: the translated names, from the translations Home Assistant
    # serves (the same on every release).
    served = await async_get_translations(hass, "en", "services", {DOMAIN})
    assert served[f"component.{DOMAIN}.services.start_sale.name"] == "Start sale"
    assert served[f"component.{DOMAIN}.services.start_sale.fields.amount.name"] == "Amount"
    # The action descriptions: every action with its documented fields. Home Assistant
    # 2025.x merges the translated names into them; 2026.x leaves names to the
    # translations (services.yaml carries none).
    descriptions = await async_get_all_descriptions(hass)
    assert set(descriptions[DOMAIN]) == registered
    for name, spec in documented.items():
        assert set(descriptions[DOMAIN][name]["fields"]) == set(spec["fields"]), name
    start_sale = descriptions[DOMAIN]["start_sale"]
    assert start_sale["response"] == {"optional": True}
    if MAJOR_VERSION < 2026:
        assert start_sale["name"] == "Start sale"
    else:
        assert "name" not in start_sale


def _picker_models(selector_config: dict[str, Any]) -> set[str]:
    """The kinds' model names a device picker offers (every kind when it filters none)."""
    device = selector_config["device"]
    if "filter" not in device:
        assert device == {"integration": DOMAIN}
        return {facts.model for facts in KINDS.values()}
    assert all(flt["integration"] == DOMAIN for flt in device["filter"])
    return {flt["model_id"] for flt in device["filter"]}


def test_device_pickers_offer_only_what_can_do_the_action() -> None:
    """Each action's device picker lists exactly the kinds whose terminals can do it."""
    capabilities = {
        kind_facts(adapter.kind).model: adapter.capabilities
        for adapter in (KineticGoTerminal, DeviceServiceTerminal, PaymentEngineTerminal)
    }
    documented = load_yaml_dict(str(COMPONENT / "services.yaml"))
    with_device = {name for name, spec in documented.items() if ATTR_DEVICE_ID in spec["fields"]}
    # The export reads the journal, not a terminal: it offers every terminal, several at once.
    assert with_device == {*ACTION_CAPABILITIES, "export_transactions"}
    export = documented["export_transactions"]["fields"][ATTR_DEVICE_ID]["selector"]
    selector.validate_selector(export)
    assert export == {"device": {"integration": DOMAIN, "multiple": True}}
    for name in with_device - {"export_transactions"}:
        config = documented[name]["fields"][ATTR_DEVICE_ID]["selector"]
        selector.validate_selector(config)
        wanted = {model for model, can in capabilities.items() if ACTION_CAPABILITIES[name] in can}
        assert _picker_models(config) == wanted, name
    # A refund's picker, for one: no DeviceService.
    assert _picker_models(documented["refund"]["fields"][ATTR_DEVICE_ID]["selector"]) == {
        "Kinetic Go 2",
        "Payment Engine device",
    }


async def test_devices_carry_the_kind_the_pickers_filter_by(
    hass: HomeAssistant, go_entry: MockConfigEntry, ds_entry: MockConfigEntry
) -> None:
    """The model id is the kind's model name, whatever model the terminal reports."""
    # Setting up the first entry sets up the integration, and with it every entry.
    await setup_entry(hass, go_entry)
    assert terminal_device(hass, go_entry).model_id == "Kinetic Go 2"
    assert terminal_device(hass, ds_entry).model_id == "MP200 (DeviceService)"


def test_export_offers_every_result_and_type_translated() -> None:
    """The export filters by any result or type the journal keeps, each named in every language.

    ``void`` (a DeviceService sale aborted or timed out) was missing from its picker.
    """
    fields = load_yaml_dict(str(COMPONENT / "services.yaml"))["export_transactions"]["fields"]
    offered = {name: fields[name]["selector"]["select"] for name in ("result", "type")}
    assert set(offered["result"]["options"]) == {result.value for result in TransactionResult}
    assert set(offered["type"]["options"]) == {type_.value for type_ in TransactionType}
    for language in ("en", "de", "es", "fr", "nl"):
        for folder in (ROOT / "translations", COMPONENT / "translations"):
            names = _load(folder / f"{language}.json")["selector"]
            for select in offered.values():
                translated = names[select["translation_key"]]["options"]
                assert set(select["options"]) <= set(translated), (language, folder)
