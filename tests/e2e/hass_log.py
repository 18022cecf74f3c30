"""Reading a real Home Assistant's log in the end-to-end tests."""

from __future__ import annotations

import re

_ENTRY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")

#: Errors of Home Assistant's own that a browser test causes and nothing of ours can:
#: 2026.11's websocket API writes a compressed frame after the page has gone (aiohttp
#: raises on the closing transport in a task nobody awaits). Matched on its traceback.
_NOT_OURS = (("aiohttp/_websocket/writer.py", "Cannot write to closing transport"),)


def error_entries(log: str) -> list[str]:
    """Return every ERROR entry of ``log`` (with its traceback), but the known ones above."""
    entries: list[list[str]] = []
    for line in log.splitlines():
        if _ENTRY.match(line) or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    errors = []
    for entry in entries:
        if " ERROR " not in entry[0]:
            continue
        text = "\n".join(entry)
        if any(all(part in text for part in known) for known in _NOT_OURS):
            continue
        errors.append(text)
    return errors
