"""Responses of the USAePay Payment Engine pay-request API.

:class:`PayRequest`, :class:`PeTransaction`, :class:`PeTransactionList` and
:class:`PeDevice` are built from validated bodies; of the card only the masked
number, the card type and the entry mode are kept. The request side lives in
:mod:`.pay_request` and is re-exported here.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, NamedTuple

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
from .pay_request import (
    CUSTOM_FLOW_SCREENS,
    PAY_COMMANDS,
    Address,
    AmountDetail,
    LineItem,
    PayRequestParams,
)

__all__ = [
    "CUSTOM_FLOW_SCREENS",
    "PAY_COMMANDS",
    "Address",
    "AmountDetail",
    "LineItem",
    "PayRequest",
    "PayRequestParams",
    "PeDevice",
    "PeTransaction",
    "PeTransactionList",
]

_RESULT_CODES = {
    "A": TransactionResult.APPROVED,
    # Partial approval: money moved, for auth_amount.
    "P": TransactionResult.APPROVED,
    "D": TransactionResult.DECLINED,
    "E": TransactionResult.ERROR,
}
_CANCELLED_STATUSES = frozenset({"canceled", "cancelled", "transaction canceled"})
_ERROR_STATUSES = frozenset({"transaction failed", "error", "signature capture error"})
_COMMAND_TYPES = {
    "sale": TransactionType.SALE,
    "authonly": TransactionType.SALE,
    "refund": TransactionType.REFUND,
    "credit": TransactionType.REFUND,
}


# --- Responses ----------------------------------------------------------------


class _Card(NamedTuple):
    number: str | None
    type: str | None
    entry_mode: str | None


def _card(value: Any) -> _Card:
    # Only what identifies the card to a person: masked number, type, entry mode.
    if not isinstance(value, dict):
        return _Card(None, None, None)
    return _Card(
        number=mask_pan(c.lenient_str(value.get("number"))),
        type=c.lenient_str(value.get("cardtype") or value.get("type")),
        entry_mode=c.lenient_str(value.get("entry_mode")),
    )


_OPTIONAL_AMOUNT = c.optional(c.amount)


@wire_model
class PeTransaction:
    """The gateway transaction a pay request produced."""

    type: str | None = wire("type", c.lenient_str, default=None)
    key: str | None = wire("key", c.lenient_str, default=None)
    refnum: str | None = wire("refnum", c.lenient_str, default=None)
    is_duplicate: bool | None = wire("is_duplicate", c.lenient_bool, default=None)
    result_code: str | None = wire("result_code", c.lenient_str, default=None)
    result: str | None = wire("result", c.lenient_str, default=None)
    authcode: str | None = wire("authcode", c.lenient_str, default=None)
    error: str | None = wire("error", c.lenient_str, default=None)
    error_code: str | None = wire("error_code", c.lenient_str, default=None)
    auth_amount: Decimal | None = wire("auth_amount", _OPTIONAL_AMOUNT, default=None)
    amount: Decimal | None = wire("amount", _OPTIONAL_AMOUNT, default=None)
    invoice: str | None = wire("invoice", c.lenient_str, default=None)
    orderid: str | None = wire("orderid", c.lenient_str, default=None)
    masked_pan: str | None = wire("creditcard", _card, default=None, pick=lambda card: card.number)
    card_type: str | None = wire("creditcard", _card, default=None, pick=lambda card: card.type)
    entry_mode: str | None = wire(
        "creditcard", _card, default=None, pick=lambda card: card.entry_mode
    )

    @classmethod
    def from_dict(cls, data: Any) -> PeTransaction:
        """Build from the ``transaction`` object of a pay request."""
        return from_wire(cls, data, "Payment Engine transaction")

    @property
    def outcome(self) -> TransactionResult:
        """A=approved, D=declined, E=error; anything else is UNKNOWN."""
        code = (self.result_code or "").strip().upper()
        return _RESULT_CODES.get(code, TransactionResult.UNKNOWN)

    def onto(self, base: Transaction) -> Transaction:
        """Return ``base`` with what this transaction tells (card, auth code, its key)."""
        return dataclasses.replace(
            base,
            auth_code=self.authcode,
            masked_pan=self.masked_pan,
            card_network=self.card_type,
            entry_mode=self.entry_mode,
            terminal_id=self.key,
            message=self.error or self.result,
            is_duplicate=self.is_duplicate,
        )

    @property
    def moved(self) -> Decimal | None:
        """The amount this transaction moved (``auth_amount`` of a partial approval)."""
        if self.outcome is TransactionResult.APPROVED and self.auth_amount:
            return self.auth_amount
        return self.amount


def _transactions(rows: list[dict[str, Any]]) -> tuple[PeTransaction, ...]:
    return tuple(PeTransaction.from_dict(row) for row in rows)


def _transaction(raw: dict[str, Any] | None) -> PeTransaction | None:
    # An empty object is no transaction yet.
    return PeTransaction.from_dict(raw) if raw else None


@wire_model
class PeTransactionList:
    """One page of a gateway transaction list (e.g. a batch's transactions)."""

    transactions: tuple[PeTransaction, ...] = wire("data", vol.Schema([dict]), pick=_transactions)
    #: How many the whole list holds (None if the gateway did not say).
    total: int | None = wire("total", c.lenient_int, default=None)

    @classmethod
    def from_dict(cls, data: Any) -> PeTransactionList:
        """Build from a ``{"type": "list", "data": [...], "total": ...}`` body."""
        return from_wire(cls, data, "Payment Engine transaction list")


@wire_model
class PayRequest:
    """A pay request and, once the customer paid, its transaction."""

    type: str | None = wire("type", c.lenient_str, default=None)
    key: str = wire("key", c.required_str)
    expiration: str | None = wire("expiration", c.lenient_str, default=None)
    status: str = wire("status", c.required_str)
    complete: bool | None = wire("complete", c.lenient_bool, default=None)
    transaction: PeTransaction | None = wire(
        "transaction", vol.Any(None, dict), default=None, pick=_transaction
    )

    @classmethod
    def from_dict(cls, data: Any) -> PayRequest:
        """Build from a ``payrequests`` body."""
        return from_wire(cls, data, "Payment Engine pay request")

    @property
    def outcome(self) -> TransactionResult:
        """The shared result of this request.

        A transaction's result code wins once the request is complete (even over a
        ``timeout`` status: if money moved, we say so). A transaction present while
        ``complete`` is still false (signature pending) is PENDING.
        """
        status = self.status.strip().lower()
        if self.transaction is not None:
            if self.complete:
                return self.transaction.outcome
            return TransactionResult.PENDING
        if status == "timeout":
            return TransactionResult.TIMEOUT
        if status in _CANCELLED_STATUSES:
            return TransactionResult.CANCELLED
        if status in _ERROR_STATUSES:
            return TransactionResult.ERROR
        return TransactionResult.UNKNOWN if self.complete else TransactionResult.PENDING

    def to_transaction(
        self,
        *,
        reference: str | None = None,
        type: TransactionType | None = None,
        amount: Decimal | None = None,
    ) -> Transaction:
        """Translate to the shared vocabulary.

        ``reference`` defaults to the request key (the id to recover by); pass the
        caller's own reference, the requested ``type`` and ``amount`` when known,
        since a pay request does not echo them.
        """
        txn = self.transaction
        txn_type = type
        if txn_type is None and txn is not None and txn.type:
            txn_type = _COMMAND_TYPES.get(txn.type.strip().lower().removeprefix("cc:"))
        base = Transaction(
            kind=TerminalKind.PAYMENT_ENGINE,
            reference=reference or self.key,
            type=txn_type or TransactionType.SALE,
            result=self.outcome,
            amount=self._amount(amount),
            request_key=self.key,
            status=self.status,
        )
        return txn.onto(base) if txn is not None else base

    def _amount(self, requested: Decimal | None) -> Decimal | None:
        txn = self.transaction
        if txn is None:
            return requested
        # A partial approval moved auth_amount, not the requested amount.
        moved = txn.moved
        return moved if moved is not None else requested


@wire_model
class PeDevice:
    """A payment device registered with the Payment Engine."""

    key: str = wire("key", c.required_str)
    name: str | None = wire("name", c.lenient_str, default=None)
    status: str | None = wire("status", c.lenient_str, default=None)
    terminal_type: str | None = wire("terminal_type", c.lenient_str, default=None)
    pairing_code: str | None = wire("pairing_code", c.lenient_str, default=None)
    expiration: str | None = wire("expiration", c.lenient_str, default=None)

    @classmethod
    def from_dict(cls, data: Any) -> PeDevice:
        """Build from a ``devices`` body."""
        return from_wire(cls, data, "Payment Engine device")

    @property
    def is_online(self) -> bool:
        """Whether the Payment Engine reports the device as connected."""
        return (self.status or "").strip().lower() == "online"
