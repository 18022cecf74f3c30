"""Home Assistant test setup for the custom integration."""

from __future__ import annotations

import pytest

# Imported first so Home Assistant finds our custom_components package, not its own.
import custom_components.kinetic  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""
