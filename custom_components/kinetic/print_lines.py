"""The print_text action's lines as the library's PrintLine (the seed's text attributes).

Attributes given at the top level of the action apply to every line; a line given as
a mapping overrides them for itself. The library checks every value before anything is
sent (a bad one is refused as invalid input).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kinetic_integration import PRINT_RANGES, PrintLine

from .service_schemas import ATTR_FAMILY, ATTR_LINES, ATTR_TEXT, PRINT_FLAGS

_ATTRIBUTES = (*PRINT_RANGES, *PRINT_FLAGS, ATTR_FAMILY)


def print_lines(data: Mapping[str, Any]) -> list[str | PrintLine]:
    """Return the lines to print: plain text, or PrintLine where attributes are set."""
    shared = {name: data[name] for name in _ATTRIBUTES if name in data}
    lines: list[str | PrintLine] = []
    for line in data[ATTR_LINES]:
        own = dict(line) if isinstance(line, Mapping) else {ATTR_TEXT: line}
        attributes = {**shared, **{k: v for k, v in own.items() if k != ATTR_TEXT}}
        text = own[ATTR_TEXT]
        lines.append(PrintLine(text=text, **attributes) if attributes else text)
    return lines
