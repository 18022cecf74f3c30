"""Compare two pytest JUnit XML reports: the same tests with the same outcomes, or say which.

    python scripts/same_results.py voluptuous.xml probatio.xml

Used by scripts/test to hold the library's suite on probatio (as Home Assistant 2026.x
installs it) to the results it has on voluptuous.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def outcomes(report: Path) -> dict[str, str]:
    """Return each test's outcome (passed, failed, error or skipped) by its id."""
    found: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):  # noqa: S314
        test_id = f"{case.get('classname')}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                break
        found[test_id] = outcome
    return found


def main() -> int:
    """Print the differences; exit 1 when there are any."""
    first, second = (outcomes(Path(name)) for name in sys.argv[1:3])
    differences = [
        f"  {test_id}: {first.get(test_id, 'absent')} vs {second.get(test_id, 'absent')}"
        for test_id in sorted(first.keys() | second.keys())
        if first.get(test_id) != second.get(test_id)
    ]
    if differences:
        print(f"{len(differences)} test(s) differ ({sys.argv[1]} vs {sys.argv[2]}):")
        print("\n".join(differences))
        return 1
    print(f"identical results: {len(first)} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
