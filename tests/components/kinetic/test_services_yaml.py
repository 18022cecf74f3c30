"""Every action and field is documented in services.yaml, translated and has an icon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
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
    descriptions = await async_get_all_descriptions(hass)
    assert descriptions[DOMAIN]["start_sale"]["name"] == "Start sale"
