"""Home Assistant test setup for the custom integration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Imported first so Home Assistant finds our custom_components package, not its own.
import custom_components.kinetic  # noqa: F401
from tests.deprecations import deprecation_reports


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


@pytest.fixture(autouse=True)
def fail_on_deprecation_reports(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Home Assistant reported a deprecated use by the integration.

    The newest test harness raises on most reports already; Home Assistant 2025.4 (and a
    real installation) only logs them, which would otherwise pass unnoticed.
    """
    yield
    records = [record for phase in ("setup", "call") for record in caplog.get_records(phase)]
    reports = deprecation_reports(records)
    assert not reports, "Home Assistant reported deprecated use:\n" + "\n".join(reports)
