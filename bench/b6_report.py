"""B6's targets and its section of ``docs/benchmarks.md``."""

from __future__ import annotations

from typing import Any

#: Targets: overhead p95 at the largest size within 10 % of an empty journal's; bytes
#: written per sale; startup with the largest journal.
OVERHEAD_RATIO = 1.10
BYTES_PER_SALE = 64 * 1024
STARTUP_S = 0.5
#: The quick run's gate (0 against 10,000 records), on the median: looser than the
#: target so that a noisy runner does not fail it.
QUICK_GATE = 1.5


def quick_ratio(b6: dict[str, Any]) -> float:
    """Return the quick gate's figure: median journal cost per sale, largest size / empty."""
    return float(b6["ratios"][str(max(b6["sizes"]))]["p50"])


def checks(b6: dict[str, Any]) -> list[tuple[str, float, float, str]]:
    """(figure, measured, limit, unit) of every B6 target this run measured."""
    largest = str(max(b6["sizes"]))
    found = [
        (
            f"journal cost per sale p95, {int(largest):,} records / 0",
            b6["ratios"][largest]["p95"],
            OVERHEAD_RATIO,
            "x",
        ),
        (
            "bytes written per sale (page-granular), worst size",
            max(row["write_bytes_per_sale"] for row in b6["journals"].values()) / 1024,
            BYTES_PER_SALE / 1024,
            "KiB",
        ),
    ]
    if "startup" in b6:
        startup = b6["startup"]
        found.append(
            (
                f"startup with {startup['records']:,} records, slowest of {startup['loads']}",
                startup["max_s"],
                STARTUP_S,
                "s",
            )
        )
    return found


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _kib(count: float) -> str:
    if count >= 10 * 1024 * 1024:
        return f"{count / 1024 / 1024:,.1f} MiB"
    return f"{count / 1024:,.1f} KiB"


def section(b6: dict[str, Any], row: Any, header: Any) -> list[str]:
    """Return the B6 section (``row`` and ``header`` render table lines as report.py does)."""
    lines = [
        "",
        "## B6 journal at scale",
        "",
        "The journal work of one `kinetic.start_sale` through Home Assistant's journal",
        "(`HomeAssistantJournal` over the library's SQLite journal in `.storage`, WAL),",
        "in the integration's order: duplicate check, lookup (a reference we made up, as",
        "`start_sale` without one: no read), intent, sent, result, card details, announced",
        "(in the background; waited for, so that its bytes count), Sales today. One",
        "journal per size, filled beforehand with",
        f"{b6['per_day']} finished sales a day; {b6['sales']} sales on each, in",
        f"{b6.get('blocks', 1)} blocks, each on fresh copies of the filled journals (so that",
        "the records at hand stay a venue's day, not days of the benchmark's own sales),",
        "interleaved (one on each size in turn, the order turning each round so that no",
        "size always follows another's commit) after a warm-up of",
        f"{b6.get('warmup', 5)} sales each per block. *Scans*: the part of a sale that is its two",
        "passes over the records at hand (the duplicate check and Sales today); *rest*:",
        "the journal's reads and writes. *At hand*: records Home Assistant keeps in memory",
        "(unresolved, recent, unannounced) before a block's first sale and after its last. Bytes",
        "are this process's",
        "`/proc/self/io` counters across each sale: *written* is `write_bytes` (pages",
        "dirtied for the disk: a partly written 4 KiB page counts whole), *handed over*",
        f"is `wchar`. Home Assistant's blocking-call detector reported {b6['blocking_calls']}",
        "calls.",
        "",
        *header(
            "records",
            "p50",
            "p95",
            "p95 / at 0",
            "p50 scans / rest",
            "at hand",
            "written",
            "handed over",
            "file",
        ),
    ]
    for count, figures in b6["journals"].items():
        lines.append(
            row(
                f"{int(count):,}",
                _ms(figures["p50_s"]),
                _ms(figures["p95_s"]),
                f"{b6['ratios'][count]['p95']:.2f}x",
                f"{_ms(figures.get('scans_p50_s', 0.0))} / {_ms(figures.get('rest_p50_s', 0.0))}",
                f"{figures.get('at_hand_before', 0)} -> {figures.get('at_hand_after', 0)}",
                _kib(figures["write_bytes_per_sale"]),
                _kib(figures["wchar_per_sale"]),
                f"{figures['file_bytes'] / 1024 / 1024:.1f} MiB",
            )
        )
    startup = b6.get("startup")
    if startup:
        lines += [
            "",
            f"Startup (`async_load`) with {startup['records']:,} records: median of",
            f"{startup['loads']} starts {_ms(startup['seconds'])} (first",
            f"{_ms(startup['first_s'])}, slowest {_ms(startup['max_s'])}); it reads the",
            "unresolved records, the last two days' and the unannounced ones",
            f"({startup['at_hand']} records), through indexes.",
        ]
    before = b6.get("store_before")
    if before:
        migration = b6["migration"]
        lines += [
            "",
            f"Before (the `Store` journal, measured in the same run with {before['records']:,}",
            f"records, a {before['file_bytes'] / 1024 / 1024:.1f} MiB file): startup (load and",
            f"parse) {_ms(before['startup_s'])}; a sale's five whole-file saves",
            f"{_ms(before['p50_s'])} p50, {_ms(before['p95_s'])} p95 ({before['sales']} sales),",
            f"{_kib(before['write_bytes_per_sale'])} written per sale. The first start moves",
            f"such a file into SQLite once: {migration['records']:,} records in",
            f"{_ms(migration['seconds'])}.",
        ]
    return lines
