"""Models of the DeviceService API (Kinetic / Castles MP200)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import voluptuous as vol

from . import _coerce as c
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

_STATUS_SCHEMA = vol.Schema(
    {
        vol.Required("IsConnected"): vol.All(c.lenient_bool, bool),
        vol.Optional("TransactionInProgress", default=False): vol.All(
            c.lenient_bool, vol.Coerce(bool)
        ),
        vol.Optional("Status", default=None): c.lenient_str,
        vol.Optional("SupportOfflineTransaction", default=False): vol.All(
            c.lenient_bool, vol.Coerce(bool)
        ),
    },
    extra=vol.REMOVE_EXTRA,
)

_TRANSACTION_SCHEMA = vol.Schema(
    {
        vol.Required("Complete"): vol.All(c.lenient_bool, bool),
        vol.Optional("Description", default=None): c.lenient_str,
        vol.Required("TransactionId"): c.required_str,
        vol.Optional("Result", default=None): c.lenient_str,
        vol.Optional("TotalAmount", default=None): c.optional(c.amount),
        vol.Optional("AuthResponse", default=None): c.lenient_str,
        vol.Optional("MaskedPan", default=None): c.lenient_str,
        vol.Optional("TerminalId", default=None): c.lenient_str,
        vol.Optional("CardNetwork", default=None): c.lenient_str,
        vol.Optional("DataSource", default=None): c.lenient_str,
        vol.Optional("TransactionType", default=None): c.lenient_str,
        vol.Optional("SignatureRequired", default=None): c.lenient_bool,
        vol.Optional("IsContactless", default=None): c.lenient_bool,
        vol.Optional("VerifiedByPin", default=None): c.lenient_bool,
        vol.Optional("VerifiedByOdcvm", default=None): c.lenient_bool,
        vol.Optional("IsOffline", default=None): c.lenient_bool,
        vol.Optional("ResponseCode", default=None): c.lenient_str,
    },
    extra=vol.REMOVE_EXTRA,
)

_OFFLINE_COUNT_SCHEMA = vol.Schema(
    {
        vol.Required("offlineCount"): c.strict_int,
        vol.Optional("storedRecords", default=0): c.strict_int,
    },
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DsStatus:
    """``GET /Status``: connection and transaction state of the card reader."""

    is_connected: bool
    transaction_in_progress: bool
    status: str | None
    supports_offline: bool

    @classmethod
    def from_dict(cls, data: Any) -> DsStatus:
        """Build from a validated ``Status`` body."""
        d = c.validate(_STATUS_SCHEMA, data, "DeviceService status")
        return cls(
            is_connected=d["IsConnected"],
            transaction_in_progress=d["TransactionInProgress"],
            status=d["Status"],
            supports_offline=d["SupportOfflineTransaction"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DsTransaction:
    """A DeviceService transaction result (POST or GET ``Transaction``)."""

    complete: bool
    description: str | None
    transaction_id: str
    result: str | None
    total_amount: Decimal | None
    auth_response: str | None
    masked_pan: str | None
    terminal_id: str | None
    card_network: str | None
    data_source: str | None
    transaction_type: str | None
    signature_required: bool | None
    is_contactless: bool | None
    verified_by_pin: bool | None
    verified_by_odcvm: bool | None
    is_offline: bool | None
    response_code: str | None

    @classmethod
    def from_dict(cls, data: Any) -> DsTransaction:
        """Build from a validated ``Transaction`` body."""
        d = c.validate(_TRANSACTION_SCHEMA, data, "DeviceService transaction")
        return cls(
            complete=d["Complete"],
            description=d["Description"],
            transaction_id=d["TransactionId"],
            result=d["Result"],
            total_amount=d["TotalAmount"],
            auth_response=d["AuthResponse"],
            masked_pan=mask_pan(d["MaskedPan"]),
            terminal_id=d["TerminalId"],
            card_network=d["CardNetwork"],
            data_source=d["DataSource"],
            transaction_type=d["TransactionType"],
            signature_required=d["SignatureRequired"],
            is_contactless=d["IsContactless"],
            verified_by_pin=d["VerifiedByPin"],
            verified_by_odcvm=d["VerifiedByOdcvm"],
            is_offline=d["IsOffline"],
            response_code=d["ResponseCode"],
        )

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


@dataclass(frozen=True, slots=True, kw_only=True)
class DsOfflineCount:
    """``GET /OfflineTransaction/Count``."""

    offline_count: int
    stored_records: int

    @classmethod
    def from_dict(cls, data: Any) -> DsOfflineCount:
        """Build from a validated ``OfflineTransaction/Count`` body."""
        d = c.validate(_OFFLINE_COUNT_SCHEMA, data, "DeviceService offline count")
        return cls(offline_count=d["offlineCount"], stored_records=d["storedRecords"])
