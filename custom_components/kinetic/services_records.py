"""The actions that read what a terminal itself keeps: its transactions and receipts.

``get_transactions`` lists the terminal's own transaction database (sales started on the
terminal included, which no journal of ours knows), filtered, each with who started it:
the journal's ``started_by`` for what we started, ``{"type": "terminal"}`` for the rest;
``get_receipt`` returns a receipt's lines and the terminal's printer instructions without
printing anything. Both only read, and answer with a response only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

import voluptuous as vol
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from kinetic_integration import (
    Capability,
    JournalError,
    ReceiptCopy,
    Transaction,
    TransactionFilter,
    TransactionResult,
    TransactionType,
    receipt_lines,
    redact_card_numbers,
)

from .audit import STARTED_BY, Caller, started_by_fields
from .const import DOMAIN, LOGGER
from .outcome import as_text
from .payments import KineticPayments
from .receipt_reference import receipt_reference
from .service_schemas import (
    ATTR_COPY,
    ATTR_REFERENCE,
    DEVICE_SCHEMA,
    SERVICE_GET_RECEIPT,
    SERVICE_GET_TRANSACTIONS,
)
from .services import _async_terminal_call, _payments

ATTR_SINCE = "since"
ATTR_UNTIL = "until"
ATTR_RESULT = "result"
ATTR_TYPE = "type"
ATTR_LIMIT = "limit"


def _moment(value: Any) -> datetime:
    """Read a date and time, or a date (its midnight); without a zone, Home Assistant's."""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value.strip()) > 10):
        return dt_util.as_utc(cv.datetime(value))
    day: date = cv.date(value)
    return dt_util.as_utc(datetime.combine(day, time.min))


GET_TRANSACTIONS_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_SINCE): _moment,
        vol.Optional(ATTR_UNTIL): _moment,
        vol.Optional(ATTR_RESULT): vol.In([result.value for result in TransactionResult]),
        vol.Optional(ATTR_TYPE): vol.In([type_.value for type_ in TransactionType]),
        # The library caps it (a translated refusal above its maximum).
        vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1)),
    }
)
GET_RECEIPT_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_REFERENCE): cv.string,
        vol.Optional(ATTR_COPY, default=ReceiptCopy.MERCHANT.value): vol.In(
            [copy.value for copy in ReceiptCopy]
        ),
    }
)


#: Who started a transaction of the terminal's list that no journal record of ours began.
ON_THE_TERMINAL = {"type": "terminal"}
#: ... and of one whose journal could not be read.
NOT_KNOWN = {"type": "unknown", "context_id": ""}


def history_row(txn: Transaction, started_by: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return one transaction of the terminal's list (amounts and times as exact text)."""
    return {
        "reference": txn.reference,
        "type": txn.type.value,
        "result": txn.result.value,
        "amount": as_text(txn.amount),
        "masked_pan": txn.masked_pan,
        "is_reversed": txn.is_reversed,
        "started_at": as_text(txn.started_at),
        "ended_at": as_text(txn.ended_at),
        **started_by_fields(Caller(started_by=started_by)),
    }


async def _async_started_by(
    payments: KineticPayments, found: list[Transaction]
) -> dict[str, Mapping[str, Any]]:
    """Return who started each listed transaction, by its reference (one journal read)."""
    references = {txn.reference for txn in found}
    if not references:
        return {}
    try:
        ours = await payments.journal.database.records(references)
    except JournalError as err:
        LOGGER.warning("Could not read who started the transactions: %s", err.code)
        return dict.fromkeys(references, NOT_KNOWN)
    identity = payments.terminal.identity
    started_by: dict[str, Mapping[str, Any]] = dict.fromkeys(references, ON_THE_TERMINAL)
    for record, details in ours:
        # The same reference on another terminal is not this one's.
        if record.terminal == identity:
            who = details.get(STARTED_BY)
            started_by[record.reference] = who if isinstance(who, Mapping) else NOT_KNOWN
    return started_by


async def _async_get_transactions(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    data = call.data

    async def _list() -> list[Transaction]:
        where = TransactionFilter(
            since=data.get(ATTR_SINCE),
            until=data.get(ATTR_UNTIL),
            result=TransactionResult(data[ATTR_RESULT]) if ATTR_RESULT in data else None,
            type=TransactionType(data[ATTR_TYPE]) if ATTR_TYPE in data else None,
            limit=data.get(ATTR_LIMIT),
        )
        return await payments.terminal.transactions(where)

    found = await _async_terminal_call(payments, Capability.TRANSACTION_HISTORY, _list)
    started_by = await _async_started_by(payments, found)
    return {"transactions": [history_row(txn, started_by[txn.reference]) for txn in found]}


def _redacted(instruction: dict[str, Any]) -> dict[str, Any]:
    """Return an instruction as served, with any full card number in its text masked."""
    text = instruction.get("text")
    if not isinstance(text, str):
        return instruction
    return {**instruction, "text": redact_card_numbers([text])[0]}


async def _async_get_receipt(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    terminal = payments.terminal
    copy = ReceiptCopy(call.data[ATTR_COPY])

    async def _read() -> tuple[str, list[dict[str, Any]]]:
        reference = await receipt_reference(terminal, call.data.get(ATTR_REFERENCE))
        return reference, await terminal.receipt_instructions(reference, copy)

    reference, instructions = await _async_terminal_call(payments, Capability.RECEIPTS, _read)
    shown = [_redacted(instruction) for instruction in instructions]
    response: dict[str, Any] = {
        "reference": reference,
        "copy": copy.value,
        "lines": receipt_lines(shown),
        "instructions": shown,
    }
    return response


def async_setup_record_services(hass: HomeAssistant) -> None:
    """Register get_transactions and get_receipt (once, for every terminal)."""
    for name, handler, schema in (
        (SERVICE_GET_TRANSACTIONS, _async_get_transactions, GET_TRANSACTIONS_SCHEMA),
        (SERVICE_GET_RECEIPT, _async_get_receipt, GET_RECEIPT_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.ONLY
        )
