"""Constants of the Kinetic Payment Terminals integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "kinetic"
LOGGER = logging.getLogger(__package__)

# Config entry data (Home Assistant's own CONF_HOST, CONF_PORT, CONF_USERNAME and
# CONF_PASSWORD besides).
CONF_KIND: Final = "kind"
CONF_API_KEY: Final = "api_key"
CONF_PIN: Final = "pin"
CONF_DEVICE_KEY: Final = "device_key"
CONF_SANDBOX: Final = "sandbox"
CONF_BASE_URL: Final = "base_url"
# The serial a discovered terminal announced (discovery info, not entry data).
CONF_SERIAL: Final = "serial"
# Fields of the config flow's network search and its pick of what was found.
CONF_NETWORK: Final = "network"
CONF_PORTS: Final = "ports"
CONF_TERMINAL: Final = "terminal"

# Options: the behaviour settings of one terminal.
CONF_MAX_AMOUNT: Final = "max_amount"

# Polling: fast while a transaction runs so the state follows the customer, slow when idle.
# (A cloud API's rate limit may ask for slower: the terminal's ``min_status_interval``.)
FAST_INTERVAL: Final = timedelta(seconds=1)
IDLE_INTERVAL: Final = timedelta(seconds=15)
