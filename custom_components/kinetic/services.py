"""The payment actions: start a sale, look a transaction up.

Each action checks everything before anything is sent (a loaded ``kinetic`` entry, what
its kind can do, the amounts) and answers with translated errors. Their names and
schemas are in ``service_schemas``; the answers they give are built in ``outcome``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr

from kinetic_integration import (
    Capability,
    KineticError,
    KineticInputError,
    Operation,
    ReceiptCopy,
    TransactionType,
)

from . import refund_rules
from .action_errors import call_error, input_error
from .audit import Caller, async_caller, started_by_text
from .authorization import Privilege, async_require_privilege
from .card_wait import card_wait
from .const import DOMAIN
from .data import DATA_JOURNAL, KineticConfigEntry
from .logbook_entry import async_log_action, async_log_offline_sent
from .outcome import record_response, transaction_response
from .pay_request_fields import ATTR_TIMEOUT, pay_request_extra
from .payments import KineticPayments
from .print_lines import print_lines
from .receipt_reference import receipt_reference
from .refusal import REFUSALS, ActionRefused, refused_by_terminal
from .sale_fields import passthrough, sale_details
from .service_schemas import (
    ATTR_ALLOW_DUPLICATE,
    ATTR_AMOUNT,
    ATTR_CASHBACK,
    ATTR_COPY,
    ATTR_OFFLINE,
    ATTR_ORIGINAL_REFERENCE,
    ATTR_REFERENCE,
    ATTR_TIP,
    ATTR_TRANSACTION_ID,
    ATTR_WAIT,
    AUTHORIZE_SCHEMA,
    CANCEL_SCHEMA,
    DEVICE_SCHEMA,
    GET_TRANSACTION_SCHEMA,
    PRINT_RECEIPT_SCHEMA,
    PRINT_TEXT_SCHEMA,
    RECONCILE_SCHEMA,
    REFUND_SCHEMA,
    REVERSE_SCHEMA,
    SERVICE_AUTHORIZE,
    SERVICE_CANCEL,
    SERVICE_GET_TRANSACTION,
    SERVICE_PRINT_RECEIPT,
    SERVICE_PRINT_TEXT,
    SERVICE_RECONCILE,
    SERVICE_REFUND,
    SERVICE_REVERSE,
    SERVICE_SEND_OFFLINE,
    SERVICE_START_SALE,
    START_SALE_SCHEMA,
)

_T = TypeVar("_T")


def _amount(value: Any) -> Any:
    """Take a float (YAML, templates) as its shortest digits; the parser decides."""
    if isinstance(value, float):
        return repr(value)
    return value


def _payments(hass: HomeAssistant, device_id: str) -> KineticPayments:
    """Return the payments of the loaded ``kinetic`` entry behind a device, or refuse."""
    registry = dr.async_get(hass)
    # The entry that owns the device, found from our entries' devices: reading
    # DeviceEntry.config_entries is deprecated in 2026.x, and 2025.4 has no config_entry_id.
    entries: list[KineticConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        owned = dr.async_entries_for_config_entry(registry, entry.entry_id)
        if not any(device.id == device_id for device in owned):
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ActionRefused(
                translation_key="entry_not_loaded",
                translation_placeholders={"terminal": entry.title},
            )
        return entry.runtime_data.payments
    raise ActionRefused(
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


async def _async_start_sale(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    # Who asks, found before the duplicate check (nothing may wait between it and staging).
    caller = await async_caller(call.hass, call.context)
    data = call.data
    timeout = card_wait(data.get(ATTR_TIMEOUT))
    try:
        operation = payments.terminal.prepare(
            TransactionType.SALE,
            amount=_amount(data[ATTR_AMOUNT]),
            reference=data.get(ATTR_REFERENCE),
            tip=_amount(data.get(ATTR_TIP)),
            cashback=_amount(data.get(ATTR_CASHBACK)),
            extra=pay_request_extra(data, passthrough(payments.terminal, data)),
            offline=data[ATTR_OFFLINE],
        )
    except KineticInputError as err:
        raise input_error(payments, err) from err
    details = sale_details(data)
    if not data[ATTR_ALLOW_DUPLICATE]:
        payments.check_duplicate(operation.reference, details)
    return await _async_run(
        payments, operation, details, caller, wait=data[ATTR_WAIT], timeout=timeout
    )


async def _async_authorize(call: ServiceCall) -> ServiceResponse:
    """Pre-authorise an amount (Payment Engine ``authonly``), journaled as such."""
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    caller = await async_caller(call.hass, call.context)
    data = call.data
    timeout = card_wait(data.get(ATTR_TIMEOUT))
    operation = _prepare(
        payments,
        TransactionType.AUTHORIZATION,
        amount=_amount(data[ATTR_AMOUNT]),
        reference=data.get(ATTR_REFERENCE),
        extra=pay_request_extra(data, passthrough(payments.terminal, data)),
    )
    return await _async_run(
        payments, operation, sale_details(data), caller, wait=data[ATTR_WAIT], timeout=timeout
    )


async def _async_run(
    payments: KineticPayments,
    operation: Operation,
    details: dict[str, Any],
    caller: Caller,
    *,
    wait: bool,
    timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
) -> ServiceResponse:
    """Journal and run a validated operation; answer with its final transaction."""
    _check_unresolved(payments, operation)
    outcome = await payments.async_start(
        operation, details, wait=wait, timeout=timeout, caller=caller
    )
    if outcome is None:
        return {"reference": operation.reference, "result": "pending"}
    if outcome.transaction is None:
        if outcome.error is not None:
            raise call_error(operation.reference, outcome.error)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="outcome_unknown",
            translation_placeholders={"reference": operation.reference},
        )
    return transaction_response(outcome, payments.entry.title)


def _prepare(payments: KineticPayments, type_: TransactionType, **fields: Any) -> Operation:
    try:
        return payments.terminal.prepare(type_, **fields)
    except KineticInputError as err:
        raise input_error(payments, err) from err


async def _async_refund(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    caller = await async_require_privilege(call, payments, Privilege.REFUND)
    operation = _prepare(
        payments,
        TransactionType.REFUND,
        amount=_amount(call.data[ATTR_AMOUNT]),
        reference=call.data.get(ATTR_REFERENCE),
    )
    original = call.data.get(ATTR_ORIGINAL_REFERENCE)
    lookup = await refund_rules.async_look_up_refund(payments, original)
    # No await from the check to the staging in _async_run (two refunds at once).
    details = refund_rules.check_refund(payments, operation, original, lookup)
    response = await _async_run(payments, operation, details, caller, wait=call.data[ATTR_WAIT])
    return refund_rules.with_original(response, original)


async def _async_reverse(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    caller = await async_require_privilege(call, payments, Privilege.REVERSE)
    original = call.data[ATTR_TRANSACTION_ID]
    operation = _prepare(
        payments,
        TransactionType.REVERSAL,
        reference=call.data.get(ATTR_REFERENCE),
        original_id=original,
    )
    lookup = await refund_rules.async_look_up_reversal(payments, operation.original_id or original)
    # No await from the check to the staging in _async_run (two reversals at once).
    refund_rules.check_reversal(payments, operation, lookup)
    # Kept so a reversal left open can be recovered after a restart.
    details = {"original_id": operation.original_id}
    return await _async_run(payments, operation, details, caller, wait=call.data[ATTR_WAIT])


async def _async_reconcile(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    caller = await async_require_privilege(call, payments, Privilege.RECONCILE)
    operation = _prepare(payments, TransactionType.RECONCILIATION)
    return await _async_run(payments, operation, {}, caller, wait=call.data[ATTR_WAIT])


async def _async_terminal_call(
    payments: KineticPayments, capability: Capability, call: Callable[[], Awaitable[_T]]
) -> _T:
    """Check the capability, then run one call that moves no money."""
    try:
        payments.terminal.require(capability)
        return await call()
    except KineticInputError as err:
        raise input_error(payments, err) from err
    except KineticError as err:
        if isinstance(err, REFUSALS):
            raise refused_by_terminal(err) from err
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"error": err.message or err.code},
        ) from err


async def _async_print_text(call: ServiceCall) -> None:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    lines = print_lines(call.data)
    await _async_terminal_call(
        payments, Capability.PRINT, lambda: payments.terminal.print_text(lines)
    )


async def _async_print_receipt(call: ServiceCall) -> ServiceResponse:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    terminal = payments.terminal
    copy = ReceiptCopy(call.data[ATTR_COPY])

    async def _print() -> list[str]:
        reference = await receipt_reference(terminal, call.data.get(ATTR_REFERENCE))
        # The terminal's certified receipt goes to its printer unchanged.
        return await terminal.print_receipt(reference, copy)

    lines = await _async_terminal_call(payments, Capability.RECEIPTS, _print)
    response: dict[str, Any] = {"lines": lines}
    return response


async def _async_send_offline(call: ServiceCall) -> None:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    caller = await async_require_privilege(call, payments, Privilege.SEND_OFFLINE)
    await _async_terminal_call(
        payments, Capability.OFFLINE_TRANSACTIONS, payments.terminal.send_offline
    )
    async_log_offline_sent(call.hass, payments.entry, caller)


async def _async_cancel(call: ServiceCall) -> None:
    payments = _payments(call.hass, call.data[ATTR_DEVICE_ID])
    caller = await async_require_privilege(call, payments, Privilege.CANCEL)
    reference = call.data[ATTR_REFERENCE]
    record = await payments.journal.get(reference)
    # The journal knows the pay request's key; a key itself is taken as given.
    key = record.terminal_id if record is not None and record.terminal_id else reference
    await _async_terminal_call(payments, Capability.CANCEL, lambda: payments.terminal.cancel(key))
    # No transaction of ours records a cancel: the log and the logbook say who asked.
    async_log_action(
        call.hass,
        payments.entry,
        name=reference,
        done=f"cancel asked on {payments.entry.title}",
        who=started_by_text(caller.started_by),
        context=call.context,
    )


def _check_unresolved(payments: KineticPayments, operation: Operation) -> None:
    """Refuse at once while this terminal has a transaction without a known outcome."""
    identity = payments.terminal.identity
    for record in payments.journal.records():
        if (
            record.terminal == identity
            and record.state.is_unresolved
            and record.reference != operation.reference
        ):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="unresolved_transaction",
                translation_placeholders={"reference": record.reference, "error": ""},
            )


async def _async_get_transaction(call: ServiceCall) -> ServiceResponse:
    journal = call.hass.data[DATA_JOURNAL]
    reference = call.data[ATTR_REFERENCE]
    record = await journal.get(reference)
    if record is None:
        raise ActionRefused(
            translation_key="transaction_not_found",
            translation_placeholders={"reference": reference},
        )
    return record_response(record, journal.details(reference))


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, for every terminal)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_START_SALE,
        _async_start_sale,
        schema=START_SALE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    for name, handler, schema in (
        (SERVICE_AUTHORIZE, _async_authorize, AUTHORIZE_SCHEMA),
        (SERVICE_REFUND, _async_refund, REFUND_SCHEMA),
        (SERVICE_REVERSE, _async_reverse, REVERSE_SCHEMA),
        (SERVICE_RECONCILE, _async_reconcile, RECONCILE_SCHEMA),
        (SERVICE_PRINT_RECEIPT, _async_print_receipt, PRINT_RECEIPT_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
    for name, plain, schema in (
        (SERVICE_PRINT_TEXT, _async_print_text, PRINT_TEXT_SCHEMA),
        (SERVICE_SEND_OFFLINE, _async_send_offline, DEVICE_SCHEMA),
        (SERVICE_CANCEL, _async_cancel, CANCEL_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, name, plain, schema=schema)
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_TRANSACTION,
        _async_get_transaction,
        schema=GET_TRANSACTION_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
