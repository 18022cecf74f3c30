"""Every failure the ``kinetic`` command reports, said in three parts.

What happened, whether money moved, and what to do: chosen by the library error's
stable ``code`` (its translation key), never by an exception's class name. The money
part depends on the command: a payment command that raised charged nothing (the
facade raises only then), a command that moves no money moved none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import KineticError, KineticRateLimitError

#: What the ``money`` field of a failure's JSON says.
NOTHING_SENT = "nothing_sent"  # refused before anything reached the terminal
NOT_CHARGED = "not_charged"  # the terminal was asked, and charged nothing
NO_MONEY = "none"  # a command that never moves money
UNKNOWN = "unknown"  # the request may have reached the terminal: check it
ELSEWHERE = "in_progress_elsewhere"  # another run holds this reference

_MONEY_TEXT = {
    NOTHING_SENT: "Nothing was sent; no money moved.",
    NOT_CHARGED: "Nothing was charged.",
    NO_MONEY: "No money moved.",
    UNKNOWN: "The outcome is unknown: check the terminal before charging again.",
    ELSEWHERE: "This run sent nothing; the other run's outcome is the one that counts.",
}

#: Codes of failures found before anything was sent (our own checks, the journal).
_BEFORE_SENDING = frozenset(
    {
        "invalid_input",
        "invalid_amount",
        "amount_above_cap",
        "unsupported",
        "unresolved_transaction",
        "journal_error",
        "wrong_kind",
        "unidentified",
    }
)

# code -> (what happened, what to do); ``{address}`` is the terminal's address.
_TEXTS: dict[str, tuple[str, str]] = {
    "cannot_connect": (
        "Could not reach the terminal at {address}",
        "Check that it is switched on and on the network, and --host/--port.",
    ),
    "timeout": (
        "The terminal at {address} did not answer in time",
        "Check the terminal and the network, or raise --request-timeout.",
    ),
    "invalid_auth": (
        "The terminal at {address} rejected the credentials",
        "Check {credentials}.",
    ),
    "rate_limited": (
        "The terminal asked for fewer requests (rate limited)",
        "Wait {retry} and try again.",
    ),
    "busy": (
        "The terminal is busy with another transaction",
        "Wait until it is idle, then try again.",
    ),
    "device_offline": (
        "The payment device is offline",
        "Switch it on and connect it, then try again.",
    ),
    "unknown_device": (
        "The Payment Engine does not know this device",
        "Check --device-key.",
    ),
    "low_battery": (
        "The terminal's battery is too low to take a payment",
        "Charge it, then try again.",
    ),
    "request_timed_out": (
        "The payment request timed out before the customer paid",
        "Start a new payment if the customer still wants to pay.",
    ),
    "not_found": (
        "The terminal has no such transaction or request",
        "Check the id: a reference of ours, or the terminal's own transaction id.",
    ),
    "not_started": (
        "The terminal never started the transaction",
        "Try again.",
    ),
    "device_error": (
        "The terminal reported an error",
        "Check the terminal's screen, then try again.",
    ),
    "printer_error": (
        "The terminal's printer failed (missing or out of paper?)",
        "Check the printer, then try again.",
    ),
    "invalid_response": (
        "The terminal answered something its API does not allow",
        "Check --kind and the address (is this the terminal you meant?).",
    ),
    "journal_error": ("The journal cannot be used", "Check --journal (or KINETIC_JOURNAL)."),
    "unresolved_transaction": (
        "An earlier transaction on this terminal has no confirmed outcome",
        "Resume it with --reference {reference}, or check the terminal and run "
        "'kinetic abandon {reference} --yes'.",
    ),
    "wrong_kind": ("", "Give --kind {right}, or leave --kind out: kinetic then asks."),
    "unidentified": (
        "",
        "Check --host and --port, or give --kind if the terminal does not say what it is.",
    ),
    "claim_lost": (
        "Another run of kinetic took this reference over",
        "Run the same command again later to see its outcome.",
    ),
}
_REFUSED = ("The terminal refused the request", "Check the request, then try again.")
_INVALID = ("", "Correct the command and try again.")
# Exception class names never reach the user (some messages carry them for the logs).
_CLASS_NAME = re.compile(r"\s*\(?\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*(?:Error|Exception)\b\)?:?")


@dataclass(frozen=True, slots=True)
class Failure:
    """One reported failure: its code, the line to print, and what happened to money."""

    code: str
    message: str
    money: str


def _clean(text: str) -> str:
    return _CLASS_NAME.sub("", text).strip().rstrip(".")


def describe(
    err: KineticError,
    *,
    address: str,
    moves_money: bool,
    credentials: str = "the credentials",
) -> Failure:
    """Say what ``err`` means for a command on the terminal at ``address``."""
    code = err.code
    detail = _clean(err.message)
    if code in _BEFORE_SENDING:
        money = NOTHING_SENT
    elif code == "claim_lost":
        money = ELSEWHERE
    else:
        money = NOT_CHARGED if moves_money else NO_MONEY
    what, todo = _TEXTS.get(code) or (_INVALID if code in _BEFORE_SENDING else _REFUSED)
    if code == "journal_error":
        what = detail  # names the file
    elif not what:
        what = detail
    elif code in ("not_found", "request_rejected", "validation", "device_error", "not_started"):
        what = f"{what}: {detail}" if detail and detail != what else what
    retry_after = err.retry_after if isinstance(err, KineticRateLimitError) else None
    todo = todo.format(
        address=address,
        credentials=credentials,
        retry=f"{retry_after:g} s" if retry_after else "a moment",
        reference=getattr(err, "reference", "REFERENCE"),
        right=getattr(err, "right_kind", "auto"),
    )
    line = f"{what.format(address=address)}. {_MONEY_TEXT[money]} {todo}"
    return Failure(code=code, message=line, money=money)
