"""The seed example fixtures are what their names and README say they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.library.seeds.examples import REPAIRS, SEEDS, seed_json, seed_names, seed_text

_ALL = [
    f"{api}/{name}"
    for api in ("kinetic_go", "device_service", "payment_engine")
    for name in seed_names(api)
]


@pytest.mark.parametrize("name", _ALL)
def test_json_fixtures_parse_as_is_and_jsonc_only_once_repaired(name: str) -> None:
    text = seed_text(name)
    if name.endswith(".json"):
        json.loads(text)
        return
    assert name.endswith(".jsonc"), name
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert isinstance(seed_json(name), dict)


def test_every_repair_and_jsonc_is_in_the_readme() -> None:
    readme = (SEEDS / "README.md").read_text()
    jsonc = {name for name in _ALL if name.endswith(".jsonc")}
    assert set(REPAIRS) <= jsonc
    for name in REPAIRS:
        assert f"`{name}`" in readme, name


def test_every_fixture_is_used_by_a_test() -> None:
    sources = "".join(path.read_text() for path in Path(__file__).parent.glob("test_*_examples.py"))
    assert [name for name in _ALL if name.split("/", 1)[1] not in sources] == []
