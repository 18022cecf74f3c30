"""Kinetic Go 2 behind the Terminal facade.

The client chooses the transaction id (``id`` in the start request), so every
transaction can be recovered with ``GET transactions/<id>`` whatever happens to the
answer of the POST. A started transaction is polled until it is no longer active: every
``default_poll_interval`` s while it waits for the card, every ``near_poll_interval`` s
once the terminal shows it processing (the result is near), and never more than
``max_requests_per_second`` requests to the device in any second, status polls included
(those yield to the transaction's own checks).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp

from ..clients.kinetic_go import DEFAULT_PORT, KineticGoClient
from ..clients.rate_budget import Priority, RequestBudget
from ..errors import KineticConnectionError, KineticError
from ..models.common import (
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionResult,
    TransactionType,
)
from ..models.kinetic_go import GoDevice
from ..models.kinetic_go_settings import GoSettings
from ..receipts import receipt_lines
from .base import Terminal
from .config import Capability, TerminalConfig
from .history import TransactionFilter
from .operation import Operation
from .pacing import NearResults
from .printing import PrintLine, text_instructions

__all__ = ["KineticGoTerminal", "text_instructions"]

_T = TypeVar("_T")


class KineticGoTerminal(Terminal):
    """A Kinetic Go 2 terminal (on-device REST API v2)."""

    kind = TerminalKind.KINETIC_GO
    capabilities = frozenset(
        {
            Capability.SALE,
            Capability.REFUND,
            Capability.REVERSAL,
            Capability.RECONCILIATION,
            Capability.TIP,
            Capability.CASHBACK,
            Capability.RECEIPTS,
            Capability.PRINT,
            Capability.SCREEN,
            Capability.TRANSACTION_LOOKUP,
            Capability.LATEST_TRANSACTION,
            Capability.SERIAL,
            Capability.SETTINGS,
            Capability.TRANSACTION_HISTORY,
        }
    )
    default_poll_interval = 0.25
    near_statuses = frozenset({"processing"})
    near_poll_interval = 0.1
    #: A cap on what we ask of the small device: checks of a transaction whose result is
    #: near take at most 10 a second, a status poll is three requests.
    max_requests_per_second = 20
    echoes_amount = True

    def __init__(
        self, config: TerminalConfig, session: aiohttp.ClientSession | None = None
    ) -> None:
        """Build the client from the configuration."""
        super().__init__(config)
        self.client = KineticGoClient(
            config.host,
            config.port or DEFAULT_PORT,
            username=config.username or "",
            password=config.password or "",
            request_timeout=config.request_timeout,
            session=session,
        )
        self._device: GoDevice | None = None
        # Status polls may fill 14 of the 20 (a local device has no daily quota to save).
        cap = self.max_requests_per_second
        self._pace = RequestBudget(cap, 1.0, urgent_reserve=cap // 10, sale_reserve=cap * 3 // 10)
        self._near = NearResults(self.result_near)

    @property
    def address_identity(self) -> str:
        """``kinetic-go:<host>:<port>``."""
        return f"{self.kind.value}:{self.client.host}:{self.client.port}"

    async def _resolve_identity(self) -> str:
        # The serial survives a new IP address or another spelling of the host.
        device = await self.client.device()
        return f"{self.kind.value}:serial:{device.serial_number}"

    def new_reference(self) -> str:
        """Return a uuid4: the Go transaction id we send."""
        return str(uuid.uuid4())

    async def _start(self, operation: Operation, budget: float, deadline: float) -> Transaction:
        if operation.type is TransactionType.SALE:
            assert operation.amount is not None
            started = await self.client.start_sale(
                operation.reference,
                operation.amount,
                tip=operation.tip,
                cashback=operation.cashback,
            )
        elif operation.type is TransactionType.REFUND:
            assert operation.amount is not None
            started = await self.client.start_refund(operation.reference, operation.amount)
        elif operation.type is TransactionType.REVERSAL:
            assert operation.original_id is not None
            started = await self.client.start_reversal(operation.reference, operation.original_id)
        else:
            started = await self.client.start_reconciliation(operation.reference)
        return started.to_transaction()

    async def _paced(self, priority: Priority, request: Callable[[], Awaitable[_T]]) -> _T:
        """Send one request within the device's cap (raises KineticRateLimitError, unsent)."""
        async with self._pace.slot(priority, max_wait=self.config.request_timeout):
            return await request()

    async def _fetch(self, operation: Operation, terminal_id: str, remaining: float) -> Transaction:
        priority = self._near.priority(terminal_id)
        found = await self._paced(priority, lambda: self.client.transaction(terminal_id))
        return self._near.seen(terminal_id, found.to_transaction())

    async def _never_started(self, terminal_id: str) -> str | None:
        """Return why the terminal never ran ``terminal_id`` (not found, none running).

        The Kinetic Go 2 document allows this conclusion: the ``id`` is the "Unique
        identifier for this transaction ... generated by the client application";
        ``GET transactions/[id]`` "Returns a document describing the transaction with
        the specified ID" from "the device's transaction database"; and
        ``GET transactions/current`` describes "the currently in progress transaction
        ... If no transaction is in progress, an error result and error status code are
        returned". Several "not found" answers over a while (checked by the caller)
        with nothing in progress mean the request never started a transaction.
        """
        try:
            current = await self.client.current_transaction()
        except KineticError:
            return None
        if current is not None:
            return None
        return (
            f"The terminal has no transaction {terminal_id} and none in progress: it never "
            "started it, so nothing was charged"
        )

    async def status(self) -> TerminalStatus:
        """Ping, screen, current transaction and device serial."""
        background = Priority.BACKGROUND
        try:
            online = await self._paced(background, self.client.ping)
            screen = await self._paced(background, self.client.current_screen)
            current = await self._paced(background, self.client.current_transaction)
            device = self._device
            if device is None:
                device = await self._paced(background, self.client.device)
        except KineticConnectionError:
            # Whatever answers at this address when it is back may be another device.
            self._device = None
            raise
        # Serial, maker and model do not change while the terminal stays reachable.
        self._device = device
        busy = current is not None and current.outcome is TransactionResult.PENDING
        text = (screen.text or "").strip()
        return TerminalStatus(
            kind=self.kind,
            online=online,
            busy=busy,
            screen=" / ".join(line for line in text.splitlines() if line.strip()) or screen.path,
            serial=device.serial_number,
            manufacturer=device.manufacturer,
            model=device.family,
        )

    async def latest_transaction(self) -> Transaction | None:
        """Return the most recent transaction in the terminal's database."""
        self.require(Capability.LATEST_TRANSACTION, "report its latest transaction")
        latest = await self.client.latest_transaction()
        return latest.to_transaction() if latest is not None else None

    async def transactions(self, where: TransactionFilter | None = None) -> list[Transaction]:
        """Return the terminal's transaction database (sales started on it included)."""
        self.require(Capability.TRANSACTION_HISTORY, "list its transactions")
        rows = [row.to_transaction() for row in await self.client.transactions()]
        return (where or TransactionFilter()).apply(rows)

    async def settings(self) -> GoSettings:
        """Return ``settings.json`` as a typed model."""
        self.require(Capability.SETTINGS, "report its settings")
        return GoSettings.from_dict(await self.client.settings())

    async def receipt(self, reference: str, copy: ReceiptCopy = ReceiptCopy.MERCHANT) -> list[str]:
        """Return the receipt of a transaction as text lines."""
        return receipt_lines(await self.receipt_instructions(reference, copy))

    async def receipt_instructions(
        self, reference: str, copy: ReceiptCopy = ReceiptCopy.MERCHANT
    ) -> list[dict[str, Any]]:
        """Return the terminal's receipt document (printer instructions) as served."""
        self.require(Capability.RECEIPTS, "produce receipts")
        reference = self.validate_reference(reference)
        copy = ReceiptCopy(copy)
        lookup_id = self._terminal_ids.get(reference, reference)
        return await self.client.receipt(lookup_id, copy)

    async def print_instructions(self, instructions: Sequence[Mapping[str, Any]]) -> None:
        """Send printer instructions to the printer exactly as given."""
        self.require(Capability.PRINT, "print")
        await self.client.print_instructions(instructions)

    async def print_text(self, lines: Sequence[str | PrintLine]) -> None:
        """Print lines of text, one text instruction per line, with their attributes."""
        self.require(Capability.PRINT, "print")
        await self.client.print_instructions(text_instructions(lines))

    async def close(self) -> None:
        """Close the client."""
        await self.client.close()
