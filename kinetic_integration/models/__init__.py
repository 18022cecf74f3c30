"""Typed models built from validated terminal responses."""

from .common import (
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionResult,
    TransactionType,
    mask_pan,
)
from .device_service import DsOfflineCount, DsStatus, DsTransaction
from .kinetic_go import GoDevice, GoScreen, GoTransaction, GoTransactionSummary
from .kinetic_go_settings import GoSettings
from .normalise import CardNetwork
from .payment_engine import (
    Address,
    AmountDetail,
    LineItem,
    PayRequest,
    PayRequestParams,
    PeDevice,
    PeTransaction,
)

__all__ = [
    "Address",
    "AmountDetail",
    "CardNetwork",
    "DsOfflineCount",
    "DsStatus",
    "DsTransaction",
    "GoDevice",
    "GoScreen",
    "GoSettings",
    "GoTransaction",
    "GoTransactionSummary",
    "LineItem",
    "PayRequest",
    "PayRequestParams",
    "PeDevice",
    "PeTransaction",
    "ReceiptCopy",
    "TerminalKind",
    "TerminalStatus",
    "Transaction",
    "TransactionResult",
    "TransactionType",
    "mask_pan",
]
