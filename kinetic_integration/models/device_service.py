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

_RESULTS = {
    "approved": TransactionResult.APPROVED,
    "declined": TransactionResult.DECLINED,
    "cancelled": TransactionResult.CANCELLED,
    "canceled": TransactionResult.CANCELLED,
    # "The transaction was aborted or timed out": no money moved either way.
    "void": TransactionResult.CANCELLED,
    "error": TransactionResult.ERROR,
    "unknown": TransactionResult.UNKNOWN,
}

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

    def to_transaction(self) -> Transaction:
        """Translate to the shared vocabulary."""
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
            terminal_id=self.terminal_id,
            status=self.result,
            message=self.description,
            signature_required=self.signature_required,
            is_offline=self.is_offline,
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
