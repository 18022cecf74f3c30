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

__all__ = [
    "ReceiptCopy",
    "TerminalKind",
    "TerminalStatus",
    "Transaction",
    "TransactionResult",
    "TransactionType",
    "mask_pan",
]
