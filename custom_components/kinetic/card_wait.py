"""The card wait of one sale: the action's ``timeout`` checked against the library's bounds."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError

from kinetic_integration import MAX_CARD_WAIT, MIN_CARD_WAIT, KineticInputError, check_card_wait

from .const import DOMAIN


def card_wait(value: Any) -> float | None:
    """Return the card wait in seconds (None: not given), or refuse with a translated error.

    Refused before anything is journaled or sent.
    """
    if value is None:
        return None
    try:
        return check_card_wait(value)
    except KineticInputError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_timeout",
            translation_placeholders={
                "min": str(MIN_CARD_WAIT),
                "max": str(MAX_CARD_WAIT),
                "value": str(value),
            },
        ) from err
