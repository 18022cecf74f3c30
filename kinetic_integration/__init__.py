"""Async client library for Kinetic-family card payment terminals.

The public API: one client per terminal API, the :class:`Terminal` facade over all
three (``create_terminal``), the facts of each kind (``kind_facts``), the journal that
makes sales resumable, the typed models, money and receipt helpers, and the one
exception tree (:class:`KineticError` and its subclasses).

Callers import from here; the documented public subpackages are
:mod:`kinetic_integration.discovery`, :mod:`kinetic_integration.simulator` and
:mod:`kinetic_integration.terminal`.
"""

from .clients import (
    PRODUCTION_URL,
    SANDBOX_URL,
    DeviceServiceClient,
    KineticGoClient,
    PaymentEngineClient,
)
from .errors import (
    AmountAboveCapError,
    FieldError,
    InvalidAmountError,
    KineticAuthenticationError,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticDeviceError,
    KineticDeviceOfflineError,
    KineticDuplicateTransactionError,
    KineticError,
    KineticInputError,
    KineticInvalidResponseError,
    KineticLowBatteryError,
    KineticNotFoundError,
    KineticNotStartedError,
    KineticPrinterError,
    KineticRateLimitError,
    KineticReferenceMismatchError,
    KineticRequestError,
    KineticRequestTimedOutError,
    KineticTimeoutError,
    KineticUnknownDeviceError,
    KineticValidationError,
    UnresolvedTransactionError,
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
    CardNetwork,
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionResult,
    TransactionType,
)
from .models.kinetic_go_settings import GoSettings
from .models.payment_engine import PeDevice
from .money import DEFAULT_MAX_AMOUNT, format_amount, parse_amount
from .receipts import receipt_lines, redact_card_numbers, transaction_receipt
from .terminal import (
    DEFAULT_KIND,
    KINDS,
    PRINT_RANGES,
    Capability,
    KindFacts,
    Operation,
    PreviousAttempt,
    PrintLine,
    Terminal,
    TerminalConfig,
    TransactionFilter,
    TransactionListener,
    create_terminal,
    kind_facts,
    local_kind_for_port,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_KIND",
    "DEFAULT_MAX_AMOUNT",
    "KINDS",
    "PRINT_RANGES",
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "AmountAboveCapError",
    "Capability",
    "CardNetwork",
    "DeviceServiceClient",
    "FieldError",
    "GoSettings",
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
    "KineticDeviceError",
    "KineticDeviceOfflineError",
    "KineticDuplicateTransactionError",
    "KineticError",
    "KineticGoClient",
    "KineticInputError",
    "KineticInvalidResponseError",
    "KineticLowBatteryError",
    "KineticNotFoundError",
    "KineticNotStartedError",
    "KineticPrinterError",
    "KineticRateLimitError",
    "KineticReferenceMismatchError",
    "KineticRequestError",
    "KineticRequestTimedOutError",
    "KineticTimeoutError",
    "KineticUnknownDeviceError",
    "KineticValidationError",
    "Operation",
    "PaymentEngineClient",
    "PeDevice",
    "PreviousAttempt",
    "PrintLine",
    "ReceiptCopy",
    "SqliteJournal",
    "Terminal",
    "TerminalConfig",
    "TerminalKind",
    "TerminalStatus",
    "Transaction",
    "TransactionFilter",
    "TransactionListener",
    "TransactionResult",
    "TransactionType",
    "UnresolvedTransactionError",
    "UnsupportedOperationError",
    "abandon",
    "create_terminal",
    "format_amount",
    "kind_facts",
    "local_kind_for_port",
    "parse_amount",
    "receipt_lines",
    "redact_card_numbers",
    "transaction_receipt",
]
