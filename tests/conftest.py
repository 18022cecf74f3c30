"""Suite-wide fixtures: every DEBUG log line of the whole run is kept and scanned for secrets.

The scan itself is the test ``tests/test_zz_log_hygiene.py``, which pytest is told to run
last so it sees the logs of every other test.
"""

from __future__ import annotations

import logging

import pytest

from tests.log_hygiene import SUITE_LOG


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
