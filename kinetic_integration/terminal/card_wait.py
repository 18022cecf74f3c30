"""How long a customer may be given to pay for one sale: the bounds every surface checks.

The value is the Payment Engine request's own ``timeout`` (its default 180 s); for the
Kinetic Go and DeviceService it is how long the facade waits for the final result.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from ..errors import KineticInputError

#: Shortest card wait a caller may ask for, in seconds (a customer needs this long).
MIN_CARD_WAIT = 10
#: Longest card wait a caller may ask for, in seconds.
MAX_CARD_WAIT = 600


def check_card_wait(value: object) -> float:
    """Return ``value`` (seconds: a number or its text) if within the bounds, else raise.

    Raises :class:`KineticInputError` (nothing is sent) for anything else.
    """
    seconds: float | None = None
    if isinstance(value, (int, float, Decimal, str)) and not isinstance(value, bool):
        try:
            seconds = float(Decimal(str(value).strip()))
        except (InvalidOperation, ValueError):
            seconds = None
    if seconds is None or not math.isfinite(seconds):
        raise KineticInputError(f"The card wait must be a number of seconds, got {value!r}")
    if not MIN_CARD_WAIT <= seconds <= MAX_CARD_WAIT:
        raise KineticInputError(
            f"The card wait must be from {MIN_CARD_WAIT} to {MAX_CARD_WAIT} seconds, got {value}"
        )
    return seconds
