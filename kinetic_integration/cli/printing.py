"""``kinetic print``'s text attributes: the Kinetic Go printer's own (see ``PrintLine``)."""

from __future__ import annotations

import argparse

from .. import PRINT_RANGES, PrintLine

_FLAGS = ("underline", "strikethru", "reverse")


def add_print_attributes(printing: argparse.ArgumentParser) -> None:
    """Add ``--font-size``, ``--x``, ``--feed``, ``--line-width``, ``--skew-x``, flags, font."""
    for name, allowed in PRINT_RANGES.items():
        printing.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            metavar="N",
            help=f"for every line, {allowed[0]} to {allowed[-1]}",
        )
    for name in _FLAGS:
        printing.add_argument(f"--{name}", action="store_true", help=f"{name} every line")
    printing.add_argument("--family", metavar="FONT", help="font family (terminal default Arial)")


def print_lines(args: argparse.Namespace) -> list[str | PrintLine]:
    """Return the lines to print: plain text unless an attribute was given."""
    attributes: dict[str, object] = {
        name: getattr(args, name) for name in PRINT_RANGES if getattr(args, name) is not None
    }
    attributes.update({name: True for name in _FLAGS if getattr(args, name)})
    if args.family is not None:
        attributes["family"] = args.family
    if not attributes:
        return list(args.text)
    return [PrintLine(text=text, **attributes) for text in args.text]  # type: ignore[arg-type]
