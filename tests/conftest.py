"""Suite-wide fixtures: every DEBUG log line of the whole run is kept and scanned for secrets.

The scan itself is the test ``tests/test_zz_log_hygiene.py``, which pytest is told to run
last so it sees the logs of every other test.
"""

from __future__ import annotations

import logging
import os
import sys

import pytest

from tests.log_hygiene import SUITE_LOG

#: ``KINETIC_VOLUPTUOUS=probatio`` runs the suite the way Home Assistant 2026.x runs the
#: library: with probatio installed as ``voluptuous`` before anything imports it.
VOLUPTUOUS = os.environ.get("KINETIC_VOLUPTUOUS", "voluptuous")
if VOLUPTUOUS == "probatio":
    # As homeassistant/__init__.py does (Home Assistant 2026.x).
    from probatio import BuildPolicy, set_build_policy
    from probatio.compat import install_as_voluptuous

    if "voluptuous" in sys.modules and not sys.modules["voluptuous"].__name__.startswith(
        "probatio"
    ):
        raise RuntimeError("voluptuous was imported before probatio could stand in for it")
    install_as_voluptuous()
    set_build_policy(BuildPolicy.LAZY)
elif VOLUPTUOUS != "voluptuous":
    raise RuntimeError(f"KINETIC_VOLUPTUOUS must be voluptuous or probatio, not {VOLUPTUOUS!r}")


def pytest_report_header() -> str:
    """Say which validation library stands behind ``import voluptuous``."""
    import voluptuous

    return f"voluptuous: {voluptuous.__name__} {getattr(voluptuous, '__version__', '')}".strip()


def pytest_configure(config: pytest.Config) -> None:
    """Capture every record at DEBUG from every logger for the whole session."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    if SUITE_LOG not in root.handlers:
        root.addHandler(SUITE_LOG)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the log scan after everything else, whatever order collection gave."""
    last = [item for item in items if "log_hygiene" in item.nodeid]
    items[:] = [item for item in items if item not in last] + last
