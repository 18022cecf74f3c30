"""Load the seeds' example bodies from ``tests/library/fixtures/seeds`` (see its README).

A ``.json`` fixture is the seed's text and valid JSON. A ``.jsonc`` fixture is the seed's
text as printed, which is not JSON: comments and trailing commas are stripped here, and
the few other repairs below (each listed in the README) are applied first. Numbers that
are not integers load as Decimal, as the clients read them; strings may span lines (the
Kinetic Go transaction document breaks long placeholders over several lines).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).parent.parent / "fixtures" / "seeds"

#: Repairs beyond comments and trailing commas: (literal text, replacement) per fixture.
REPAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "kinetic_go/transaction.200.jsonc": (
        # The key was printed at the end of a comment line; its array follows on the next.
        ('transaction "attempted_sources": [', 'transaction\n"attempted_sources": ['),
        # The comma sits inside the string; the placeholder text itself is kept.
        ('"attempts_remaining": "number,"\n', '"attempts_remaining": "number,",\n'),
    ),
    # The seed document ends before the example's closing brace.
    "device_service/transaction-example-cancelled.200.jsonc": (
        ('"VerifiedByOdcvm": false\n', '"VerifiedByOdcvm": false\n}\n'),
    ),
}

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def seed_names(api: str) -> list[str]:
    """Every fixture of ``api`` (``kinetic_go``, ``device_service``, ``payment_engine``)."""
    return sorted(path.name for path in (SEEDS / api).iterdir() if path.suffix != ".md")


def seed_text(name: str) -> str:
    """The literal text of fixture ``api/file`` as the seed prints it."""
    return (SEEDS / name).read_text(encoding="utf-8")


def repaired_text(name: str) -> str:
    """Fixture ``api/file`` as JSON text: the literal text, repaired if it is ``.jsonc``."""
    text = seed_text(name)
    if name.endswith(".jsonc"):
        for old, new in REPAIRS.get(name, ()):
            assert text.count(old) == 1, f"repair {old!r} does not fit {name}"
            text = text.replace(old, new)
        text = _TRAILING_COMMA.sub(r"\1", strip_comments(text))
    return text


def seed_json(name: str) -> Any:
    """Fixture ``api/file`` parsed as the clients parse (non-integers as Decimal)."""
    return json.loads(repaired_text(name), parse_float=Decimal, strict=False)


def seed_status(name: str) -> int:
    """The HTTP status a response fixture is answered with (``name.<status>[-what].json``)."""
    match = re.search(r"\.(\d{3})(?:-[a-z-]+)?\.jsonc?$", name)
    assert match, f"{name} is not a response fixture"
    return int(match.group(1))


def strip_comments(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments outside strings."""
    out: list[str] = []
    index, in_string = 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(text[index : index + 2] if char == "\\" else char)
            index += 2 if char == "\\" else 1
            in_string = char != '"'
        elif char == '"':
            out.append(char)
            index, in_string = index + 1, True
        elif text.startswith("//", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif text.startswith("/*", index):
            index = text.index("*/", index) + 2
        else:
            out.append(char)
            index += 1
    return "".join(out)
