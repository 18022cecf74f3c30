"""The built distributions, and a summary of how long the install tests took."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter

import kinetic_integration

ROOT = Path(__file__).resolve().parents[2]
#: (what, seconds), printed after the run: what the install tests add to scripts/test.
TIMINGS: list[tuple[str, float]] = []


@dataclass(frozen=True, slots=True)
class Dist:
    """What scripts/package built: the wheel, the sdist and the HACS zip."""

    wheel: Path
    sdist: Path
    hacs_zip: Path
    version: str


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """``KINETIC_DIST`` (scripts/test's fresh dist/), or a build of our own made here."""
    given = os.environ.get("KINETIC_DIST")
    if given:
        folder = Path(given).resolve()
    else:
        folder = tmp_path_factory.mktemp("dist")
        with timed("build the distributions (scripts/package)"):
            subprocess.run(  # noqa: S603 - our own script
                [str(ROOT / "scripts" / "package"), str(folder)], check=True, cwd=ROOT
            )
    version = kinetic_integration.__version__
    found = Dist(
        wheel=folder / "pypi" / f"kinetic_integration-{version}-py3-none-any.whl",
        sdist=folder / "pypi" / f"kinetic_integration-{version}.tar.gz",
        hacs_zip=folder / "hacs" / "kinetic.zip",
        version=version,
    )
    for path in (found.wheel, found.sdist, found.hacs_zip):
        assert path.is_file(), f"{path} was not built (scripts/package {folder})"
    return found


class timed:
    """Time a block and keep the figure for the summary."""

    def __init__(self, what: str) -> None:
        """Name the block."""
        self.what = what
        self.start = 0.0

    def __enter__(self) -> None:
        """Start the clock."""
        self.start = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        """Keep the figure, also when the block failed."""
        TIMINGS.append((self.what, time.monotonic() - self.start))


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """Say how long each part took."""
    if TIMINGS:
        terminalreporter.section("install test timings")
        for what, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:7.1f} s  {what}")
