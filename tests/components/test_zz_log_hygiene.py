"""No secret or card data in any DEBUG log line of the Home Assistant run (runs last)."""

from __future__ import annotations

import logging

from tests.log_hygiene import SUITE_LOG, find_secrets


def test_no_secrets_in_debug_logs_of_the_integration_suite() -> None:
    """Every record logged by every integration test so far is clean."""
    ours = [
        line
        for line in SUITE_LOG.lines
        if line.startswith(("kinetic_integration", "custom_components.kinetic"))
    ]
    # The library and the integration did log at DEBUG, so the scan saw real traffic.
    assert any(line.startswith("custom_components.kinetic") for line in ours)
    assert any(line.startswith("kinetic_integration") for line in ours)
    assert logging.getLogger().level <= logging.DEBUG
    assert find_secrets(SUITE_LOG.lines) == []
