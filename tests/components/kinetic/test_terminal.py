"""Which Payment Engine address an entry uses (no request is sent here)."""

from __future__ import annotations

from custom_components.kinetic.const import CONF_BASE_URL, CONF_KIND, CONF_SANDBOX
from custom_components.kinetic.terminal import base_url
from kinetic_integration.clients.payment_engine import PRODUCTION_URL, SANDBOX_URL


def test_base_url() -> None:
    """Custom address first, then the sandbox switch, else production."""
    cloud = {CONF_KIND: "payment-engine"}
    assert base_url({**cloud, CONF_SANDBOX: False, CONF_BASE_URL: ""}) == PRODUCTION_URL
    assert base_url({**cloud, CONF_SANDBOX: True, CONF_BASE_URL: ""}) == SANDBOX_URL
    assert base_url({**cloud, CONF_SANDBOX: True, CONF_BASE_URL: "http://127.0.0.4:1/api/v2/"}) == (
        "http://127.0.0.4:1/api/v2"
    )
