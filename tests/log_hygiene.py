"""Keep every log record of the test run and find secrets in it.

A secret is anything the project promises never to log: credentials (passwords, API
keys, PINs, PIN hashes, Basic-auth headers, saved card tokens), full card numbers, track
data, PIN blocks, KSNs and EMV tags. Tests register the concrete secrets they use with
:func:`register_secret`; card data is found by shape.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import traceback

# Card numbers start 2-6 (Mastercard 2-series, Amex 3, Visa 4, Mastercard 5, Discover 6);
# requiring that and the Luhn check keeps nanosecond timestamps and ids out.
# Nor digits after a decimal point: timings such as "0.30521662600040145" s are no card.
_LUHN_CANDIDATE = re.compile(r"(?<![0-9])(?<![0-9]\.)[2-6][0-9]{12,18}(?![0-9])")
_TRACK2 = re.compile(r";?[0-9]{12,19}=[0-9]{4,}")
_BASIC_AUTH = re.compile(r"Basic [A-Za-z0-9+/=]{8,}")
# A saved card's token (Payment Engine save_card) as the simulator issues it: a credential
# that charges the card again, found by shape even where a test did not register it.
_SAVED_CARD_TOKEN = re.compile(r"(?<![A-Za-z0-9])tk_[A-Za-z0-9]{24}(?![A-Za-z0-9])")
# Random ids and tokens (Home Assistant's user ids, an image entity's access token) are
# runs of 32+ hex digits that by chance hold a Luhn-valid digit run; card data never
# comes glued inside one.
_HEX = frozenset("0123456789abcdefABCDEF")
_TOKEN_LENGTH = 32


class SuiteLogHandler(logging.Handler):
    """A handler that keeps the text of every record, exceptions included."""

    def __init__(self) -> None:
        """Start with no lines."""
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's text."""
        try:
            text = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception:  # a broken format string is still evidence
            text = f"{record.name} {record.levelname} {record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        with self._guard:
            self.lines.append(text)


SUITE_LOG = SuiteLogHandler()
_SECRETS: set[str] = set()


def register_secret(*values: str) -> None:
    """Declare values that must never appear in any log line of the run."""
    for value in values:
        if value:
            _SECRETS.add(value)


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _inside_token(line: str, start: int, end: int) -> bool:
    while start > 0 and line[start - 1] in _HEX:
        start -= 1
    while end < len(line) and line[end] in _HEX:
        end += 1
    return end - start >= _TOKEN_LENGTH


def find_secrets(lines: list[str], secrets: set[str] | None = None) -> list[str]:
    """Return a description of every secret found in ``lines``."""
    secrets = _SECRETS if secrets is None else secrets
    needles = set(secrets)
    for secret in secrets:
        needles.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    found: list[str] = []
    for line in lines:
        found.extend(
            f"secret {needle[:3]}… in: {line[:200]}" for needle in needles if needle in line
        )
        found.extend(
            f"full PAN in: {line[:200]}"
            for match in _LUHN_CANDIDATE.finditer(line)
            if _luhn_valid(match.group()) and not _inside_token(line, *match.span())
        )
        if _TRACK2.search(line):
            found.append(f"track data in: {line[:200]}")
        if _BASIC_AUTH.search(line):
            found.append(f"Authorization header in: {line[:200]}")
        if _SAVED_CARD_TOKEN.search(line):
            found.append(f"saved card token in: {line[:200]}")
    return found
