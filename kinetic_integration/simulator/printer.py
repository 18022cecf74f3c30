"""The simulated receipt printer: paper state, and every job printed as text and as sent.

``instruction_jobs`` keeps each job's instructions exactly as the request carried them
(a deep copy, nothing reflowed), so tests can compare a printed receipt with the
terminal's receipt document item by item.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


class PrinterError(Exception):
    """The printer cannot print (no printer, no paper, or bad instructions)."""


_COMMANDS = frozenset({"text", "scroll", "flush"})


class Printer:
    """A printer that turns instruction arrays into text lines, in print order."""

    def __init__(self, *, present: bool = True) -> None:
        """Start with paper loaded."""
        self.present = present
        self.paper = True
        self.jobs: list[list[str]] = []
        self.instruction_jobs: list[list[Any]] = []

    def print(self, instructions: Sequence[Mapping[str, Any]]) -> list[str]:
        """Print one job; return its text lines or raise :class:`PrinterError`."""
        if not self.present:
            raise PrinterError("This device does not have a printer")
        lines = render_text(instructions)
        if not self.paper:
            raise PrinterError("Printer is out of paper")
        self.jobs.append(lines)
        self.instruction_jobs.append(copy.deepcopy(list(instructions)))
        return lines


def render_text(instructions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Order text by buffer then ``y``, as the printer does; raise on malformed input.

    Scroll and flush end a buffer; within a buffer a lower ``y`` prints first.
    """
    lines: list[str] = []
    buffer: list[tuple[int, int, str]] = []
    for index, item in enumerate(instructions):
        if not isinstance(item, Mapping) or item.get("command") not in _COMMANDS:
            raise PrinterError(f"Invalid printer instruction at index {index}")
        if item["command"] == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise PrinterError(f"Text instruction {index} has no text")
            buffer.append((_dots(item.get("y", 0), index), index, text))
        else:
            lines.extend(text for _, _, text in sorted(buffer))
            buffer = []
    lines.extend(text for _, _, text in sorted(buffer))
    return lines


def _dots(value: object, index: int) -> int:
    # Receipts from the device itself sometimes carry numbers as strings.
    if isinstance(value, bool):
        raise PrinterError(f"Instruction {index} has an invalid y")
    try:
        dots = int(str(value))
    except (TypeError, ValueError) as err:
        raise PrinterError(f"Instruction {index} has an invalid y") from err
    if dots < 0:
        raise PrinterError(f"Instruction {index} has a negative y")
    return dots
