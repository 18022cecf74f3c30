"""Async client library for Kinetic-family card payment terminals.

The public API: one client per terminal API, the :class:`Terminal` facade over all
three (``create_terminal``), the journal that makes sales resumable, the typed models
and the one exception tree (:class:`KineticError` and its subclasses).
"""

from .clients import DeviceServiceClient, KineticGoClient, PaymentEngineClient
from .errors import (
    AmountAboveCapError,
    InvalidAmountError,
    KineticAuthenticationError,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticTimeoutError,
    UnsupportedOperationError,
)
from .journal import (
    JournalClaimError,
    JournaledPayments,
    JournalError,
    JournalRecord,
    JournalState,
    JournalStore,
    SqliteJournal,
    abandon,
)
from .models import (
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionResult,
    TransactionType,
)
from .money import DEFAULT_MAX_AMOUNT, parse_amount
from .terminal import (
    KINDS,
    Capability,
    KindFacts,
    Terminal,
    TerminalConfig,
    create_terminal,
    kind_facts,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_AMOUNT",
    "KINDS",
    "AmountAboveCapError",
    "Capability",
    "DeviceServiceClient",
    "InvalidAmountError",
    "JournalClaimError",
    "JournalError",
    "JournalRecord",
    "JournalState",
    "JournalStore",
    "JournaledPayments",
    "KindFacts",
    "KineticAuthenticationError",
    "KineticConnectionError",
    "KineticDeviceBusyError",
    "KineticError",
    "KineticGoClient",
    "KineticInputError",
    "KineticInvalidResponseError",
    "KineticTimeoutError",
    "PaymentEngineClient",
    "ReceiptCopy",
    "SqliteJournal",
    "Terminal",
    "TerminalConfig",
    "TerminalKind",
    "TerminalStatus",
    "Transaction",
    "TransactionResult",
    "TransactionType",
    "UnsupportedOperationError",
    "abandon",
    "create_terminal",
    "kind_facts",
    "parse_amount",
]
