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
    UnresolvedTransactionError,
    UnsupportedOperationError,
)
from .journal import (
    JournalClaimError,
    JournaledPayments,
    JournalRecord,
    JournalState,
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
from .models.payment_engine import PeDevice
from .money import DEFAULT_MAX_AMOUNT, format_amount, parse_amount
from .receipts import redact_card_numbers, transaction_receipt
from .terminal import (
    KINDS,
    Capability,
    KindFacts,
    Operation,
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
    "JournalRecord",
    "JournalState",
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
    "Operation",
    "PaymentEngineClient",
    "PeDevice",
    "ReceiptCopy",
    "SqliteJournal",
    "Terminal",
    "TerminalConfig",
    "TerminalKind",
    "TerminalStatus",
    "Transaction",
    "TransactionResult",
    "TransactionType",
    "UnresolvedTransactionError",
    "UnsupportedOperationError",
    "abandon",
    "create_terminal",
    "format_amount",
    "kind_facts",
    "parse_amount",
    "redact_card_numbers",
    "transaction_receipt",
]
