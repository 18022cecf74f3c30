"""``python -m bench`` (what ``scripts/bench`` runs): every benchmark, or ``--quick``.

The full run writes ``bench/results.json`` and ``docs/benchmarks.md``; ``--quick`` (B1 at
N = 10 and 100, B6 at 0 and 10,000 records, B3 from the action call on 5 terminals) and
``--only`` write nothing unless ``--output`` is given. Both exit 1 when B1's coordinator /
bare CPU ratio exceeds 1.75 at any N, B6's median journal cost per sale at 10,000 records
exceeds 1.5x that at 0, or a p95 of B3 from the action call exceeds 2 s. In the full run
every benchmark runs in a process of its own (``--only``), so that none inherits another's
memory or state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import b1_poll, b2_fleet, b3_action, b3_report, b4_discovery, b5_sale, b6_journal, b6_report
from .common import machine
from .findings import FINDINGS
from .report import QUICK_GATE, checks, markdown

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("b1", "b2", "b3", "b4", "b5", "b6")


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    started = time.perf_counter()
    if args.quick:
        results["b1"] = await b1_poll.run([10, 100], {10: 30, 100: 6})
        results["b6"] = await b6_journal.run([0, 10_000], 60, before=False)
        results["b3"] = await b3_action.run(terminals=5, rounds=4)
    elif not args.only:
        for name in BENCHMARKS:
            results.update(await asyncio.to_thread(_isolated, name))
    else:
        only = set(args.only)
        if "b1" in only:
            results["b1"] = await b1_poll.run([10, 100, 500], {10: 40, 100: 10, 500: 4})
        if "b2" in only:
            results["fleet"] = await b2_fleet.run(count=200, idle_window=30.0, rounds=2)
        if "b3" in only:
            results["b3"] = await b3_action.run(terminals=10, rounds=10)
        if "b4" in only:
            results["b4"] = await b4_discovery.run(repeats=5, zeroconf_repeats=10, udp_repeats=50)
        if "b5" in only:
            results["b5"] = await b5_sale.run(per_kind=10, sales=10)
        if "b6" in only:
            results["b6"] = await b6_journal.run([0, 10_000, 36_000], 3000, blocks=10)
    results["duration_s"] = time.perf_counter() - started
    return results


def _isolated(name: str) -> dict[str, Any]:
    """Run one benchmark in a fresh process; return its results."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / f"{name}.json"
        subprocess.run(  # noqa: S603 - this interpreter, our own module
            [sys.executable, "-m", "bench", "--only", name, "--output", str(output)],
            check=True,
            cwd=ROOT,
        )
        results: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    kept = ("b1", "fleet", "b3", "b4", "b5", "b6")
    return {key: value for key, value in results.items() if key in kept}


def main() -> None:
    """Run, write the results, print the targets, exit 1 if B1 or B6 fails its gate."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="B1 at N = 10 and 100, B6 at 0 and 10,000, B3 from the action call on 5 terminals",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        help="b2 includes B3 from a change in the terminal, b3 is B3 from the action call;"
        " writes no docs",
    )
    parser.add_argument("--output", type=Path, help="the JSON results file")
    args = parser.parse_args()
    # Terminals that refuse or stall would log; the figures are what we want on screen.
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(_run(args))
    full = not args.quick and not args.only
    output = args.output or (ROOT / "bench" / "results.json" if full else None)
    if output is not None:
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if full:
        (ROOT / "docs" / "benchmarks.md").write_text(markdown(results, FINDINGS), encoding="utf-8")
    if args.only and args.output:
        return  # a part of the full run: the parent reports
    for check in checks(results):
        sys.stdout.write(check.line() + "\n")
    sys.stdout.write(f"took {results['duration_s']:.0f} s\n")
    worst = results["b1"]["max_ratio"] if "b1" in results else 0.0
    journal = b6_report.quick_ratio(results["b6"]) if "b6" in results else 0.0
    if worst > QUICK_GATE:
        sys.stdout.write(f"FAILED: B1 CPU ratio {worst:.2f} exceeds {QUICK_GATE}\n")
    if journal > b6_report.QUICK_GATE:
        sys.stdout.write(
            f"FAILED: B6 journal cost per sale {journal:.2f}x that of an empty journal, "
            f"above {b6_report.QUICK_GATE}\n"
        )
    feedback = b3_report.worst_p95(results["b3"]) if "b3" in results else 0.0
    if feedback > b3_report.QUICK_GATE:
        sys.stdout.write(
            f"FAILED: B3 from the action call, p95 {feedback:.2f} s"
            f" above {b3_report.QUICK_GATE} s\n"
        )
    if worst > QUICK_GATE or journal > b6_report.QUICK_GATE or feedback > b3_report.QUICK_GATE:
        sys.exit(1)


if __name__ == "__main__":
    main()
