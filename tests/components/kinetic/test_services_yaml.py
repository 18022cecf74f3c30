"""Every action and field is documented in services.yaml, translated and has an icon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.const import MAJOR_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

from custom_components.kinetic.const import DOMAIN

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
