"""Home Assistant's deprecation reports about this integration, picked out of log records.

Home Assistant reports a custom integration's use of a deprecated API through its frame
helper ("Detected that custom integration 'kinetic' calls ...") and, for some APIs, with a
plain warning naming the caller. Depending on the release and the API it logs once, logs
every time or raises; the test suites turn each of these log records into a failure, so a
deprecation fails the tests on every Home Assistant version, not only where it raises.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

#: Loggers whose records are ours: the integration and the library.
OUR_LOGGERS = ("custom_components.kinetic", "kinetic_integration")
#: Home Assistant's frame reporter (report_usage) and its deprecation helpers.
REPORTERS = ("homeassistant.helpers.frame", "homeassistant.helpers.deprecation")


def _ours(name: str) -> bool:
    return any(name == logger or name.startswith(logger + ".") for logger in OUR_LOGGERS)


def is_deprecation_report(record: logging.LogRecord) -> bool:
    """Whether a record reports a deprecated use by this integration or its library.

    A frame report (or deprecation helper warning) that names ``kinetic`` counts, whatever
    it says; so does any warning of ours, or naming us, that says "deprecated".
    """
    if record.levelno < logging.WARNING:
        return False
    message = record.getMessage()
    names_us = "kinetic" in message
    if record.name in REPORTERS or record.name.startswith("homeassistant.helpers.frame"):
        return names_us
    return "deprecat" in message.lower() and (names_us or _ours(record.name))


def deprecation_reports(records: Iterable[logging.LogRecord]) -> list[str]:
    """Return the deprecation reports among ``records``, formatted for a failure."""
    return [
        f"{record.name} {record.levelname}: {record.getMessage()}"
        for record in records
        if is_deprecation_report(record)
    ]
