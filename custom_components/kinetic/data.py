"""What a loaded entry holds, and what the integration keeps in ``hass.data``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from homeassistant.config_entries import ConfigEntry
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .coordinator import KineticCoordinator
from .journal import HomeAssistantJournal
from .payments import KineticPayments


@dataclass(frozen=True, slots=True, kw_only=True)
class KineticRuntimeData:
    """One terminal's entry: its coordinator and its journaled payments.

    Built whole in ``async_setup_entry`` (after the terminal's identity is resolved, which
    the journal keys its records by), before any platform is set up.
    """

    coordinator: KineticCoordinator
    payments: KineticPayments


# A TypeAlias rather than a ``type`` statement: ruff checks the repository for Python 3.11.
KineticConfigEntry: TypeAlias = ConfigEntry[KineticRuntimeData]

#: The journal every terminal shares (loaded once in ``async_setup``).
DATA_JOURNAL: HassKey[HomeAssistantJournal] = HassKey(f"{DOMAIN}_journal")
