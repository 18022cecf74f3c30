"""Small helpers shared by the benchmarks: statistics, addresses, the machine, memory."""

from __future__ import annotations

import ipaddress
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the ``pct`` percentile (linear interpolation between closest ranks)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """Return the median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def loopback_hosts(count: int, first: str = "127.0.1.1") -> list[str]:
    """Return ``count`` distinct loopback addresses from ``first``, skipping .0 and .255."""
    address = ipaddress.IPv4Address(first)
    hosts: list[str] = []
    while len(hosts) < count:
        if not address.is_loopback:
            raise ValueError("ran out of loopback addresses")
        if int(address) & 0xFF not in (0, 255):
            hosts.append(str(address))
        address += 1
    return hosts


def rss_bytes() -> int:
    """Return this process's resident set size (Linux ``/proc``)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, object]:
    """Describe the machine and the software the figures were measured with."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory": _memory_total(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "aiohttp": _version("aiohttp"),
        "homeassistant": _version("homeassistant"),
    }
