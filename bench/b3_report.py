"""B3 from the action call: its targets and its part of ``docs/benchmarks.md``."""

from __future__ import annotations

from typing import Any

#: Target of every figure, p95 (issue 15): shown within a second.
TARGET_S = 1.0
#: The quick run's gate: looser than the target so that a noisy runner does not fail it.
QUICK_GATE = 2.0
FIGURES = (
    ("in_progress", "in progress shown, from the action call"),
    ("terminal_state", "terminal's state shown, from the action call"),
    ("result", "result shown, from the terminal's answer"),
)


def worst_p95(b3: dict[str, Any]) -> float:
    """Return the largest p95 of the three figures (the quick gate's)."""
    return max(float(b3[key]["p95_s"]) for key, _ in FIGURES)


def checks(b3: dict[str, Any]) -> list[tuple[str, float, float, str]]:
    """(figure, measured, limit, unit) of every target this run measured."""
    return [(f"p95 {name}", b3[key]["p95_s"], TARGET_S, "s") for key, name in FIGURES]


def section(b3: dict[str, Any], row: Any, header: Any) -> list[str]:
    """Return the section (``row`` and ``header`` render table lines as report.py does)."""
    lines = [
        "",
        "## B3 from the action call",
        "",
        f"`kinetic.start_sale` (`wait: false`) on each of {b3['terminals']} Kinetic Go 2,",
        f"{b3['rounds']} sales each, all terminals at once, every sale started at a random",
        f"moment of the idle poll ({b3['idle_poll_interval_s']:.0f} s): nothing waits for a",
        "poll that is already fast. *In progress*: from the action call to the transaction",
        "in progress entity turning on. *Terminal's state*: from the action call to the",
        "state entity reading the terminal's own screen (`waiting_for_card`). *Result*: from",
        "the terminal's answer (the simulator's ledger) to *Sales today* counting it and",
        "the transaction in progress entity turning off, whichever is later; the library",
        "checks a running Kinetic Go 2 transaction every 0.25 s while it waits for the card",
        "and every 0.1 s once the terminal shows it `processing` (at most 20 requests a",
        f"second to the device, status polls included). {b3['not_approved']} sales were not",
        f"approved; Home Assistant's blocking-call detector reported {b3['blocking_calls']}",
        "calls.",
        "",
        *header("", "samples", "p50 s", "p95 s", "p99 s", "max s"),
    ]
    for key, name in FIGURES:
        figures = b3[key]
        values = (f"{figures[k]:.3f}" for k in ("p50_s", "p95_s", "p99_s", "max_s"))
        lines.append(row(name, figures["samples"], *values))
    return lines
