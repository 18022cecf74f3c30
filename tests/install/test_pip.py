"""``pip install`` of the built wheel into a fresh Python 3.11 venv: the library and CLI work.

Python 3.11 is the oldest the library supports; the interpreter is the one .venv311 was
made from, or ``KINETIC_INSTALL_PIP_PYTHON``. The wheel's dependencies come from PyPI, as
they do for a user.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from pathlib import Path

import aiohttp
import pytest

from .conftest import ROOT, Dist, timed
from .environment import base_python, clean_env

SIMULATOR_HOST = "127.0.0.204"

pytestmark = pytest.mark.timeout(600)


def _python311() -> str:
    given = os.environ.get("KINETIC_INSTALL_PIP_PYTHON")
    if given:
        return given
    venv311 = ROOT / ".venv311" / "bin" / "python"
    assert venv311.exists(), "no .venv311: run scripts/setup (it makes the Python 3.11 venv)"
    return base_python(str(venv311))


def _run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(  # noqa: S603 - our own argv
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(),
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


async def test_pip_install_gives_the_library_and_a_working_kinetic_command(
    dist: Dist, tmp_path: Path
) -> None:
    python = _python311()
    venv = tmp_path / "venv"
    # Outside the repository: nothing of the checkout is importable from the working folder.
    work = tmp_path / "work"
    work.mkdir()
    with timed("pip install the wheel into a fresh Python 3.11 venv"):
        _run(python, "-m", "venv", venv, cwd=work)
        version = _run(venv / "bin" / "python", "--version", cwd=work)
        assert version.startswith("Python 3.11."), version
        _run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", dist.wheel, cwd=work)

    kinetic = venv / "bin" / "kinetic"
    assert _run(kinetic, "--version", cwd=work).strip() == f"kinetic {dist.version}"
    # The installed package is the wheel's, with the files a wheel can forget.
    where = _run(
        venv / "bin" / "python",
        "-I",
        "-c",
        "import kinetic_integration, os; print(os.path.dirname(kinetic_integration.__file__))",
        cwd=work,
    ).strip()
    package = Path(where)
    assert package.is_relative_to(venv)
    assert (package / "py.typed").is_file()
    assert (package / "simulator" / "static" / "index.html").is_file()
    assert not (package.parent / "tests").exists()
    assert not (package.parent / "demo").exists()

    simulate = await asyncio.create_subprocess_exec(
        str(kinetic),
        *("simulate", "--kinetic-go", "1", "--device-service", "0", "--payment-engine", "0"),
        *("--bind", SIMULATOR_HOST, "--base-port", "0", "--no-zeroconf", "--no-announce"),
        *("--customer-delay", "0.2", "--json"),
        cwd=work,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert simulate.stdout is not None
        first = await asyncio.wait_for(simulate.stdout.readline(), 30)
        assert first, "kinetic simulate printed nothing"
        [terminal] = json.loads(first)["terminals"]
        assert terminal["host"] == SIMULATOR_HOST
        login = (
            *("--host", terminal["host"], "--port", str(terminal["port"])),
            *("--username", terminal["username"], "--password", terminal["password"]),
        )
        status = json.loads(
            await asyncio.to_thread(_run, kinetic, "status", "--json", *login, cwd=work)
        )
        assert status["online"] is True
        assert status["serial"] == terminal["serial"]
        sale = json.loads(
            await asyncio.to_thread(
                _run,
                *(kinetic, "sale", "3.50", "--json", "--journal", tmp_path / "journal.sqlite3"),
                *login,
                cwd=work,
            )
        )
        assert sale["result"] == "approved"
        assert sale["total"] == "3.50"
        # The simulator's page comes from the installed package's static files.
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{terminal['url']}/_sim/ui") as page,
        ):
            assert page.status == 200
            assert "<html" in (await page.text()).lower()
    finally:
        if simulate.returncode is None:
            simulate.send_signal(signal.SIGINT)
        await asyncio.wait_for(simulate.wait(), 30)
    # Stopped by Ctrl-C, as a person stops it: the CLI's exit code for that.
    assert simulate.returncode == 130
