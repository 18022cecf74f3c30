"""What every simulated terminal shares: the aiohttp server and its middlewares.

The Python API tests turn and read (faults, customer, cable, ledger) is in :mod:`.knobs`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, ClassVar, NoReturn, Self

from aiohttp import web

from .control import add_control_routes
from .control_access import control_access_middleware, where_control_answers
from .device import Device
from .faults import Fault, FaultInjector
from .knobs import SimulatorKnobs
from .ledger import Ledger
from .printer import Printer
from .transaction import SimTransaction

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Set by the fault middleware for the handler's task; handlers set the event once they
#: accepted the work. A context variable rather than a request key: the handler runs in
#: its own task, which inherits the context, and aiohttp wants typed keys on requests.
_ACCEPTED: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar(
    "sim_accepted", default=None
)


def mark_accepted() -> None:
    """Tell a pending ``drop_after_accept`` fault that the request's work has started."""
    event = _ACCEPTED.get()
    if event is not None:
        event.set()


class BaseSimulator(SimulatorKnobs):
    """One simulated terminal: a real aiohttp server on a loopback address.

    The knobs tests turn (faults, customer, cable, reboot) are in :class:`SimulatorKnobs`.
    """

    default_port: ClassVar[int]

    def __init__(
        self,
        *,
        host: str,
        port: int,
        name: str,
        serial: str,
        customer_delay: float,
        processing_delay: float,
        card_timeout: float | None,
    ) -> None:
        """Keep the settings; nothing listens until :meth:`start`."""
        self._host = host
        self._port = port
        self.name = name
        self.serial = serial
        self.customer_delay = customer_delay
        self.processing_delay = processing_delay
        self.card_timeout = card_timeout
        self.printer = Printer()
        self._ledger = Ledger()
        self._faults = FaultInjector()
        self._money_paths: list[str] = []
        # The network cable: pulled, the API is a dead link (see set_cable).
        self._cable = True
        self._offline_before_cable: dict[str, bool] = {}
        self._open_links: set[asyncio.Transport] = set()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        #: Called the moment a device reaches a final result, before anyone is told:
        #: tests use it to stop a client exactly then.
        self.on_final: Callable[[str], None] | None = None
        #: Whether the control API (``/_sim/``) answers clients off this machine; set
        #: before :meth:`start` (it decides the outcomes and needs no credentials).
        self.allow_remote_control = False

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Start listening; ``port`` 0 picks a free port (see :attr:`port`)."""
        if self._runner is not None:
            return
        app = web.Application(
            middlewares=[
                control_access_middleware(lambda: self.allow_remote_control, self._host),
                self._count_middleware,
                self._cable_middleware,
                *self._extra_middlewares(),
                self._fault_middleware,
                self._auth_middleware,
            ]
        )
        add_control_routes(app, self)
        self._add_routes(app)
        # handler_cancellation: a client that goes away cancels its handler, as HTTP.sys does.
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self._site = site
        address = runner.addresses[0]
        self._port = int(address[1])
        _LOGGER.debug("%s simulator %s listening on %s", self.kind, self.name, self.url)
        _LOGGER.info("%s: %s", self.name, where_control_answers(self.allow_remote_control))

    async def stop(self) -> None:
        """Stop listening and every background task."""
        for device in self.devices:
            await device.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self._host}:{self._port}"

    # --- what each kind provides ---------------------------------------------

    @abstractmethod
    def _add_routes(self, app: web.Application) -> None:
        """Register the kind's API routes."""

    @abstractmethod
    def _is_money_request(self, request: web.Request) -> bool:
        """Whether a request asks for money to move (counted whether accepted or not)."""

    @abstractmethod
    def _authorized(self, request: web.Request) -> bool:
        """Whether the request carries valid credentials (or needs none)."""

    @abstractmethod
    def _unauthorized(self) -> web.Response:
        """Build the kind's 401 answer."""

    @abstractmethod
    def _busy_response(self) -> web.Response:
        """Build the kind's "device busy" answer (for the ``busy`` fault)."""

    @abstractmethod
    def _error_response(self) -> web.Response:
        """Build the kind's generic HTTP 500 answer (for the ``error_500`` fault)."""

    @abstractmethod
    def _malformed_body(self) -> str:
        """Return a truncated body in the kind's style (for the ``malformed_json`` fault)."""

    @abstractmethod
    def describe(self) -> dict[str, object]:
        """Kind, address, name, serial and the credentials needed to connect."""

    @abstractmethod
    def secrets(self) -> list[str]:
        """Every value that must never appear in a client's logs."""

    def _extra_middlewares(self) -> list[Any]:
        """Middlewares that run after counting and before faults (e.g. rate limits)."""
        return []

    def _on_final(self, device: Device, txn: SimTransaction) -> None:
        """Record a finished transaction in the ledger."""
        self._ledger.record(
            reference=txn.id,
            type_=txn.type,
            amount=txn.total,
            result=txn.result or "error",
            device=device.serial,
        )
        if self.on_final is not None:
            self.on_final(txn.id)

    def _new_device(self, *, name: str, serial: str) -> Device:
        return Device(
            name=name,
            serial=serial,
            customer_delay=self.customer_delay,
            processing_delay=self.processing_delay,
            on_final=self._on_final,
        )

    # --- middlewares ----------------------------------------------------------

    @web.middleware
    async def _count_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._is_money_request(request):
            self._money_paths.append(request.path)
        response = await handler(request)
        self._decorate(response)
        return response

    @web.middleware
    async def _cable_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        if not self._cable:
            _LOGGER.debug(
                "%s: cable pulled, dropping %s %s", self.name, request.method, request.path
            )
            _cut(request)
        transport = request.transport
        if not isinstance(transport, asyncio.Transport):  # pragma: no cover - client gone
            return await handler(request)
        # Remembered so that pulling the cable also cuts requests still being answered.
        self._open_links.add(transport)
        try:
            return await handler(request)
        finally:
            self._open_links.discard(transport)

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/_sim/") and not self._authorized(request):
            return self._unauthorized()
        return await handler(request)

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        fault = self._faults.take(request.path)
        if fault is None:
            return await handler(request)
        _LOGGER.debug("%s: fault %s on %s %s", self.name, fault.name, request.method, request.path)
        return await self._apply_fault(fault, request, handler)

    async def _apply_fault(
        self, fault: Fault, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        if fault.name == "latency":
            await asyncio.sleep(fault.seconds or 0.0)
            return await handler(request)
        if fault.name == "error_500":
            return self._error_response()
        if fault.name == "busy":
            return self._busy_response()
        if fault.name == "hang":
            # Never answer; the handler is cancelled when the client gives up or we stop.
            await asyncio.Event().wait()
        if fault.name == "malformed_json":
            response = await handler(request)
            return web.Response(
                status=getattr(response, "status", 200),
                text=self._malformed_body(),
                content_type="application/json",
            )
        return await self._drop_after_accept(request, handler)

    async def _drop_after_accept(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Do the work, then cut the connection without a byte of answer."""
        accepted = asyncio.Event()
        token = _ACCEPTED.set(accepted)
        try:
            work = asyncio.ensure_future(handler(request))
        finally:
            _ACCEPTED.reset(token)
        waiter = asyncio.ensure_future(accepted.wait())
        await asyncio.wait({work, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not work.done():
            # A blocking handler (DeviceService POST) stops as if its client went away;
            # the transaction itself runs on in the device.
            work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        _cut(request)

    def _decorate(self, response: web.StreamResponse) -> None:
        """Set headers on every response (kinds override this)."""
        return


def _cut(request: web.Request) -> NoReturn:
    """Drop the connection without an answer, like a dead link."""
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError
