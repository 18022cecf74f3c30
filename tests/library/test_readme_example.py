"""The library example in the README runs as written (against a simulator)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from kinetic_integration.simulator import KineticGoSimulator
from tests.log_hygiene import register_secret

README = Path(__file__).resolve().parents[2] / "README.md"


async def test_readme_library_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) == 1
    # The README names the demo's first terminal; run it against one of our own.
    code = blocks[0].replace('"127.0.0.2"', '"127.0.0.91"')
    async with KineticGoSimulator(host="127.0.0.91", port=8080, customer_delay=0.05) as sim:
        register_secret(*sim.secrets())
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 50)
        assert process.returncode == 0, stderr.decode()
        lines = stdout.decode().splitlines()
        assert lines[0].startswith("True ")  # ping, then the screen's (multi-line) text
        assert [line for line in lines if line.startswith("approved 12.34 ")]
        assert [entry.reference for entry in sim.charges()] == ["table-12-order-7"]
