"""Turn the results into the targets table and ``docs/benchmarks.md``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import b3_report, b6_report
from .findings import MISSED

#: The CI gate of ``--quick`` (B1's ratio at any N): looser than the target, so that a
#: noisy runner does not fail it.
QUICK_GATE = 1.75


@dataclass(frozen=True, slots=True)
class Check:
    """One target: what was measured against what was asked."""

    bench: str
    figure: str
    measured: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        """Whether the measured figure is within the target."""
        return not math.isnan(self.measured) and self.measured <= self.limit

    def line(self) -> str:
        """One Markdown table row."""
        if self.met:
            verdict = "met"
        elif self.limit:
            verdict = f"**missed** by {self.measured / self.limit - 1:.1%}"
        else:
            verdict = "**missed**"
        measured, limit = _fmt(self.measured, self.unit), _fmt(self.limit, self.unit)
        return _row(self.bench, self.figure, measured, f"≤ {limit}", verdict)


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _header(*cells: str) -> list[str]:
    return [_row(*cells), _row(*("---" for _ in cells))]


def _fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "s" and value < 0.1:
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "%":
        return f"{value:.2f} %"
    return f"{value:.0f} {unit}"


def _b1_checks(b1: dict[str, Any]) -> list[Check]:
    found = [
        Check("B1", f"CPU ratio coordinator / bare, N={n}", row["ratio_coordinator"], 1.25, "x")
        for n, row in b1["terminals"].items()
    ]
    linear = b1["linearity"]["coordinator"]
    found.append(Check("B1", "linearity: CPU/poll at largest N / at smallest N", linear, 1.25, "x"))
    return found


def _fleet_checks(fleet: dict[str, Any]) -> list[Check]:
    found: list[Check] = []
    b2 = fleet.get("b2")
    if b2:
        found += [
            Check("B2", f"setup of {fleet['entries']} entries", b2["setup_s"], 20.0, "s"),
            Check("B2", "CPU while idle-polling", b2["idle_cpu_pct_of_one_core"], 5.0, "%"),
            Check("B2", "memory per terminal", b2["memory_kb_per_terminal"], 1024.0, "KiB"),
        ]
    b3 = fleet.get("b3")
    if b3:
        idle_limit = b3["idle_poll_interval_s"] + 0.5
        during = b3["during_transaction"]["p95_s"]
        found += [
            Check("B3", "p95 state latency, idle", b3["idle"]["p95_s"], idle_limit, "s"),
            Check("B3", "p95 state latency, during a transaction", during, 1.5, "s"),
        ]
    return found


def _b4_checks(b4: dict[str, Any]) -> list[Check]:
    found: list[Check] = []
    sweep = b4["sweep"]
    if sweep.get("nmap"):
        ratio = sweep["ratio_ours_to_nmap"]
        found.append(Check("B4", "/24 sweep time, ours / nmap -sT", ratio, 1.0, "x"))
    zc, udp = b4["zeroconf"]["max_s"], b4["udp"]["max_s"]
    found.append(Check("B4", "zeroconf: first announcement to sighting, max", zc, 1.0, "s"))
    found.append(Check("B4", "UDP: first announcement to sighting, max", udp, 1.0, "s"))
    return found


def _b5_checks(b5: dict[str, Any]) -> list[Check]:
    kinds = b5["kinds"]
    limits = (
        ("kinetic-go", "Kinetic Go 2", 0.35),
        ("device-service", "DeviceService", 0.05),
        ("payment-engine", "Payment Engine", 1.5),
    )
    found = [
        Check("B5", f"p95 start_sale overhead, {name}", kinds[kind]["p95_overhead_s"], limit, "s")
        for kind, name, limit in limits
    ]
    rate = b5.get("rate_limit")
    if rate:
        devices = b5["shared_key"]["devices"]
        shared = rate["shared_key"]
        found += [
            Check(
                "B5",
                f"Payment Engine, {devices} devices on one key: most requests in "
                f"{rate['window_s']:.0f} s",
                shared["most_in_window"],
                rate["limit"],
                "req",
            ),
            Check(
                "B5",
                f"Payment Engine, {devices} devices on one key: 429 answers",
                shared["rejected"],
                0,
                "req",
            ),
        ]
    return found


def checks(results: dict[str, Any]) -> list[Check]:
    """Every target the issue sets, for what this run measured."""
    found: list[Check] = []
    if results.get("b1"):
        found += _b1_checks(results["b1"])
    if results.get("fleet"):
        found += _fleet_checks(results["fleet"])
    if results.get("b3"):
        found += [Check("B3", *check) for check in b3_report.checks(results["b3"])]
    if results.get("b4"):
        found += _b4_checks(results["b4"])
    if results.get("b5"):
        found += _b5_checks(results["b5"])
    if results.get("b6"):
        found += [Check("B6", *check) for check in b6_report.checks(results["b6"])]
    return found


def _b1_section(b1: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## B1 poll overhead",
        "",
        f"One poll cycle of N terminals ({b1['mix']}), all at once, on Home Assistant's",
        "shared web session. *coordinator*: `KineticCoordinator.async_refresh()`; *library",
        "only*: its `_async_update_data()`; *bare*: the same distinct endpoints with aiohttp,",
        "bodies read and decoded. CPU is this process's `time.process_time()` per terminal",
        "polled. Home Assistant's blocking-call detector reported",
        f"{b1['blocking_calls']} calls. From the smallest to the largest N the CPU per poll",
        f"grew {b1['linearity']['coordinator']:.2f}x for the coordinator and",
        f"{b1['linearity']['bare']:.2f}x for bare aiohttp in the same run. The wall time",
        "of a cycle is measured; between two cycles of the library and the coordinator",
        f"paths B1 pauses {b1.get('pace_gap_s', 0):g} s (not measured): Home Assistant polls a",
        "terminal at most once a second, B1 would otherwise poll it several times a second",
        "and the Kinetic Go's own cap (20 requests a second, 14 of them status polls) would",
        "hold polls back, its waiting counted as our CPU. The pacing held polls back for",
        f"{sum(r.get('pacer_waited_s', 0.0) for r in b1['terminals'].values()):.2f} s in all.",
        "",
        *_header(
            "N",
            "bare µs/poll",
            "coordinator µs/poll",
            "ratio",
            "library only µs/poll",
            "ratio",
            "wall ms/cycle bare / coordinator",
        ),
    ]
    for n, row in b1["terminals"].items():
        cpu, wall = row["cpu_us_per_terminal_poll"], row["wall_ms_per_cycle"]
        lines.append(
            _row(
                n,
                f"{cpu['bare']:.0f}",
                f"{cpu['coordinator']:.0f}",
                f"{row['ratio_coordinator']:.2f}",
                f"{cpu['library']:.0f}",
                f"{row['ratio_library']:.2f}",
                f"{wall['bare']:.1f} / {wall['coordinator']:.1f}",
            )
        )
    return lines


def _fleet_section(fleet: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    b2 = fleet.get("b2")
    if b2:
        lines += [
            "",
            "## B2 fleet in Home Assistant",
            "",
            f"{fleet['entries']} config entries ({fleet['mix']}) in one Home Assistant, set",
            "up all at once after a warm-up entry (imports and platforms not counted).",
            "",
            *_header("setup", "loaded", "idle CPU", "idle CPU, loop thread", "RSS added", "per"),
            _row(
                f"{b2['setup_s']:.2f} s",
                b2["loaded"],
                f"{b2['idle_cpu_pct_of_one_core']:.2f} %",
                f"{b2['idle_loop_thread_cpu_pct']:.2f} %",
                f"{b2['rss_mb_added']:.1f} MiB",
                f"{b2['memory_kb_per_terminal']:.0f} KiB",
            ),
            "",
            f"Idle CPU (% of one core) over {b2['idle_window_s']:.0f} s, every entry polling",
            f"every {b2['idle_poll_interval_s']:.0f} s; {b2['failing_coordinators']} failing.",
        ]
    b3 = fleet.get("b3")
    if b3:
        lines += [
            "",
            "## B3 state latency",
            "",
            "From a change inside a simulator to Home Assistant writing the matching entity",
            f"state: {b3['rounds']} transactions on each of {b3['terminals']} Kinetic Go 2 of",
            f"the B2 fleet (idle poll {b3['idle_poll_interval_s']:.0f} s, fast poll",
            f"{b3['fast_poll_interval_s']:.0f} s). Idle: a transaction starts. During: the card",
            "is presented; the transaction ends. Each change comes at a random poll phase.",
            "",
            *_header("", "samples", "p50 s", "p95 s", "p99 s", "max s"),
        ]
        for name, key in (("idle", "idle"), ("during a transaction", "during_transaction")):
            row = b3[key]
            lines.append(
                _row(
                    name,
                    row["samples"],
                    *(f"{row[k]:.3f}" for k in ("p50_s", "p95_s", "p99_s", "max_s")),
                )
            )
    return lines


def _b4_section(b4: dict[str, Any]) -> list[str]:
    sweep = b4["sweep"]
    ports = ",".join(map(str, sweep["ports"]))
    nmap = (
        "not available (not installed, and apt-get could not install it from here: a run in"
        " a network namespace has loopback only), so the sweep has no comparison in this run"
    )
    if sweep.get("nmap"):
        nmap = f"{sweep['nmap_median_s'] * 1000:.0f} ms (open ports {sweep['nmap_open_ports']})"
    lines = [
        "",
        "## B4 discovery",
        "",
        f"{sweep['network']}: {sweep['hosts']} hosts, {sweep['terminals']} terminals on ports",
        f"{ports}; median of {sweep['repeats']} turns each.",
        "",
        f"- ours (`HttpSweep`: a bare TCP connect, then HTTP to open ports): "
        f"{sweep['ours_median_s'] * 1000:.0f} ms (found {sweep['ours_found']})",
        f"- `nmap -sT -p {ports} -n -Pn`: {nmap}",
    ]
    lines += ["", *_header("announcement to sighting", "samples", "p50 s", "p95 s", "max s")]
    for name, key in (
        ("zeroconf, from the first announcement", "zeroconf"),
        ("zeroconf, from registering (adds name probing)", "zeroconf_from_register_call"),
        ("UDP announcement", "udp"),
    ):
        row = b4[key]
        values = (f"{row[k]:.4f}" for k in ("p50_s", "p95_s", "max_s"))
        lines.append(_row(name, row["samples"], *values))
    return lines


def _b5_shared_lines(b5: dict[str, Any]) -> list[str]:
    rate = b5.get("rate_limit")
    if not rate:
        return []
    shared, single = rate["shared_key"], rate["one_device_keys"]
    return [
        "",
        f"*payment-engine, {b5['shared_key']['devices']} devices on one key*: one account whose",
        f"{b5['shared_key']['devices']} devices (one entry each) take",
        f"{b5['shared_key']['sales_per_device']} sales each at the same time through the",
        f"action, the engine allowing {rate['limit']} requests per {rate['window_s']:.0f} s",
        "per API key as documented. Most requests the engine counted in one window:",
        f"{shared['most_in_window']} on the shared key, {single['most_in_window']} on the",
        f"keys of one device; 429 answers: {shared['rejected']} and {single['rejected']}.",
        "Its overhead is what the shared budget leaves each sale.",
    ]


def _b5_section(b5: dict[str, Any]) -> list[str]:
    first, last = b5["customer_delay_s"]
    spread = ", ".join(f"{kind} {delay:g} s" for kind, delay in last.items())
    polls = ", ".join(f"{kind} {poll:g} s" for kind, poll in b5["poll_interval_s"].items())
    spacing = b5.get("payment_engine_sale_spacing_s", 0.0)
    lines = [
        "",
        "## B5 sale overhead",
        "",
        "`kinetic.start_sale` (`wait: true`, with its response) on the device of a loaded",
        f"entry in one Home Assistant, {b5['terminals_per_kind']} simulated terminals of",
        "each kind selling at once, minus the simulator's scripted customer time: the card",
        f"is presented after {first} s up to {first} s + the kind's poll interval, spread",
        f"over the terminals (up to: {spread}), then {b5['processing_delay_s']} s processing.",
        "*Library only*: right after each action, the same entry's `Terminal.sale()` on",
        "the same terminal, without the action, the journal or the event; the difference",
        "is the action's own cost. While the card is awaited the library polls every",
        f"{polls}; once the terminal shows the card being processed, every 0.1 s",
        "(Kinetic Go) or 0.5 s (Payment Engine); a DeviceService POST returns the result",
        "itself. Every Payment Engine simulator allows 45 requests a minute per API key,",
        "and one device's key serves its 20 sales (10 through the action, 10 library only)",
        f"at 3 to 4 requests each, one starting every {spacing:g} s (10 a minute: faster than",
        "a counter serves card payments for long; back to back, the key's budget would hold",
        "the later ones back, which the devices sharing one key below show). While one of",
        "our requests is polled, Home Assistant's status poll answers from its progress",
        "without a request of its own.",
        f"{b5['failures']} sales were not approved; Home Assistant's blocking-call detector",
        f"reported {b5['blocking_calls']} calls.",
        *_b5_shared_lines(b5),
        "",
        *_header(
            "kind",
            "sales",
            "p50 overhead",
            "p95 overhead",
            "max",
            "library only p50",
            "library only p95",
        ),
    ]
    keys = ("p50_overhead_s", "p95_overhead_s", "max_overhead_s")
    for kind, row in b5["kinds"].items():
        library = row["library"]
        lines.append(
            _row(
                kind,
                row["sales"],
                *(_fmt(row[k], "s") for k in keys),
                *(_fmt(library[k], "s") for k in keys[:2]),
            )
        )
    return lines


def _why_missed(found: list[Check]) -> list[str]:
    """Where the findings say why a target was missed (see findings.MISSED)."""
    missed = sorted({check.bench for check in found if not check.met})
    if not missed:
        return []
    return ["", "Missed: " + "; ".join(f"{b}, {MISSED.get(b, 'not explained')}" for b in missed)]


def markdown(results: dict[str, Any], findings: list[str]) -> str:
    """Return the whole of docs/benchmarks.md."""
    machine = results["machine"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench` (do not edit by hand; run it again). Every figure is a",
        "ratio or a percentile measured side by side in one run on the machine below. The",
        "simulated terminals run in a child process on distinct 127.0.x.y loopback",
        "addresses, so their CPU is never counted as ours. `scripts/bench --quick` (B1 at",
        "N = 10 and 100 only, B6 at 0 and 10,000 records, B3 from the action call on 5",
        f"terminals) runs in `scripts/test` and fails when B1's ratio exceeds {QUICK_GATE}, B6's",
        f"median cost per sale at 10,000 records exceeds {b6_report.QUICK_GATE}x that at 0, or",
        f"a p95 of B3 from the action call exceeds {b3_report.QUICK_GATE:.0f} s.",
        "",
        f"- Date: {machine['date']}",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']},",
        f"  {machine['os']}",
        f"- Software: Python {machine['python']}, aiohttp {machine['aiohttp']},",
        f"  Home Assistant {machine['homeassistant']}",
        f"- Run time: {results['duration_s']:.0f} s",
        "",
        "## Targets",
        "",
        *_header("", "figure", "measured", "target", ""),
        *(check.line() for check in checks(results)),
        *_why_missed(checks(results)),
    ]
    if results.get("b1"):
        out += _b1_section(results["b1"])
    if results.get("fleet"):
        out += _fleet_section(results["fleet"])
    if results.get("b3"):
        out += b3_report.section(results["b3"], _row, _header)
    if results.get("b4"):
        out += _b4_section(results["b4"])
    if results.get("b5"):
        out += _b5_section(results["b5"])
    if results.get("b6"):
        out += b6_report.section(results["b6"], _row, _header)
    if findings:
        out += ["", "## Findings", "", *findings]
    return "\n".join(out) + "\n"
