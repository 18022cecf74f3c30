"""The demo's Home Assistant configuration: onboarding seeded, no errors it can avoid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo import config
from demo.__main__ import start_message
from demo.config import ONBOARDING_DONE, prepare_config_dir


def test_first_start_seeds_onboarding_past_the_account(tmp_path: Path) -> None:
    """Only the owner account is left to onboarding: no weather, radio or speech entries."""
    config_dir = tmp_path / "homeassistant"
    assert prepare_config_dir(config_dir) is True
    store = json.loads((config_dir / ".storage" / "onboarding").read_text(encoding="utf-8"))
    assert store["key"] == "onboarding"
    assert store["version"] == 4
    assert store["data"]["done"] == ["core_config", "analytics", "integration"]
    assert "user" not in ONBOARDING_DONE
    # A second run keeps what Home Assistant wrote since (the account step done).
    store["data"]["done"].append("user")
    (config_dir / ".storage" / "onboarding").write_text(json.dumps(store), encoding="utf-8")
    assert prepare_config_dir(config_dir) is False
    kept = json.loads((config_dir / ".storage" / "onboarding").read_text(encoding="utf-8"))
    assert "user" in kept["data"]["done"]


def test_first_start_message_only_on_the_first_start(tmp_path: Path) -> None:
    """'The first start takes a minute' is said on the first start only."""
    config_dir = tmp_path / "homeassistant"
    assert "the first start takes a minute" in start_message(config_dir)
    prepare_config_dir(config_dir)
    assert "first start" not in start_message(config_dir)


@pytest.mark.parametrize("present", [True, False])
def test_missing_voice_helpers_do_not_log_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, present: bool
) -> None:
    """Without ffmpeg or libturbojpeg (unused by the typed Assist) their loggers are quiet."""
    monkeypatch.setattr(config, "has_program", lambda _name: present)
    monkeypatch.setattr(config, "has_library", lambda _name: present)
    prepare_config_dir(tmp_path)
    written = (tmp_path / "configuration.yaml").read_text(encoding="utf-8")
    for logger in ("haffmpeg.core", "homeassistant.components.camera.img_util"):
        assert (f"    {logger}: critical\n" in written) is not present
    # Never default_config (its discovery would look beyond loopback).
    assert "default_config" not in written
