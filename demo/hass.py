"""Home Assistant as a child process: start it, wait until it answers, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import aiohttp


class HassStartError(RuntimeError):
    """Home Assistant did not come up (its log says why)."""


ROOT = Path(__file__).resolve().parents[1]
#: The newest Home Assistant's environment, made by scripts/setup where Python 3.14 is.
NEWEST = ROOT / ".venv314-hass"


def hass_python() -> list[str]:
    """Return the command of the Python that runs Home Assistant.

    ``KINETIC_HASS_PYTHON`` names it, as a command line (``.venv/bin/python`` for the
    declared minimum). Otherwise the newest Home Assistant where ``scripts/setup`` made its
    environment (run through ``scripts/py314``, which enters the Python 3.14 root when
    there is one), else this interpreter, whose environment has the declared minimum.
    """
    configured = os.environ.get("KINETIC_HASS_PYTHON", "").strip()
    if configured:
        return shlex.split(configured)
    if (NEWEST / ".kinetic-setup").exists():
        return [str(ROOT / "scripts" / "py314"), str(NEWEST / "bin" / "python")]
    return [sys.executable]


def hass_version() -> str:
    """Return the version of the Home Assistant that :func:`hass_python` runs."""
    done = subprocess.run(  # noqa: S603 - our own environment's Python
        [*hass_python(), "-c", "from homeassistant.const import __version__; print(__version__)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


class HassProcess:
    """``python -m homeassistant -c CONFIG``, by default with the Python of :func:`hass_python`.

    ``python`` names another environment's interpreter, as a command (a prefix such as a
    chroot wrapper may come first); ``install_requirements`` lets Home Assistant install
    integrations' requirements as a real installation does (the demo never does); ``env``
    replaces this process's environment; ``cwd`` is where it starts (``python -m`` puts
    that folder first on the import path).
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        url: str,
        log: IO[bytes] | None = None,
        python: Sequence[str] | None = None,
        install_requirements: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        """Plan the process; nothing runs until :meth:`start`."""
        self.config_dir = config_dir
        self.url = url
        self._log = log
        self._python = tuple(python) if python else tuple(hass_python())
        self._install_requirements = install_requirements
        self._env = dict(os.environ if env is None else env)
        self._cwd = cwd
        self._process: asyncio.subprocess.Process | None = None
        # SIGTERM already sent: Home Assistant then drops its handler, so a second one
        # would kill it on the spot instead of letting it stop in order.
        self._terminated = False

    async def start(self, within: float = 180.0) -> None:
        """Start Home Assistant and wait until its API answers (the first start is slowest)."""
        # The demo's environment has everything; never install at run time there.
        skip_pip = () if self._install_requirements else ("--skip-pip",)
        self._terminated = False
        self._process = await asyncio.create_subprocess_exec(
            *self._python,
            "-m",
            "homeassistant",
            "--config",
            str(self.config_dir),
            *skip_pip,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log if self._log is not None else asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.STDOUT,
            env={**self._env, "PYTHONUNBUFFERED": "1"},
            cwd=self._cwd,
            # Its own process group: Ctrl-C reaches us once, and we stop it in order.
            start_new_session=True,
        )
        await self._wait_ready(within)

    async def _wait_ready(self, within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                if self._process is None or self._process.returncode is not None:
                    raise HassStartError(
                        f"Home Assistant exited early; see {self.config_dir / 'home-assistant.log'}"
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(
                        f"{self.url}/manifest.json", timeout=aiohttp.ClientTimeout(total=5)
                    ) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.5)
        raise HassStartError(f"Home Assistant did not answer on {self.url} within {within:.0f} s")

    def terminate(self) -> None:
        """Send SIGTERM now, without waiting (safe in a callback); :meth:`stop` waits."""
        process = self._process
        if process is None or process.returncode is not None or self._terminated:
            return
        self._terminated = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)

    async def stop(self, within: float = 30.0) -> int | None:
        """Ask it to stop (SIGTERM, as a service manager would), then kill it if it hangs.

        Returns its exit code (None if it was not running); a kill shows as -9.
        """
        process = self._process
        if process is None:
            return None
        self.terminate()
        self._process = None
        try:
            await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        return process.returncode

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.returncode is None
