"""The library's errors as translated Home Assistant errors, for the actions."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from kinetic_integration import (
    DEFAULT_MAX_AMOUNT,
    AmountAboveCapError,
    InvalidAmountError,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticError,
    KineticInputError,
    UnresolvedTransactionError,
    UnsupportedOperationError,
    format_amount,
    kind_facts,
)

from .const import DOMAIN
from .payments import KineticPayments
from .refusal import REFUSALS, ActionRefused, refused_by_terminal


def input_error(payments: KineticPayments, err: KineticInputError) -> ActionRefused:
    """Translate a refusal of the library's input checks (nothing was sent)."""
    if isinstance(err, UnsupportedOperationError):
        # One sentence naming the kind and what it lacks (the library's own sentence is
        # English; the capability's name is the same in every language).
        capability = (err.capability or "").replace("_", " ")
        return ActionRefused(
            translation_key="unsupported",
            translation_placeholders={
                "kind": kind_facts(payments.terminal.kind).name,
                "capability": capability,
            },
        )
    if isinstance(err, AmountAboveCapError):
        cap = payments.terminal.max_amount or DEFAULT_MAX_AMOUNT
        return ActionRefused(
            translation_key="amount_above_cap",
            translation_placeholders={"cap": format_amount(cap)},
        )
    if isinstance(err, InvalidAmountError):
        return ActionRefused(
            translation_key="invalid_amount",
            translation_placeholders={"error": err.message},
        )
    return ActionRefused(
        translation_key="invalid_input",
        translation_placeholders={"error": err.message},
    )


def call_error(reference: str, err: KineticError) -> HomeAssistantError:
    """Translate a failure during the call (the library raises only if nothing charged)."""
    placeholders = {"reference": reference, "error": err.message or err.code}
    if isinstance(err, REFUSALS):
        return refused_by_terminal(err, reference)
    if isinstance(err, UnresolvedTransactionError):
        key = "unresolved_transaction"
        placeholders["reference"] = err.reference
    elif isinstance(err, KineticDeviceBusyError):
        key = "terminal_busy"
    elif isinstance(err, KineticConnectionError):
        key = "cannot_connect"
    else:
        key = "transaction_failed"
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
