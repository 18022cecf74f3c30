"""DeviceService (Kinetic / Castles MP200) behind the Terminal facade.

The POST blocks until the customer is done, so it gets the whole transaction timeout
(or ``blocking_request_timeout``); ``recovery_grace`` more is left for recovery. If its
answer is lost, ``GET Transaction?uuid=``
recovers by our uuid4: it answers DeviceBusy while the terminal is still inside the
POST (wait it out) and ``Complete: false`` while the transaction runs (keep checking).
"Transaction UUID already exists" means the terminal has it: recover, never re-post.

The service answers ``Result: unknown`` as a complete transaction: that is its last
word, reported at once as UNKNOWN (never polled to the deadline, never DECLINED).
Its documents carry no times; the facade stamps when it sent the request and when the
complete answer came. Offline transactions are this terminal's own choice
(``SupportOfflineTransaction`` in its Status), not its kind's.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from datetime import UTC, datetime

import aiohttp

from ..clients.device_service import (
    DEFAULT_PORT,
    DeviceServiceClient,
    check_reference,
    new_reference,
)
from ..errors import KineticDeviceBusyError, KineticError, KineticRequestError
from ..models.common import TerminalKind, TerminalStatus, Transaction, TransactionResult
from .addresses import resolve_host
from .base import Terminal
from .config import Capability, TerminalConfig
from .operation import Operation

#: Extra time for one lookup beyond what is left: the service may hold it until the
#: status settles, and a lookup cut short teaches us nothing.
_LOOKUP_FLOOR = 1.0
_MIN_GRACE = 1.0
_GRACE_SHARE = 0.1
#: How many transactions' times are kept for later lookups in this process.
_TIMES_KEPT = 256


class DeviceServiceTerminal(Terminal):
    """A Kinetic / Castles MP200 reader behind the DeviceService Windows service."""

    kind = TerminalKind.DEVICE_SERVICE
    capabilities = frozenset(
        {
            Capability.SALE,
            Capability.TRANSACTION_LOOKUP,
            Capability.OFFLINE_TRANSACTIONS,
            Capability.SCREEN,
        }
    )
    default_poll_interval = 1.0

    def __init__(
        self, config: TerminalConfig, session: aiohttp.ClientSession | None = None
    ) -> None:
        """Build the client from the configuration."""
        super().__init__(config)
        self.client = DeviceServiceClient(
            config.host,
            config.port or DEFAULT_PORT,
            username=config.username or "",
            password=config.password or "",
            request_timeout=config.request_timeout,
            transaction_timeout=config.transaction_timeout,
            session=session,
        )
        #: The terminal's ``SupportOfflineTransaction`` (None until Status was read).
        self._supports_offline: bool | None = None
        #: When we sent each request, and when its complete answer came (None: not yet).
        self._times: OrderedDict[str, tuple[datetime, datetime | None]] = OrderedDict()

    def supports(self, capability: Capability) -> bool:
        """As the kind, but offline transactions only if this terminal's Status says so."""
        if capability is Capability.OFFLINE_TRANSACTIONS and self._supports_offline is False:
            return False
        return super().supports(capability)

    async def _learn_offline_support(self) -> None:
        """Read Status once if it was never read: it says whether offline is supported."""
        if self._supports_offline is None:
            self._supports_offline = (await self.client.status()).supports_offline

    async def _ask_before_sending(self, operation: Operation) -> None:
        # An offline sale only where this terminal's Status says it takes one.
        if operation.offline:
            await self._learn_offline_support()
            self.require(Capability.OFFLINE_TRANSACTIONS, "take an offline sale")

    @property
    def address_identity(self) -> str:
        """``device-service:<host>:<port>``."""
        return f"{self.kind.value}:{self.client.host}:{self.client.port}"

    async def _resolve_identity(self) -> str:
        # No serial to ask for: the address, with a host name resolved so that two
        # spellings of one machine match. A machine that changes its address does not.
        address = await resolve_host(self.client.host, self.client.port)
        return f"{self.kind.value}:{address}:{self.client.port}"

    def new_reference(self) -> str:
        """Return a uuid4 (the service silently replaces anything else)."""
        return new_reference()

    def validate_reference(self, reference: str) -> str:
        """Return the reference as a canonical uuid4, or raise (nothing else is safe)."""
        return check_reference(reference)

    def _wait_budget(self, timeout: float) -> float:
        # The blocking POST gets the customer's time; the grace after it is for recovery
        # by uuid when the answer is lost at the very end (a tenth of the customer's
        # time, at least a second, at most ``recovery_grace``).
        grace = min(self.config.recovery_grace, max(_MIN_GRACE, timeout * _GRACE_SHARE))
        return timeout + grace

    async def _start(self, operation: Operation, budget: float, deadline: float) -> Transaction:
        assert operation.amount is not None
        remaining = deadline - asyncio.get_running_loop().time()
        blocking = min(self.config.blocking_request_timeout or budget, budget)
        self._remember_times(operation.reference, datetime.now(UTC), None)
        started = await self.client.start_transaction(
            operation.reference,
            operation.amount,
            offline=operation.offline,
            timeout=max(0.1, min(blocking, remaining)),
        )
        return self._timed(started.to_transaction())

    async def _fetch(self, operation: Operation, terminal_id: str, remaining: float) -> Transaction:
        txn = await self.client.transaction(terminal_id, timeout=max(remaining, _LOOKUP_FLOOR))
        return self._timed(txn.to_transaction())

    def _settled(self, txn: Transaction) -> bool:
        # The model reads a running transaction (Complete false) as PENDING; anything
        # else is complete, the terminal's last word, an UNKNOWN included.
        return txn.result is not TransactionResult.PENDING

    def _remember_times(self, reference: str, sent: datetime, answered: datetime | None) -> None:
        self._times[reference] = (sent, answered)
        self._times.move_to_end(reference)
        while len(self._times) > _TIMES_KEPT:
            self._times.popitem(last=False)

    def _timed(self, txn: Transaction) -> Transaction:
        """Add when we sent the request and when the terminal's complete answer came."""
        times = self._times.get(txn.reference)
        if times is None:
            return txn  # not sent from this process: the document has no times
        sent, answered = times
        if answered is None and txn.result is not TransactionResult.PENDING:
            answered = datetime.now(UTC)
            self._remember_times(txn.reference, sent, answered)
        return dataclasses.replace(txn, started_at=sent, ended_at=answered)

    async def _never_started(self, terminal_id: str) -> str | None:
        """Return why the service never ran ``terminal_id`` (not found, none running).

        The DeviceService document allows this conclusion and nothing weaker:
        ``GET Transaction`` "can be used if a result of a Transaction Request is lost
        ... to verify the status"; for an id it does not have it answers 404 with
        "<uuid> was not found"; it "cannot be called while a Transaction Request is
        ongoing" (it answers DeviceBusy then, never 404); and ``Status`` has
        ``TransactionInProgress``, "Boolean to advise if a transaction is currently in
        progress or not". Several 404s over a while (checked by the caller) with no
        transaction in progress mean the request never started a transaction.
        """
        try:
            state = await self.client.status()
        except KineticError:
            return None
        if state.transaction_in_progress:
            return None
        return (
            f"The terminal has no transaction {terminal_id} and none in progress: it never "
            "started it, so nothing was charged"
        )

    async def status(self) -> TerminalStatus:
        """Status; the offline count only when idle (the service answers busy otherwise).

        The count is asked only of a terminal that supports offline transactions.
        """
        state = await self.client.status()
        self._supports_offline = state.supports_offline
        busy = state.transaction_in_progress
        offline_count: int | None = None
        stored_records: int | None = None
        if not busy and state.supports_offline:
            try:
                counts = await self.client.offline_count()
            except KineticDeviceBusyError:
                busy = True  # a transaction started between the two calls
            except KineticRequestError:
                pass  # the counts are extras; Status answered, so the terminal is there
            else:
                offline_count, stored_records = counts.offline_count, counts.stored_records
        return TerminalStatus(
            kind=self.kind,
            online=state.is_connected,
            busy=busy,
            screen=state.status,
            offline_count=offline_count,
            stored_records=stored_records,
            supports_offline=state.supports_offline,
        )

    async def offline_count(self) -> int:
        """How many offline transactions wait to be sent to the host."""
        await self._learn_offline_support()
        self.require(Capability.OFFLINE_TRANSACTIONS, "count offline transactions")
        return (await self.client.offline_count()).offline_count

    async def send_offline(self) -> None:
        """Send stored offline transactions to the host (returns when all are sent)."""
        await self._learn_offline_support()
        self.require(Capability.OFFLINE_TRANSACTIONS, "send offline transactions")
        await self.client.send_offline_transactions()

    async def close(self) -> None:
        """Close the client."""
        await self.client.close()
