"""A clean Home Assistant environment for the install test: Home Assistant, never our library.

Which Home Assistant, on which Python, comes from the environment (defaults in brackets):

``KINETIC_INSTALL_HA_VERSION``
    the ``homeassistant`` release [the one installed beside this test: .venv's, the
    declared minimum];
``KINETIC_INSTALL_PYTHON``
    the interpreter that creates the environment [the interpreter .venv was made from];
``KINETIC_INSTALL_RUNNER``
    a command prefix that runs commands where that interpreter lives, e.g. a wrapper that
    enters a chroot [none: run here]; a relative path is relative to the repository. The
    runner must see this repository at the same path, keep the working directory and the
    loopback network, and exec the command (so signals reach it).

The environment is built once per (Python, Home Assistant) under ``.venv-install/`` in the
repository (ignored by git): ``homeassistant`` is installed with uv, then Home Assistant is
started once with the test's configuration so that it installs what its own integrations
need (the frontend), as a first start of a real installation does. Each test then runs in
a copy, which Home Assistant may install into.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from demo.hass import HassProcess

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".venv-install"
#: Change this to rebuild every cached environment (their recipe changed).
RECIPE = "3"
#: What the clean installation loads: what a first start needs for onboarding and the config
#: flows, no default_config (it would look beyond loopback), no ``kinetic:`` (a user adds the
#: integration in the UI, which is when Home Assistant installs its requirement).
CONFIGURATION_YAML = """\
homeassistant:
  name: Kinetic clean install
  time_zone: UTC
  country: GB
  currency: GBP
  unit_system: metric
  language: en
http:
  server_host: {host}
  server_port: {port}
frontend:
config:
logger:
  default: warning
  logs:
    homeassistant.util.package: debug
    homeassistant.requirements: debug
    homeassistant.setup: info
    homeassistant.bootstrap: info
    homeassistant.loader: info
    custom_components.kinetic: debug
    kinetic_integration: debug
"""


class CleanEnvironmentError(RuntimeError):
    """The clean environment could not be made."""


@dataclass(frozen=True, slots=True)
class Target:
    """Which Home Assistant on which Python, and how to run commands there."""

    ha_version: str
    python: str
    runner: tuple[str, ...]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Target:
        """Read the ``KINETIC_INSTALL_*`` variables (see the module's docstring)."""
        return cls(
            ha_version=environ.get("KINETIC_INSTALL_HA_VERSION")
            or importlib.metadata.version("homeassistant"),
            python=environ.get("KINETIC_INSTALL_PYTHON") or base_python(sys.executable),
            runner=_runner(environ.get("KINETIC_INSTALL_RUNNER", "")),
        )

    def command(self, *args: str | Path) -> list[str]:
        """Return ``args`` as a command run where the target lives."""
        return [*self.runner, *(str(arg) for arg in args)]

    def run(self, *args: str | Path, timeout: float = 600) -> str:
        """Run a command there; return its output, or raise with it."""
        WORK.mkdir(exist_ok=True)
        done = subprocess.run(  # noqa: S603 - our own argv
            self.command(*args),
            # Not the repository: `python -c` imports from the working directory, where
            # the development checkout (and its egg-info) would pass for an install.
            cwd=WORK,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=clean_env(),
            check=False,
        )
        if done.returncode != 0:
            raise CleanEnvironmentError(
                f"{shlex.join(self.command(*args))} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def python_version(self) -> str:
        """Return the target interpreter's ``X.Y.Z``."""
        return self.run(self.python, "-c", "import platform; print(platform.python_version())")


def _runner(words: str) -> tuple[str, ...]:
    """Split the runner; a relative path in it is relative to the repository (scripts/x)."""
    runner = shlex.split(words)
    if runner and "/" in runner[0] and not Path(runner[0]).is_absolute():
        runner[0] = str(ROOT / runner[0])
    return tuple(runner)


def base_python(python: str) -> str:
    """Return the interpreter a venv's ``python`` was made from (the venv stays out)."""
    return subprocess.run(  # noqa: S603 - our own argv
        [python, "-c", "import sys; print(sys._base_executable)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without what points into the development venv.

    An activated venv (``VIRTUAL_ENV``) would make Home Assistant's uv install there;
    pytest-cov's variables and PYTHONPATH would import this repository's copy.
    """
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(("COV_CORE", "UV_", "PIP_"))
    }
    bin_dirs = {str(Path(sys.executable).parent), str(ROOT / ".venv" / "bin")}
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if part not in bin_dirs
    )
    env.update(extra or {})
    return env


def write_config(config_dir: Path, host: str, port: int) -> None:
    """Write a fresh configuration directory for Home Assistant on ``host:port``."""
    config_dir.mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION_YAML.format(host=host, port=port), encoding="utf-8"
    )


def template_dir(target: Target, python_version: str) -> Path:
    """Where the environment of ``target`` is cached (its inputs are in the name)."""
    key = hashlib.sha256(
        "\n".join(
            (RECIPE, target.python, python_version, target.ha_version, CONFIGURATION_YAML)
        ).encode()
    ).hexdigest()[:12]
    return WORK / "templates" / f"ha-{target.ha_version}-py{python_version}-{key}"


def installed(target: Target, venv: Path, distribution: str) -> str | None:
    """Return the version of ``distribution`` in ``venv``, or None when it is absent."""
    out = target.run(
        venv / "bin" / "python",
        "-I",  # isolated: neither the working directory nor PYTHON* variables count
        "-c",
        "import importlib.metadata as m, sys\n"
        "try: print(m.version(sys.argv[1]))\n"
        "except m.PackageNotFoundError: print('-')",
        distribution,
    ).strip()
    return None if out == "-" else out


async def _first_start(target: Target, venv: Path, host: str, port: int) -> None:
    """Start Home Assistant once so that it installs what its own integrations need."""
    config = venv.parent / f"{venv.name}.first-start"
    shutil.rmtree(config, ignore_errors=True)
    write_config(config, host, port)
    hass = HassProcess(
        config,
        url=f"http://{host}:{port}",
        python=target.command(venv / "bin" / "python"),
        install_requirements=True,
        env=clean_env(),
        cwd=config,
    )
    try:
        await hass.start(within=900)
        await wait_started(config, within=900)
    finally:
        await hass.stop()
    log = (config / "home-assistant.log").read_text(encoding="utf-8")
    if "Home Assistant initialized" not in log or "recovery mode" in log.lower():
        raise CleanEnvironmentError(f"the first start of Home Assistant failed:\n{log[-4000:]}")
    shutil.rmtree(config)


async def ensure_template(target: Target, host: str, port: int) -> Path:
    """Return the cached clean environment of ``target``, building it when missing."""
    python_version = (await asyncio.to_thread(target.python_version)).strip()
    venv = template_dir(target, python_version)
    done = venv / ".kinetic-install-ready"
    if done.exists():
        return venv
    # An older recipe's environment of the same versions is stale: make room.
    for stale in venv.parent.glob(f"ha-{target.ha_version}-py{python_version}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str | Path, ...]] = [
        (target.python, "-m", "venv", venv),
        # uv, as Home Assistant installs with it; homeassistant itself brings its own pin.
        (venv / "bin" / "python", "-m", "pip", "install", "--quiet", "uv"),
        (
            venv / "bin" / "python",
            *("-m", "uv", "pip", "install", "--quiet"),
            f"homeassistant=={target.ha_version}",
        ),
    ]
    for step in steps:
        await asyncio.to_thread(target.run, *step)
    await _first_start(target, venv, host, port)
    if installed(target, venv, "kinetic-integration") is not None:
        raise CleanEnvironmentError(f"{venv} has kinetic-integration before the test installed it")
    done.write_text(f"homeassistant {target.ha_version} on Python {python_version}\n")
    return venv


def copy_environment(template: Path, dest: Path) -> Path:
    """Copy the clean environment (symlinks kept) so the test may install into it."""
    subprocess.run(  # noqa: S603 - fixed argv; cp keeps hard links, modes and symlinks fast
        ["/bin/cp", "-a", str(template), str(dest)], check=True
    )
    (dest / ".kinetic-install-ready").unlink()
    return dest


async def wait_started(config_dir: Path, within: float = 300) -> None:
    """Wait until Home Assistant's log says it finished starting.

    Newer releases answer HTTP before bootstrap is done; stopping then would cut short
    what the first start installs.
    """
    log = config_dir / "home-assistant.log"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if log.exists() and "Home Assistant initialized" in log.read_text(encoding="utf-8"):
            return
        await asyncio.sleep(0.2)
    raise CleanEnvironmentError(f"Home Assistant did not finish starting within {within:.0f} s")
