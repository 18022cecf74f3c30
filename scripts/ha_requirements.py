"""Print the requirements of Home Assistant integrations, at the installed release's own pins.

Run with the Python of the environment that has ``homeassistant`` installed::

    python scripts/ha_requirements.py conversation frontend

Home Assistant installs an integration's requirements (its ``manifest.json``) when the
integration first loads; the test environments and the demo run with ``--skip-pip``, so
``scripts/setup`` installs them up front. Dependencies are followed, so ``conversation``
brings what ``intent`` and ``http`` need too. Reads files only: nothing is imported from
Home Assistant, and nothing is installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def components_dir() -> Path:
    """Return the installed ``homeassistant/components`` folder."""
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or spec.origin is None:
        raise SystemExit("homeassistant is not installed in this environment")
    return Path(spec.origin).parent / "components"


#: Integrations that only newer releases have (2026.x sets them up on every start); an
#: older release without them is fine. Any other missing integration is a mistake.
NEWER_ONLY = frozenset({"infrared", "radio_frequency"})


def requirements(domains: list[str], components: Path) -> list[str]:
    """Return the requirements of ``domains`` and of everything they depend on, sorted."""
    seen: set[str] = set()
    found: set[str] = set()
    todo = [
        domain
        for domain in domains
        if domain not in NEWER_ONLY or (components / domain / "manifest.json").exists()
    ]
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest_path = components / domain / "manifest.json"
        if not manifest_path.exists():
            raise SystemExit(f"no integration {domain!r} in {components}")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        found.update(manifest.get("requirements", []))
        todo.extend(manifest.get("dependencies", []))
    return sorted(found)


def main() -> int:
    """Print one requirement a line."""
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for requirement in requirements(sys.argv[1:], components_dir()):
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main())
