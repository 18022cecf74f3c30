"""The Python API of a simulated terminal that tests, the CLI and the page turn and read.

What a test turns: faults, the customer, reboots, the host link, the network cable,
the paper. What it reads: the ledger, the money requests that arrived, the state.
:class:`.base.BaseSimulator` brings the server these act on.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from aiohttp import web

from ..models.common import TerminalKind
from .device import Device
from .faults import Fault, FaultInjector
from .ledger import Ledger, LedgerEntry
from .printer import Printer
from .transaction import CUSTOMER_ACTIONS

_LOGGER = logging.getLogger(__name__)


class SimulatorKnobs(ABC):
    """The knobs and readings of one simulated terminal (mixed into the simulator)."""

    kind: ClassVar[TerminalKind]
    #: What the virtual terminal page calls this kind of terminal.
    label: ClassVar[str]
    #: The currency it works in, code and symbol (the family's receipts and EMV tags
    #: say GBP).
    currency: ClassVar[tuple[str, str]] = ("GBP", "£")
    #: Whether its API has a print call (the page shows a printer only then).
    prints: ClassVar[bool] = False
    name: str
    serial: str
    printer: Printer
    _host: str
    _port: int
    _ledger: Ledger
    _faults: FaultInjector
    _money_paths: list[str]
    _cable: bool
    _offline_before_cable: dict[str, bool]
    _open_links: set[asyncio.Transport]
    _runner: web.AppRunner | None
    _site: web.TCPSite | None

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The actual port (after :meth:`start` when 0 was asked for)."""
        return self._port

    @property
    @abstractmethod
    def devices(self) -> list[Device]:
        """Every payment device behind this server."""

    @property
    def ledger(self) -> list[LedgerEntry]:
        """Every transaction that reached a final result, oldest first."""
        return self._ledger.entries

    def charges(self) -> list[LedgerEntry]:
        """Only the ledger entries where money moved."""
        return self._ledger.charges()

    def money_requests(self, path: str | None = None) -> int:
        """How many money-moving requests arrived (under ``path``), accepted or not."""
        if path is None:
            return len(self._money_paths)
        prefix = path.lower()
        return sum(1 for seen in self._money_paths if seen.lower().startswith(prefix))

    def money_requests_by_path(self) -> dict[str, int]:
        """Money-moving request counts per exact path."""
        counts: dict[str, int] = {}
        for seen in self._money_paths:
            counts[seen] = counts.get(seen, 0) + 1
        return counts

    def inject(
        self, fault: str, *, times: int = 1, path: str | None = None, seconds: float | None = None
    ) -> None:
        """Arm a fault for the next ``times`` matching requests."""
        self._faults.add(fault, times=times, path=path, seconds=seconds)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults still armed."""
        return self._faults.armed

    def device_for(self, device: str | None) -> Device:
        """Find a device by serial/key or name; None means the busy one, else the first."""
        devices = self.devices
        if device is None:
            return next((dev for dev in devices if dev.busy), devices[0])
        for dev in devices:
            if device in (dev.serial, dev.name):
                return dev
        raise KeyError(f"no device {device!r}")

    async def customer(self, action: str, device: str | None = None, *, wait: float = 5.0) -> None:
        """Act as the customer (present/tap/insert/swipe/pin/cancel) on a device.

        Waits up to ``wait`` s for the device to ask for that action, then raises
        :class:`NoCustomerPromptError`.
        """
        if action not in CUSTOMER_ACTIONS:
            raise ValueError(f"unknown customer action {action!r}")
        deadline = time.monotonic() + wait
        if device is None:
            # The transaction may only just be starting: wait briefly for a busy device.
            while time.monotonic() < deadline:
                if any(dev.busy for dev in self.devices):
                    break
                await asyncio.sleep(0.01)
        remaining = max(0.0, deadline - time.monotonic())
        await self.device_for(device).customer(action, wait=remaining)

    async def reboot(self, downtime: float = 0.0) -> None:
        """Forget in-memory state (running transaction, faults); keep the database.

        With ``downtime`` the server also stops listening for that many seconds
        (connections are refused) and comes back on the same address and port.
        """
        self._faults.clear()
        for device in self.devices:
            await device.reboot()
        if downtime > 0 and self._runner is not None and self._site is not None:
            await self._site.stop()
            server = self._runner.server
            if server is not None:
                # A rebooting device drops its open (keep-alive) connections too.
                await server.shutdown(0.1)
            await asyncio.sleep(downtime)
            site = web.TCPSite(self._runner, self._host, self._port)
            await site.start()
            self._site = site

    def set_offline(self, offline: bool) -> None:
        """Cut (or restore) the connection to the host / payment engine.

        While the network cable is pulled the devices stay offline; the new value is what
        they return to when it is plugged back.
        """
        for device in self.devices:
            if self._cable:
                device.offline = offline
            else:
                self._offline_before_cable[device.serial] = offline

    @property
    def cable_connected(self) -> bool:
        """Whether the network cable is plugged in (it is by default)."""
        return self._cable

    def set_cable(self, connected: bool) -> None:
        """Pull (False) or plug back (True) the terminal's network cable.

        Pulled: every request outside ``/_sim/`` is dropped without a byte of answer (the
        connection is aborted, requests still being answered too), and every device is
        offline towards its host, so a transaction that reaches the host fails as with
        :meth:`set_offline`. Money requests still count in :meth:`money_requests` (the
        client did send them) but never reach the terminal. Plugged back: the API answers
        again and each device's ``offline`` returns to what it was before the pull.
        The control API (and the virtual terminal page) keep answering throughout.
        """
        if connected == self._cable:
            return
        self._cable = connected
        if connected:
            for device in self.devices:
                device.offline = self._offline_before_cable.get(device.serial, False)
            self._offline_before_cable.clear()
            _LOGGER.debug("%s: network cable plugged back", self.name)
            return
        self._offline_before_cable = {device.serial: device.offline for device in self.devices}
        for device in self.devices:
            device.offline = True
        for transport in list(self._open_links):
            transport.abort()
        self._open_links.clear()
        _LOGGER.debug("%s: network cable pulled", self.name)

    def set_paper(self, paper: bool) -> None:
        """Load or run out of paper."""
        self.printer.paper = paper

    @property
    def printed(self) -> list[list[str]]:
        """Each print job as text lines."""
        return [list(job) for job in self.printer.jobs]

    @property
    def printed_instructions(self) -> list[list[Any]]:
        """Each print job's instructions exactly as received (nothing reflowed)."""
        return copy.deepcopy(self.printer.instruction_jobs)

    @property
    def screen(self) -> str:
        """The text on the (first busy) device's screen."""
        return str(self.device_for(None).screen)

    def state(self) -> dict[str, object]:
        """Return a snapshot for ``GET /_sim/state``."""
        device = self.device_for(None)
        return {
            "kind": str(self.kind),
            "name": self.name,
            "serial": self.serial,
            "screen": str(device.screen),
            "busy": any(dev.busy for dev in self.devices),
            "offline": device.offline,
            "printer": {
                "present": self.printer.present,
                "paper": self.printer.paper,
                "jobs": len(self.printer.jobs),
            },
            "queue": sum(len(dev.offline_queue) for dev in self.devices),
            "faults": [fault.as_json() for fault in self._faults.armed],
            "cable": {"connected": self._cable},
        }
