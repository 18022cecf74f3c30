"""The Kinetic Go 2's documents (seed 000): what the simulator writes and the fields it reads.

Amounts are integers of minor units, converted by :mod:`.wire_money`.
"""

from __future__ import annotations

from typing import Any

from .card import KSN, MASKED_PAN_STARS, MASKED_TRACK2, emv_tags
from .transaction import SimTransaction, Step
from .wire_money import go_minor_units

#: The seed's ``status`` of a running transaction, by step.
STATUS = {
    Step.STARTING: "starting",
    Step.WAITING_FOR_CARD: "waiting_for_card",
    Step.WAITING_FOR_PIN: "waiting_for_pin",
    Step.PROCESSING: "processing",
    Step.SIGNATURE: "waiting_for_signature",
}
SCREEN_PATH = {
    "Idle": "app.views.layouts.idle",
    "Present card": "app.views.transaction.present_card",
    "Enter PIN": "app.views.transaction.pin_entry",
    "Processing transaction...": "app.views.transaction.processing",
    "Signature required": "app.views.transaction.signature",
    "Approved": "app.views.transaction.approved",
    "Declined": "app.views.transaction.declined",
    "Cancelled": "app.views.transaction.cancelled",
    "Error": "app.views.transaction.error",
    "Remove card": "app.views.transaction.remove_card",
}
_INPUT = {"tap": "contactless", "insert": "contact_emv", "swipe": "mag_stripe"}
_SCHEME = {"tap": "visa-qvsdc", "insert": "visa-old-us", "swipe": "visa-msd"}


def _go_result(txn: SimTransaction) -> str | None:
    if txn.result is None:
        return None
    return "cancelled" if txn.result == "timeout" else txn.result


def transaction_document(txn: SimTransaction) -> dict[str, Any]:
    """Build the full transaction object of the seed (masked card data included on purpose)."""
    card = txn.card
    quirky = txn.stan % 2 == 1
    services = {
        "code": "201",
        "interchange_rules": "interchange_prefer_ic",
        "authorization_processing_rules": "normal",
        "range_of_services": "no_restrictions",
    }
    result = _go_result(txn)
    online = txn.result in ("approved", "declined") and not txn.is_offline
    return {
        "account_number": MASKED_PAN_STARS if card else None,
        "amount": go_minor_units(txn.amount),
        "amount_other": go_minor_units(txn.cashback),
        "app_confirmation_required": False,
        "app_label": "VISA CREDIT" if card else None,
        "attempted_sources": [_INPUT[card.entry]] if card else [],
        # The seed documents this as "number,"; some firmware sends a string.
        "attempts_remaining": "3" if quirky else 3,
        "auth_code": txn.auth_code,
        "card_details": {"scheme": _SCHEME[card.entry], "track2": MASKED_TRACK2} if card else None,
        "card_expiry": "2512" if card else None,
        "cvm_mode": ("online_pin" if txn.pin_entered else "signature") if card else None,
        "cvm_result": "ok" if card else None,
        "duration": round((txn.ended_at or txn.started_at) - txn.started_at),
        "ended_at": int(txn.ended_at) if txn.ended_at else None,
        "host": "dummy",
        "id": txn.id,
        "input_source": _INPUT[card.entry] if card else None,
        "is_active": txn.active,
        "is_contactless": bool(card and card.is_contactless),
        "is_contactless_transaction_limit_exceeded": False,
        "is_deferred_auth": txn.deferred_auth_attempts is not None,
        "is_emv": bool(card and card.entry in ("tap", "insert")),
        "is_fallback": False,
        "is_force_online": False,
        "is_keyed": False,
        "is_online": online,
        "is_online_pin": txn.pin_entered,
        "is_offline_pin": False,
        "is_reversed": txn.is_reversed,
        "is_sca_single_tap": False,
        "is_signature_required": txn.signature_required,
        "issuer_id": "VISA" if card else None,
        "ksn": KSN if txn.pin_entered else None,
        "last_deferred_auth_attempted_at": _seconds(txn.last_deferred_auth_at),
        "message_number": txn.stan,
        "num_attempts": 1 if card else 0,
        "num_deferred_auth_attempts": txn.deferred_auth_attempts,
        "online_request": {"stan": txn.stan} if online else {},
        "online_response": {"response_code": "00" if result == "approved" else "05"}
        if online
        else {},
        "online_result": result if online else None,
        "pin_block": None,
        "reference_number": f"{txn.stan:012d}",
        "reference_txn_id": txn.reference_txn_id,
        "result": result,
        # The seed repeats "services" inside itself; some firmware does the same.
        "services": {"code": "201", "result": result, "services": services} if quirky else services,
        "session_number": txn.session_number,
        "should_fallback": False,
        "should_retry": False,
        "stan": txn.stan,
        "started_at": int(txn.started_at),
        "status": STATUS[txn.step] if txn.active else result,
        "status_details": _status_details(txn),
        "tags": emv_tags(txn.cryptogram, go_minor_units(txn.total)) if card else {},
        "terminal_online_decision": "go_online" if card else "unknown",
        "timeout_ms": int(txn.card_timeout * 1000),
        "tip_amount": go_minor_units(txn.tip),
        "total_amount": go_minor_units(txn.total),
        "type": txn.type,
    }


def _seconds(epoch: float | None) -> int | None:
    return int(epoch) if epoch is not None else None


def _status_details(txn: SimTransaction) -> str:
    if txn.active:
        return STATUS[txn.step]
    if txn.result == "timeout":
        return "card_wait_timed_out"
    if txn.result == "cancelled":
        return f"cancelled_by_{txn.cancelled_by or 'customer'}"
    return txn.message.lower().replace(" ", "_")


def transaction_summary(txn: SimTransaction) -> dict[str, Any]:
    """Build one row of ``transactions.json`` (the seed's most common fields)."""
    return {
        "id": txn.id,
        "started_at": int(txn.started_at),
        "ended_at": int(txn.ended_at) if txn.ended_at else None,
        "result": _go_result(txn),
        "amount": go_minor_units(txn.amount),
        "host": "dummy",
        "type": txn.type,
        "account_number": MASKED_PAN_STARS if txn.card else None,
        "is_reversed": txn.is_reversed,
    }


def minor_units_field(value: object, field: str, *, positive: bool = False) -> int:
    """Return an integer of minor units; floats, strings and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be an integer number of minor units")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{field} must be {'greater than' if positive else 'at least'} zero")
    return value
