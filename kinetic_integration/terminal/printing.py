"""Text to print, with the Kinetic Go 2 printer's own attributes, as printer instructions.

The seed's ``text`` instruction takes ``x``, ``y``, ``font_size`` and the optional
``line_width`` (default 10), ``skew_x`` (0), ``underline``, ``strikethru``, ``reverse``
(false) and ``family`` ("Arial"); ``scroll`` feeds paper by ``amount`` dots and ``flush``
ends a print buffer. :class:`PrintLine` carries exactly those attributes (``x`` is how a
line is indented or aligned; ``feed`` is a scroll after the line). The seed has no bold
and no alignment keyword: what it offers is ``line_width`` and ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import KineticInputError

#: The font size a plain line prints with, and the gap below a line (a quarter of it).
DEFAULT_FONT_SIZE = 24
FONT_SIZES = range(8, 97)
MAX_X = 576
MAX_FEED = 1000
LINE_WIDTHS = range(1, 51)
SKEWS = range(-45, 46)
MAX_FAMILY_LENGTH = 32
MAX_PRINT_LINES = 200
MAX_LINE_LENGTH = 200
#: The whole-number attributes of a line and the values each may take.
PRINT_RANGES: dict[str, range] = {
    "font_size": FONT_SIZES,
    "x": range(MAX_X + 1),
    "feed": range(MAX_FEED + 1),
    "line_width": LINE_WIDTHS,
    "skew_x": SKEWS,
}
_LINES_PER_BUFFER = 20
_FINAL_FEED = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintLine:
    """One line of text and how the printer draws it (the seed's ``text`` attributes).

    ``None`` leaves an optional attribute out of the instruction (the terminal's
    default applies). ``feed`` scrolls that many dots after the line (a blank gap).
    """

    text: str
    font_size: int = DEFAULT_FONT_SIZE
    x: int = 0
    underline: bool = False
    strikethru: bool = False
    reverse: bool = False
    line_width: int | None = None
    skew_x: int | None = None
    family: str | None = None
    feed: int = 0

    def validate(self) -> PrintLine:
        """Return the line, or raise :class:`KineticInputError` naming what is wrong."""
        text = self.text
        if not isinstance(text, str) or len(text) > MAX_LINE_LENGTH:
            raise KineticInputError(f"Each line must be text of at most {MAX_LINE_LENGTH} chars")
        if any(ord(char) < 32 for char in text):
            raise KineticInputError("Printed lines must not contain control characters")
        _check_int(self.font_size, FONT_SIZES, "font_size")
        _check_int(self.x, range(MAX_X + 1), "x")
        _check_int(self.feed, range(MAX_FEED + 1), "feed")
        if self.line_width is not None:
            _check_int(self.line_width, LINE_WIDTHS, "line_width")
        if self.skew_x is not None:
            _check_int(self.skew_x, SKEWS, "skew_x")
        for name in ("underline", "strikethru", "reverse"):
            if not isinstance(getattr(self, name), bool):
                raise KineticInputError(f"{name} must be true or false")
        if self.family is not None and (
            not isinstance(self.family, str)
            or not 0 < len(self.family) <= MAX_FAMILY_LENGTH
            or not self.family.isprintable()
        ):
            raise KineticInputError(f"family must be a font name of 1-{MAX_FAMILY_LENGTH} chars")
        return self

    def instruction(self, y: int) -> dict[str, object]:
        """Return the ``text`` instruction at ``y`` dots into the current buffer."""
        instruction: dict[str, object] = {
            "command": "text",
            "text": self.text,
            "x": self.x,
            "y": y,
            "font_size": self.font_size,
        }
        for name in ("underline", "strikethru", "reverse"):
            if getattr(self, name):
                instruction[name] = True
        for name in ("line_width", "skew_x", "family"):
            if (value := getattr(self, name)) is not None:
                instruction[name] = value
        return instruction

    @property
    def height(self) -> int:
        """Dots from this line's top to the next line's (font size and a quarter)."""
        return self.font_size + self.font_size // 4


def _check_int(value: object, allowed: range, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise KineticInputError(f"{name} must be a whole number from {allowed[0]} to {allowed[-1]}")


def text_instructions(lines: Sequence[str | PrintLine]) -> list[dict[str, object]]:
    """Printer instructions for lines of text (batches separated by flushes).

    ``y`` counts from the print head of the current buffer, so it restarts at 0 after
    each flush or scroll; a final scroll feeds the paper past the tear bar. Everything
    is checked before anything is built: a bad line raises :class:`KineticInputError`.
    """
    if isinstance(lines, str) or not lines:
        raise KineticInputError("Give at least one line of text to print")
    if len(lines) > MAX_PRINT_LINES:
        raise KineticInputError(f"At most {MAX_PRINT_LINES} lines can be printed at once")
    checked = [
        (line if isinstance(line, PrintLine) else PrintLine(text=line)).validate() for line in lines
    ]
    instructions: list[dict[str, object]] = []
    y = 0
    in_buffer = 0
    for line in checked:
        if in_buffer == _LINES_PER_BUFFER:
            instructions.append({"command": "flush"})
            y = in_buffer = 0
        instructions.append(line.instruction(y))
        y += line.height
        in_buffer += 1
        if line.feed:
            # A scroll flushes the buffer first: the next line starts a new one at y = 0.
            instructions.append({"command": "scroll", "amount": line.feed})
            y = in_buffer = 0
    instructions.append({"command": "scroll", "amount": _FINAL_FEED})
    return instructions
