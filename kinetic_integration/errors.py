"""The one exception tree of the library.

Callers catch :class:`KineticError` or one of its subclasses, never aiohttp's or
voluptuous' exceptions: the clients translate everything at their edge.

Every class carries a stable ``code`` (a short snake_case string) that frontends
such as the Home Assistant integration use as a translation key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field-level complaint from a terminal (or from our own validation)."""

    field: str | None
    code: str
    message: str


class KineticError(Exception):
    """Base of every error raised by this library."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str = "", *, details: str | None = None) -> None:
        """Store a human-readable message and optional details from the terminal."""
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.details = details


# --- Talking to the terminal -------------------------------------------------


class KineticConnectionError(KineticError):
    """The terminal could not be reached, or the connection broke mid-request."""

    code = "cannot_connect"


class KineticTimeoutError(KineticConnectionError):
    """The terminal did not answer within the request timeout."""

    code = "timeout"


class KineticAuthenticationError(KineticError):
    """The terminal or the cloud rejected our credentials."""

    code = "invalid_auth"


class KineticInvalidResponseError(KineticError):
    """The terminal answered something that does not match its documented API."""

    code = "invalid_response"


class KineticRateLimitError(KineticError):
    """Too many requests (HTTP 429); back off before trying again."""

    code = "rate_limited"

    def __init__(
        self, message: str = "", *, retry_after: float | None = None, details: str | None = None
    ) -> None:
        """Remember how long the server asked us to wait, when it said so."""
        super().__init__(message, details=details)
        self.retry_after = retry_after


# --- Our own checks, before anything is sent ---------------------------------


class KineticInputError(KineticError):
    """The caller's input is invalid; nothing was sent to the terminal."""

    code = "invalid_input"


class InvalidAmountError(KineticInputError):
    """The amount is not a plain positive decimal with at most two places, or above the cap."""

    code = "invalid_amount"


class AmountAboveCapError(InvalidAmountError):
    """The amount is above the configured per-transaction cap."""

    code = "amount_above_cap"


class UnsupportedOperationError(KineticInputError):
    """The terminal's kind cannot do what was asked; nothing was sent.

    ``capability`` names what was asked (a ``Capability`` value such as ``"refund"``)
    when known, so a frontend can say it in its own words.
    """

    code = "unsupported"

    def __init__(
        self, message: str = "", *, capability: str | None = None, details: str | None = None
    ) -> None:
        """Remember which capability was missing, when known."""
        super().__init__(message, details=details)
        self.capability = capability


# --- What the terminal told us -----------------------------------------------


class KineticRequestError(KineticError):
    """The terminal refused the request; nothing was done."""

    code = "request_rejected"

    def __init__(
        self,
        message: str = "",
        *,
        field_errors: tuple[FieldError, ...] = (),
        details: str | None = None,
    ) -> None:
        """Keep the field errors the terminal listed, if any."""
        super().__init__(message, details=details)
        self.field_errors = field_errors


class KineticValidationError(KineticRequestError):
    """The terminal rejected a field of the request (HTTP 400 with field errors)."""

    code = "validation"


class KineticNotFoundError(KineticRequestError):
    """The transaction, request or device does not exist on the terminal."""

    code = "not_found"


class KineticDeviceBusyError(KineticRequestError):
    """The terminal is processing another transaction (DeviceBusy, 21146, in progress)."""

    code = "busy"


class KineticDuplicateTransactionError(KineticRequestError):
    """A transaction with this id already exists: recover it, never charge again."""

    code = "duplicate"


class KineticDeviceError(KineticRequestError):
    """The terminal reported an internal or hardware error."""

    code = "device_error"


class KineticPrinterError(KineticDeviceError):
    """The printer is missing or out of paper."""

    code = "printer_error"


class KineticNotStartedError(KineticRequestError):
    """The terminal shows it never started the transaction; nothing was charged.

    Concluded only where the terminal's own documentation allows it (see the kind's
    ``_never_started``), never from silence alone.
    """

    code = "not_started"


class KineticDeviceOfflineError(KineticRequestError):
    """The payment device is offline (Payment Engine 21145)."""

    code = "device_offline"


class KineticUnknownDeviceError(KineticRequestError):
    """The Payment Engine does not know this device key (21121)."""

    code = "unknown_device"


class KineticRequestTimedOutError(KineticRequestError):
    """The Payment Engine request timed out before the customer paid (21144)."""

    code = "request_timed_out"


class KineticLowBatteryError(KineticRequestError):
    """The payment terminal's battery is too low to take a payment (21143)."""

    code = "low_battery"


class UnresolvedTransactionError(KineticInputError):
    """An earlier transaction on this terminal has no confirmed outcome yet.

    Nothing was sent. Resume the earlier one with its reference before starting another.
    """

    code = "unresolved_transaction"

    def __init__(self, message: str = "", *, reference: str, details: str | None = None) -> None:
        """Remember which reference is still unresolved."""
        super().__init__(message, details=details)
        self.reference = reference


class KineticReferenceMismatchError(KineticInvalidResponseError):
    """The terminal answered for a different transaction id than the one we sent.

    ``returned_id`` is the id the terminal used: recover the outcome by it, never
    charge again. ``transaction`` holds the parsed result when there was one.
    """

    code = "reference_mismatch"

    def __init__(
        self,
        message: str = "",
        *,
        expected_id: str,
        returned_id: str | None,
        transaction: object | None = None,
        details: str | None = None,
    ) -> None:
        """Keep both ids (and the parsed transaction) for recovery."""
        super().__init__(message, details=details)
        self.expected_id = expected_id
        self.returned_id = returned_id
        self.transaction = transaction
