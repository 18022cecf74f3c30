"""The shipped translations are the repository's, complete in every language."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from custom_components.kinetic import config_flow

ROOT = Path(__file__).parents[3]
SOURCE = ROOT / "translations"
SHIPPED = ROOT / "custom_components" / "kinetic" / "translations"
LANGUAGES = ["en", "de", "fr", "es", "nl"]


def _keys(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    keys: set[str] = set()
    for key, value in tree.items():
        keys |= _keys(value, f"{prefix}.{key}" if prefix else key)
    return keys


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_shipped_copy_is_identical() -> None:
    """custom_components/kinetic/translations is a byte-for-byte copy of translations/."""
    source = sorted(path.name for path in SOURCE.glob("*.json"))
    assert source == sorted(f"{language}.json" for language in LANGUAGES)
    assert sorted(path.name for path in SHIPPED.glob("*.json")) == source
    for name in source:
        assert (SHIPPED / name).read_bytes() == (SOURCE / name).read_bytes(), name


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_language_has_every_key(language: str) -> None:
    """Each language translates exactly what English does."""
    assert _keys(_load(SOURCE / f"{language}.json")) == _keys(_load(SOURCE / "en.json"))


def test_every_flow_step_is_translated() -> None:
    """Each step the config flow defines has a title in English."""
    # The flow's steps are spread over the integration's flow classes it inherits from.
    steps = {
        name.removeprefix("async_step_")
        for cls in config_flow.KineticConfigFlow.__mro__
        if cls.__module__.startswith("custom_components.kinetic.")
        for name in vars(cls)
        if name.startswith("async_step_")
    }
    english = _load(SOURCE / "en.json")["config"]["step"]
    # Steps that never show a form of their own.
    silent = {"reauth", "zeroconf", "integration_discovery"}
    assert steps - silent == set(english)


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_placeholders_are_kept(language: str) -> None:
    """A translation uses exactly the placeholders the English text has."""
    english = _strings(_load(SOURCE / "en.json"))
    other = _strings(_load(SOURCE / f"{language}.json"))
    for key, text in english.items():
        assert set(re.findall(r"{\w+}", other[key])) == set(re.findall(r"{\w+}", text)), key


def _strings(tree: Any, prefix: str = "") -> dict[str, str]:
    if not isinstance(tree, dict):
        return {prefix: str(tree)}
    found: dict[str, str] = {}
    for key, value in tree.items():
        found.update(_strings(value, f"{prefix}.{key}" if prefix else key))
    return found
