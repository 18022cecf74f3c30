"""Models of the DeviceService API (Kinetic / Castles MP200)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import voluptuous as vol

from . import _coerce as c
from ._wire import from_wire, wire, wire_model
from .common import (
    TerminalKind,
    Transaction,
    TransactionResult,
    TransactionType,
    mask_pan,
)

#: The seed's "Transaction Result" table, one to one (and its "Cancelled" example).
_RESULTS = {
    "approved": TransactionResult.APPROVED,
    "declined": TransactionResult.DECLINED,
    # "The transaction was aborted or timed out": no money moved; it does not say which.
    "void": TransactionResult.VOID,
    "error": TransactionResult.ERROR,
    # "The status is unknown. This usually indicates an unexpected error." Complete, so
    # final as an answer: asking again does not change it; money may have moved.
    "unknown": TransactionResult.UNKNOWN,
    "cancelled": TransactionResult.CANCELLED,
    "canceled": TransactionResult.CANCELLED,
}
#: What the seed says each result means: the message when the terminal's Description
#: is only its boilerplate for a completed transaction.
_RESULT_MESSAGES = {
    TransactionResult.APPROVED: "The transaction was approved",
    TransactionResult.DECLINED: "The transaction was declined",
    TransactionResult.VOID: "The transaction was aborted or timed out",
    TransactionResult.ERROR: "The transaction had an error",
    TransactionResult.UNKNOWN: (
        "The terminal reports the outcome as unknown (an unexpected error); money may "
        "have moved: check the terminal before charging again"
    ),
    TransactionResult.CANCELLED: "The transaction was cancelled",
}
#: "Typically 'Transaction found' for completed transactions": no news in itself.
_FOUND = "transaction found"

_BOOL = vol.All(c.lenient_bool, bool)
_BOOL_OR_FALSE = vol.All(c.lenient_bool, vol.Coerce(bool))


@wire_model
class DsStatus:
    """``GET /Status``: connection and transaction state of the card reader."""

    is_connected: bool = wire("IsConnected", _BOOL)
    transaction_in_progress: bool = wire("TransactionInProgress", _BOOL_OR_FALSE, default=False)
    status: str | None = wire("Status", c.lenient_str, default=None)
    supports_offline: bool = wire("SupportOfflineTransaction", _BOOL_OR_FALSE, default=False)

    @classmethod
    def from_dict(cls, data: Any) -> DsStatus:
        """Build from a validated ``Status`` body."""
        return from_wire(cls, data, "DeviceService status")


@wire_model
class DsTransaction:
    """A DeviceService transaction result (POST or GET ``Transaction``)."""

    complete: bool = wire("Complete", _BOOL)
    description: str | None = wire("Description", c.lenient_str, default=None)
    transaction_id: str = wire("TransactionId", c.required_str)
    result: str | None = wire("Result", c.lenient_str, default=None)
    total_amount: Decimal | None = wire("TotalAmount", c.optional(c.amount), default=None)
    auth_response: str | None = wire("AuthResponse", c.lenient_str, default=None)
    masked_pan: str | None = wire("MaskedPan", c.lenient_str, default=None, pick=mask_pan)
    terminal_id: str | None = wire("TerminalId", c.lenient_str, default=None)
    card_network: str | None = wire("CardNetwork", c.lenient_str, default=None)
    data_source: str | None = wire("DataSource", c.lenient_str, default=None)
    transaction_type: str | None = wire("TransactionType", c.lenient_str, default=None)
    signature_required: bool | None = wire("SignatureRequired", c.lenient_bool, default=None)
    is_contactless: bool | None = wire("IsContactless", c.lenient_bool, default=None)
    verified_by_pin: bool | None = wire("VerifiedByPin", c.lenient_bool, default=None)
    verified_by_odcvm: bool | None = wire("VerifiedByOdcvm", c.lenient_bool, default=None)
    is_offline: bool | None = wire("IsOffline", c.lenient_bool, default=None)
    response_code: str | None = wire("ResponseCode", c.lenient_str, default=None)

    @classmethod
    def from_dict(cls, data: Any) -> DsTransaction:
        """Build from a validated ``Transaction`` body."""
        return from_wire(cls, data, "DeviceService transaction")

    @property
    def outcome(self) -> TransactionResult:
        """The shared result; an incomplete transaction is PENDING, whatever it says."""
        if not self.complete:
            return TransactionResult.PENDING
        result = _RESULTS.get((self.result or "").strip().lower(), TransactionResult.UNKNOWN)
        code = (self.response_code or "").strip()
        if result is TransactionResult.APPROVED and self.is_offline and code and code != "00":
            # An offline approval the host declined once it was synced: no money.
            return TransactionResult.DECLINED
        return result

    @property
    def message(self) -> str | None:
        """The terminal's Description, or what the seed says the result means.

        "Transaction found" only says the transaction exists; an error message (or any
        other text) is the terminal's own and kept.
        """
        description = (self.description or "").strip()
        outcome = self.outcome
        if description and (description.lower() != _FOUND or not self.complete):
            if outcome is TransactionResult.UNKNOWN:
                return f"{_RESULT_MESSAGES[outcome]} ({description})"
            return description
        return _RESULT_MESSAGES.get(outcome, self.description)

    def to_transaction(self) -> Transaction:
        """Translate to the shared vocabulary.

        ``terminal_id`` is the transaction's id (``TransactionId``);
        ``reader_terminal_id`` the reader's (``TerminalId``). The document has no times:
        the terminal facade adds when it sent the request and when the answer came.
        """
        return Transaction(
            kind=TerminalKind.DEVICE_SERVICE,
            reference=self.transaction_id,
            type=TransactionType.SALE,
            result=self.outcome,
            amount=self.total_amount,
            total=self.total_amount,
            auth_code=self.auth_response,
            masked_pan=self.masked_pan,
            card_network=self.card_network,
            entry_mode=self.data_source,
            terminal_id=self.transaction_id,
            reader_terminal_id=self.terminal_id,
            status=self.result,
            message=self.message,
            signature_required=self.signature_required,
            is_offline=self.is_offline,
            is_contactless=self.is_contactless,
            verified_by_pin=self.verified_by_pin,
            verified_on_device=self.verified_by_odcvm,
            response_code=self.response_code,
        )


@wire_model
class DsOfflineCount:
    """``GET /OfflineTransaction/Count``."""

    offline_count: int = wire("offlineCount", c.strict_int)
    stored_records: int = wire("storedRecords", c.strict_int, default=0)

    @classmethod
    def from_dict(cls, data: Any) -> DsOfflineCount:
        """Build from a validated ``OfflineTransaction/Count`` body."""
        return from_wire(cls, data, "DeviceService offline count")
