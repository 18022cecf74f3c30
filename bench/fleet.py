"""Simulated terminals in a child process, so their CPU is never counted as ours.

The parent starts ``python -m bench.fleet``, writes one JSON line with the terminals to
run, reads back one line describing them (address and credentials), then sends commands
as JSON lines and reads one answer per command. Times in answers are ``time.monotonic()``,
which on Linux is one clock for every process, so the parent can compare them with its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from kinetic_integration.clients.kinetic_go import KineticGoClient
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.simulator.base import BaseSimulator

#: The simulated kinds the fleet can run (the Payment Engine is one cloud account).
GO = "kinetic-go"
DS = "device-service"
PE = "payment-engine"


@dataclass(frozen=True, slots=True)
class SimSpec:
    """One terminal to simulate: its kind and where it listens."""

    kind: str
    host: str
    port: int
    #: Overrides the fleet's customer delay for this terminal.
    customer_delay: float | None = None
    #: A Payment Engine's paired devices, all on its one API key.
    devices: int = 1


class FleetProcess:
    """The parent's handle on a child process running simulated terminals."""

    def __init__(
        self, process: asyncio.subprocess.Process, terminals: list[dict[str, Any]]
    ) -> None:
        """Wrap a started child (use :meth:`start`)."""
        self._process = process
        self.terminals = terminals
        self._lock = asyncio.Lock()
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(
        cls,
        specs: Sequence[SimSpec],
        *,
        customer_delay: float = 0.0,
        processing_delay: float = 0.1,
        stable_wait: float = 0.3,
    ) -> FleetProcess:
        """Start the child and its simulators; return when all listen."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fleet",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        config = {
            "specs": [asdict(spec) for spec in specs],
            "customer_delay": customer_delay,
            "processing_delay": processing_delay,
            "stable_wait": stable_wait,
        }
        process.stdin.write(json.dumps(config).encode() + b"\n")
        await process.stdin.drain()
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        if not line:
            raise RuntimeError("the simulator fleet did not start")
        return cls(process, json.loads(line)["ready"])

    async def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        while line := await stdout.readline():
            answer = json.loads(line)
            future = self._waiting.pop(answer.pop("id"), None)
            if future is not None and not future.done():
                future.set_result(answer)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("the simulator fleet exited"))

    async def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Send one command and wait for its answer."""
        stdin = self._process.stdin
        assert stdin is not None
        self._next += 1
        ident = self._next
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        async with self._lock:
            stdin.write(json.dumps({"id": ident, "op": op, **args}).encode() + b"\n")
            await stdin.drain()
        answer = await future
        if "error" in answer:
            raise RuntimeError(f"fleet {op} failed: {answer['error']}")
        return answer

    async def stop(self) -> None:
        """Stop the simulators and the child."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


# --- the child ------------------------------------------------------------------------


class _Child:
    """Run the simulators and answer the parent's commands."""

    def __init__(self, sims: list[BaseSimulator]) -> None:
        self.sims = sims
        self.clients: dict[int, KineticGoClient] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def _client(self, index: int) -> KineticGoClient:
        if index not in self.clients:
            sim = self.sims[index]
            described = sim.describe()
            self.clients[index] = KineticGoClient(
                sim.host,
                sim.port,
                username=str(described["username"]),
                password=str(described["password"]),
            )
        return self.clients[index]

    async def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        op = command["op"]
        if op == "start_sale":
            # The change happens inside the simulator while it handles this POST; taking
            # the time before sending can only make the measured latency longer.
            started = time.monotonic()
            await self._client(command["i"]).start_sale(command["ref"], Decimal(command["amount"]))
            return {"t": started}
        if op == "present":
            await self.sims[command["i"]].customer("present")
            return {"t": time.monotonic()}
        if op == "final":
            sim = self.sims[command["i"]]
            while True:
                for entry in sim.ledger:
                    if entry.reference == command["ref"]:
                        # The ledger stamps wall-clock time; move it onto the monotonic clock.
                        return {
                            "t": time.monotonic() - (time.time() - entry.at),
                            "result": entry.result,
                        }
                await asyncio.sleep(0.005)
        if op == "cpu":
            return {"cpu": time.process_time()}
        if op == "rate_limit":
            # What a Payment Engine's per-key limit saw: refused, and most in one window.
            limiter = self.sims[command["i"]].rate_limiter
            return {
                "rejected": sum(limiter.rejected.values()),
                "most_in_window": max(limiter.most_in_window.values(), default=0),
                "limit": limiter.limit,
                "window_s": limiter.window,
            }
        raise ValueError(f"unknown op {op!r}")

    def reply(self, ident: int, answer: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps({"id": ident, **answer}) + "\n")
        sys.stdout.flush()

    async def run_one(self, command: dict[str, Any]) -> None:
        try:
            answer = await self.handle(command)
        except Exception as err:  # the parent decides what a failure means
            answer = {"error": f"{type(err).__name__}: {err}"}
        self.reply(command["id"], answer)

    def spawn(self, command: dict[str, Any]) -> None:
        task = asyncio.create_task(self.run_one(command))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _build(spec: dict[str, Any], config: dict[str, Any], index: int) -> BaseSimulator:
    common: dict[str, Any] = {
        "host": spec["host"],
        "port": spec["port"],
        "customer_delay": (
            config["customer_delay"] if spec["customer_delay"] is None else spec["customer_delay"]
        ),
        "processing_delay": config["processing_delay"],
    }
    if spec["kind"] == GO:
        return KineticGoSimulator(serial=f"KG2BENCH{index:04d}", **common)
    if spec["kind"] == PE:
        # With the engine's own limit per key (45 a minute): the client keeps within it.
        devices = tuple(
            (f"sa_BENCH{index:019d}D{device:03d}", f"Bench {index}.{device}")
            for device in range(spec["devices"])
        )
        return PaymentEngineSimulator(devices=devices, **common)
    return DeviceServiceSimulator(
        serial=f"MP200BENCH{index:04d}", stable_wait=config["stable_wait"], **common
    )


async def _child_main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    config = json.loads(await reader.readline())
    sims = [_build(spec, config, index) for index, spec in enumerate(config["specs"])]
    for sim in sims:
        await sim.start()
    ready = [
        {**sim.describe(), "kind": str(sim.kind), "host": sim.host, "port": sim.port}
        for sim in sims
    ]
    sys.stdout.write(json.dumps({"ready": ready}, default=str) + "\n")
    sys.stdout.flush()
    child = _Child(sims)
    try:
        while line := await reader.readline():
            child.spawn(json.loads(line))
    finally:
        for task in list(child.tasks):
            task.cancel()
        for client in child.clients.values():
            await client.close()
        for sim in sims:
            await sim.stop()


if __name__ == "__main__":
    asyncio.run(_child_main())
