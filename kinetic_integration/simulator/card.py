"""The simulator's test card: the only card data it ever holds, and only in masked form.

Responses carry masked values that look like the real thing (masked track 2, a KSN,
EMV tags) so that clients must prove they drop them. :func:`card_secrets` lists the
values a log scan must never find.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

#: A well-known test PAN; it is never sent anywhere in full.
_TEST_PAN_LAST4 = "0119"
MASKED_PAN_STARS = "4***********0119"
MASKED_PAN_SPACED = "**** **** **** 0119"
MASKED_PAN_X = "4xxxxxxxxxxx0119"
MASKED_TRACK2 = "4***********0119=2512***********"
#: A fixed, fake key serial number returned for online-PIN transactions.
KSN = "FFFF9876543210E0000A"
CARD_EXPIRY = "2512"


@dataclass(frozen=True, slots=True)
class CardRead:
    """How the simulated customer presented the card."""

    entry: str  # tap | insert | swipe | keyed

    @property
    def is_contactless(self) -> bool:
        """Tapped cards are contactless."""
        return self.entry == "tap"


def new_cryptogram() -> str:
    """Return a random application cryptogram (EMV tag 9F26) for one transaction."""
    return secrets.token_hex(8).upper()


def emv_tags(cryptogram: str, amount_minor: int) -> dict[str, str]:
    """Return the EMV tags a card would add to a transaction (fake but well-formed)."""
    return {
        "9F26": cryptogram,
        "9F02": f"{amount_minor:012d}",
        "9F36": "0012",
        "95": "0000008000",
        "9C": "00",
        "5F2A": "0826",
        "82": "1980",
        "84": "A0000000031010",
        "57": MASKED_TRACK2.replace("=", "D"),
    }


def card_secrets() -> list[str]:
    """Card values that must never appear in a client's logs or models."""
    return [MASKED_TRACK2, KSN, MASKED_TRACK2.replace("=", "D")]
