"""The demo's Home Assistant configuration directory: written once, reused afterwards."""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEFAULT_CONFIG_DIR = ROOT / ".demo" / "homeassistant"
LANGUAGES = ("en", "de", "fr", "es", "nl")

# No default_config: it pulls in zeroconf, ssdp, dhcp, bluetooth and the cloud, which would
# look beyond loopback. What the demo needs is listed one by one.
CONFIGURATION_YAML = """\
# Written by scripts/develop on the first run and kept afterwards: edit freely.
homeassistant:
  name: Kinetic demo
  time_zone: {time_zone}
  # The simulated Kinetic Go and DeviceService terminals take pounds sterling.
  country: GB
  currency: GBP
  unit_system: metric
  language: en

http:
  server_host: {host}
  server_port: {port}

frontend:
config:
history:
logbook:
recorder:
  purge_keep_days: 3
conversation:
# The Assist dialog (type "charge table 5 42.50" in the sidebar's Assist).
assist_pipeline:
intent:
logger:
  default: warning
  logs:
    custom_components.kinetic: {log_level}
    kinetic_integration: {log_level}
{quiet_logs}
lovelace:
  dashboards:
    kinetic-demo:
      mode: yaml
      filename: examples/dashboard.yaml
      title: Kinetic
      icon: mdi:credit-card-wireless-outline
      show_in_sidebar: true

script: !include_dir_merge_named examples/homeassistant/scripts
intent_script: !include examples/voice/intent_script.yaml
"""


#: Onboarding's steps after the owner account, marked done before the first start. Its
#: core_config step would add weather, radio and speech entries that reach the internet
#: and whose libraries the demo does not have (errors in the log at every start); the
#: demo answers only the account step, through the API, as a person would.
ONBOARDING_DONE = ("core_config", "analytics", "integration")
#: Home Assistant's onboarding storage, as 2025.4 and 2026.x both write it.
ONBOARDING_STORE = {"version": 4, "minor_version": 1, "key": "onboarding"}

#: Optional programs and libraries the Assist pipeline pulls in (its text-to-speech needs
#: the ffmpeg integration, whose camera platform loads libturbojpeg): the demo's Assist is
#: typed, so where they are missing their loggers are quietened instead of logging an
#: error at every start. (logger, a program or a library, its name)
OPTIONAL_HELPERS = (
    ("haffmpeg.core", "program", "ffmpeg"),
    ("homeassistant.components.camera.img_util", "library", "turbojpeg"),
)


def has_program(name: str) -> bool:
    """Whether a program is on PATH."""
    return shutil.which(name) is not None


def has_library(name: str) -> bool:
    """Whether a shared library can be found."""
    return ctypes.util.find_library(name) is not None


def is_new_config_dir(config_dir: Path) -> bool:
    """Whether the demo has not yet written this configuration (the slow first start)."""
    return not (config_dir / "configuration.yaml").exists()


def _quiet_logs() -> str:
    """Return the logger lines for what this machine lacks and the demo does not use."""
    return "".join(
        f"    # Not installed here, and not used by the demo.\n    {logger}: critical\n"
        for logger, what, name in OPTIONAL_HELPERS
        if not (has_program(name) if what == "program" else has_library(name))
    )


def _seed_onboarding(config_dir: Path) -> None:
    """Mark onboarding's steps after the owner account done, before the first start."""
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    store = {**ONBOARDING_STORE, "data": {"done": list(ONBOARDING_DONE)}}
    (storage / "onboarding").write_text(json.dumps(store, indent=2), encoding="utf-8")


def _link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` (relative, so the repository can move)."""
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.resolve() == target.resolve():
            return
        if link.is_symlink():
            link.unlink()
        else:
            return  # A real file or folder the user made: theirs, leave it.
    link.symlink_to(os.path.relpath(target, link.parent))


def prepare_config_dir(
    config_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8123,
    time_zone: str = "UTC",
    log_level: str = "info",
) -> bool:
    """Create the configuration directory if needed; return whether it was new.

    ``configuration.yaml`` is written only when missing (a second run reuses it); the
    links to the integration, the examples and the Assist sentences are (re)made each run.
    """
    new = is_new_config_dir(config_dir)
    config_dir.mkdir(parents=True, exist_ok=True)
    if new:
        (config_dir / "configuration.yaml").write_text(
            CONFIGURATION_YAML.format(
                host=host,
                port=port,
                time_zone=time_zone,
                log_level=log_level,
                quiet_logs=_quiet_logs(),
            ),
            encoding="utf-8",
        )
        if not (config_dir / ".storage" / "onboarding").exists():
            _seed_onboarding(config_dir)
    (config_dir / "custom_components").mkdir(exist_ok=True)
    _link(config_dir / "custom_components" / "kinetic", ROOT / "custom_components" / "kinetic")
    _link(config_dir / "examples", EXAMPLES)
    for language in LANGUAGES:
        sentences = config_dir / "custom_sentences" / language
        sentences.mkdir(parents=True, exist_ok=True)
        _link(
            sentences / "kinetic.yaml",
            EXAMPLES / "voice" / "custom_sentences" / language / "kinetic.yaml",
        )
    return new
