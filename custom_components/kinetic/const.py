"""Constants of the Kinetic Payment Terminals integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Final

from kinetic_integration.models.common import TerminalKind

DOMAIN: Final = "kinetic"
LOGGER = logging.getLogger(__package__)

CONF_KIND: Final = "kind"
CONF_API_KEY: Final = "api_key"
CONF_PIN: Final = "pin"
CONF_DEVICE_KEY: Final = "device_key"
CONF_SANDBOX: Final = "sandbox"
CONF_BASE_URL: Final = "base_url"
CONF_SERIAL: Final = "serial"
CONF_NETWORK: Final = "network"
CONF_PORTS: Final = "ports"
CONF_TERMINAL: Final = "terminal"

# Options (behaviour settings; the payment actions of a later release add more).
DATA_JOURNAL: Final = f"{DOMAIN}_journal"

CONF_MAX_AMOUNT: Final = "max_amount"
DEFAULT_MAX_AMOUNT: Final = Decimal("500.00")

# Polling: fast while a transaction runs so the state follows the customer, slow when idle.
FAST_INTERVAL: Final = timedelta(seconds=1)
IDLE_INTERVAL: Final = timedelta(seconds=15)
# The Payment Engine allows 45 requests a minute per API key; a payment's own polling
# needs most of them, so the status is read at most every 3 s.

DEFAULT_PORTS: Final[dict[TerminalKind, int]] = {
    TerminalKind.KINETIC_GO: 8080,
    TerminalKind.DEVICE_SERVICE: 8526,
}

MANUFACTURERS: Final[dict[TerminalKind, str]] = {
    TerminalKind.KINETIC_GO: "Kinetic",
    TerminalKind.DEVICE_SERVICE: "Castles Technology",
    TerminalKind.PAYMENT_ENGINE: "USAePay",
}
MODELS: Final[dict[TerminalKind, str]] = {
    TerminalKind.KINETIC_GO: "Kinetic Go 2",
    TerminalKind.DEVICE_SERVICE: "MP200 (DeviceService)",
    TerminalKind.PAYMENT_ENGINE: "Payment Engine device",
}
