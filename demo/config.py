"""The demo's Home Assistant configuration directory: written once, reused afterwards."""

from __future__ import annotations

import os
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
    new = not (config_dir / "configuration.yaml").exists()
    config_dir.mkdir(parents=True, exist_ok=True)
    if new:
        (config_dir / "configuration.yaml").write_text(
            CONFIGURATION_YAML.format(
                host=host, port=port, time_zone=time_zone, log_level=log_level
            ),
            encoding="utf-8",
        )
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
