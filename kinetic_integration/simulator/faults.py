"""Fault injection: what the next matching requests should suffer."""

from __future__ import annotations

from dataclasses import dataclass

FAULTS = frozenset({"latency", "drop_after_accept", "error_500", "busy", "hang", "malformed_json"})


@dataclass(slots=True)
class Fault:
    """One armed fault: applies to the next ``times`` requests under ``path``."""

    name: str
    times: int
    path: str | None = None
    seconds: float | None = None

    def matches(self, path: str) -> bool:
        """Whether a request path falls under this fault's prefix (case-insensitive)."""
        return self.path is None or path.lower().startswith(self.path.lower())

    def as_json(self) -> dict[str, object]:
        """Render for the control API."""
        return {"fault": self.name, "times": self.times, "path": self.path, "seconds": self.seconds}


class FaultInjector:
    """The armed faults of one simulator, consumed in the order they were added."""

    def __init__(self) -> None:
        """Start with none armed."""
        self._faults: list[Fault] = []

    def add(
        self, name: str, *, times: int = 1, path: str | None = None, seconds: float | None = None
    ) -> Fault:
        """Arm a fault; raise ValueError for an unknown name or a bad count."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if name == "latency" and (seconds is None or seconds < 0):
            raise ValueError("latency needs seconds >= 0")
        fault = Fault(name=name, times=times, path=path, seconds=seconds)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm everything."""
        self._faults.clear()

    def take(self, path: str) -> Fault | None:
        """Consume one use of the first fault matching ``path``, if any."""
        for fault in self._faults:
            if fault.matches(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    @property
    def armed(self) -> list[Fault]:
        """The faults still armed."""
        return list(self._faults)
