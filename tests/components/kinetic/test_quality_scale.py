"""quality_scale.yaml lists every rule of the Integration Quality Scale, each decided.

The rules are those of the newest Home Assistant tested (its hassfest requires every core
integration to list all of them); on any release, every rule its own core integrations
list must be in ours too.
"""

from __future__ import annotations

from pathlib import Path

import homeassistant.components
from homeassistant.util.yaml import load_yaml_dict

OURS = Path(__file__).parents[3] / "custom_components" / "kinetic" / "quality_scale.yaml"
CORE = Path(homeassistant.components.__file__).parent
#: Home Assistant 2026.11's rules (docs-conditions and docs-triggers are the newest).
RULES = {
    # Bronze
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
    "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-conditions",
    "docs-high-level-description", "docs-installation-instructions",
    "docs-removal-instructions", "docs-triggers", "entity-event-setup", "entity-unique-id",
    "has-entity-name", "runtime-data", "test-before-configure", "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    # Gold
    "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default",
    "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
    # Platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def _rules() -> dict[str, object]:
    rules = load_yaml_dict(str(OURS))["rules"]
    assert isinstance(rules, dict)
    return rules


def test_every_rule_is_listed_and_decided() -> None:
    rules = _rules()
    assert set(rules) == RULES
    for name, decision in rules.items():
        if decision == "done":
            continue
        assert isinstance(decision, dict), name
        assert decision["status"] in ("done", "exempt", "todo"), name
        # An exemption (or what is left to do) says why.
        if decision["status"] != "done":
            assert len(str(decision.get("comment", ""))) > 20, name


def test_no_rule_of_the_running_home_assistant_is_missing() -> None:
    """Core integrations list every rule of their release (hassfest insists)."""
    core_rules: set[str] = set()
    for path in sorted(CORE.glob("*/quality_scale.yaml"))[:50]:
        core_rules |= set(load_yaml_dict(str(path)).get("rules") or {})
    assert core_rules, "no core quality_scale.yaml found to compare with"
    assert core_rules <= set(_rules()), sorted(core_rules - set(_rules()))
