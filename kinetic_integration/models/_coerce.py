"""Tolerant voluptuous validators for terminal responses.

The seeds show numbers sent as strings, placeholder values such as
``"attempts_remaining": "number,"`` and extra keys. Money and identifiers are
validated strictly (a wrong amount must never pass); purely informative fields
degrade to ``None`` instead of failing a whole transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import voluptuous as vol

from ..errors import KineticInvalidResponseError

#: Amounts at or above this (major units) are not believed from any terminal.
MAX_API_AMOUNT = Decimal(10) ** 12
_INT_TEXT = re.compile(r"\s*-?[0-9]+\s*")


def validate(schema: vol.Schema, data: Any, what: str) -> dict[str, Any]:
    """Validate ``data`` or raise :class:`KineticInvalidResponseError` naming ``what``."""
    try:
        result = schema(data)
    except vol.Invalid as err:
        raise KineticInvalidResponseError(f"Unexpected {what}: {describe(err)}") from err
    if not isinstance(result, dict):  # pragma: no cover - every schema here is a dict
        raise KineticInvalidResponseError(f"Unexpected {what}")
    return result


def describe(err: vol.Invalid) -> str:
    """Word a validation error the same on voluptuous and on probatio.

    Home Assistant 2026.x installs probatio as ``voluptuous``; its errors carry the same
    classes, paths and (mostly) messages, but print differently. Our message is built from
    the parts both share: the first error's message and the path of keys to it, never the
    value (so card data cannot leak here).
    """
    errors = getattr(err, "errors", None) or [err]
    first = errors[0]
    if isinstance(first, vol.DictInvalid):
        message = "expected a dictionary"  # probatio: "expected a mapping"
    elif isinstance(first, vol.RequiredFieldInvalid):
        message = "required key not provided"
    else:
        message = str(first.error_message)
    if not first.path:
        return message
    return message + " @ data" + "".join(f"[{part!r}]" for part in first.path)


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        return int(value)
    raise vol.Invalid("expected an integer")


def strict_int(value: Any) -> int:
    """Read an integer, also when sent as an integral number or a string of digits."""
    return _as_int(value)


def lenient_int(value: Any) -> int | None:
    """Read an integer when it reads as one; anything else (``"number,"``) becomes None."""
    try:
        return _as_int(value)
    except vol.Invalid:
        return None


def amount(value: Any) -> Decimal:
    """Read a finite decimal amount in major units, sent as a number or a string."""
    if isinstance(value, bool) or value is None:
        raise vol.Invalid("expected an amount")
    if isinstance(value, Decimal | int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as err:
            raise vol.Invalid("expected an amount") from err
    else:
        raise vol.Invalid("expected an amount")
    if not result.is_finite():
        raise vol.Invalid("expected a finite amount")
    if abs(result) >= MAX_API_AMOUNT:
        # Nonsense no terminal charges; it would also break exact arithmetic later.
        raise vol.Invalid("amount out of range")
    return result


def lenient_bool(value: Any) -> bool | None:
    """Read a boolean, also ``"true"``/``"Y"``/``0``/``1`` and kin; anything else is None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        # "Y"/"N" is how the Payment Engine spells booleans such as is_duplicate.
        text = value.strip().lower()
        if text in ("true", "y", "yes"):
            return True
        if text in ("false", "n", "no"):
            return False
    return None


def lenient_str(value: Any) -> str | None:
    """Read a string; numbers are turned into their text, anything else becomes None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


def required_str(value: Any) -> str:
    """Read a non-empty string (identifiers); numbers are accepted as text."""
    text = lenient_str(value)
    if not text:
        raise vol.Invalid("expected a non-empty string")
    return text


def timestamp(value: Any) -> datetime | None:
    """Seconds since the Unix epoch (int, decimal or digits) as an aware UTC datetime."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = amount(value)
    except vol.Invalid:
        return None
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def optional(validator: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Let ``None`` through, otherwise apply ``validator``."""

    def check(value: Any) -> Any:
        return None if value is None else validator(value)

    return check


def lenient_mapping(value: Any) -> Mapping[str, Any] | None:
    """Read a JSON object, or None when the field is something else."""
    return value if isinstance(value, dict) else None
