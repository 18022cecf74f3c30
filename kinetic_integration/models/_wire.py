"""Wire models declared once per field.

Each field of a wire model names its JSON key and its validator in one place::

    @wire_model
    class DsOfflineCount:
        offline_count: int = wire("offlineCount", c.strict_int)
        stored_records: int = wire("storedRecords", c.strict_int, default=0)

A field without a default is a required key; a field with one is optional, and a
missing key leaves the field at its default (defaults are never run through the
validator, so the result does not depend on whether voluptuous or probatio, which
Home Assistant 2026.x installs as ``voluptuous``, validates defaults). ``pick`` turns
the validated value into the field's value, which lets several fields share one key
(the card of a Payment Engine transaction). :func:`from_wire` builds the voluptuous
schema once per class and the instance from the validated body. Keys not declared
are dropped (``REMOVE_EXTRA``), so card secrets never reach a model.

Request objects go the other way: :func:`sent` declares an optional parameter (sent
under the field's name, with an encoder that also validates it) and :func:`to_wire`
serialises the set ones in declaration order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

import voluptuous as vol

from ._coerce import validate

_T = TypeVar("_T")
_V = TypeVar("_V")
_M = TypeVar("_M")
_SPEC = "kinetic_integration.wire"
_ENCODE = "kinetic_integration.encode"


@dataclasses.dataclass(frozen=True, slots=True)
class _WireSpec:
    """Where a field comes from on the wire and how it is read."""

    key: str
    check: Callable[[Any], Any]
    pick: Callable[[Any], Any] | None


@overload
def wire(key: str, check: Callable[[Any], _T]) -> _T: ...
@overload
def wire(key: str, check: Callable[[Any], _T], *, default: _T) -> _T: ...
@overload
def wire(key: str, check: Callable[[Any], _V], *, pick: Callable[[_V], _T]) -> _T: ...
@overload
def wire(key: str, check: Callable[[Any], _V], *, default: _T, pick: Callable[[_V], _T]) -> _T: ...
def wire(
    key: str,
    check: Callable[[Any], Any],
    *,
    default: Any = dataclasses.MISSING,
    pick: Callable[[Any], Any] | None = None,
) -> Any:
    """Declare a field read from ``key`` by ``check`` (required unless it has a default)."""
    return dataclasses.field(default=default, metadata={_SPEC: _WireSpec(key, check, pick)})


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(wire, dataclasses.field)
)
def wire_model(cls: type[_M]) -> type[_M]:
    """Make ``cls`` a frozen, slotted, keyword-only dataclass whose fields use :func:`wire`."""
    return dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)


_Layout = tuple[vol.Schema, tuple[tuple[str, _WireSpec], ...]]
#: Per class, built on first use: the schema and which field reads which key.
_LAYOUTS: dict[type[Any], _Layout] = {}


def _layout(cls: type[Any]) -> _Layout:
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _LAYOUTS[cls] = _build_layout(cls)
    return layout


def _build_layout(cls: type[Any]) -> _Layout:
    by_key: dict[str, tuple[vol.Marker, Callable[[Any], Any]]] = {}
    fields: list[tuple[str, _WireSpec]] = []
    for field in dataclasses.fields(cls):
        spec = field.metadata.get(_SPEC)
        if spec is None:
            continue
        if spec.key in by_key and by_key[spec.key][1] is not spec.check:
            raise TypeError(f"{cls.__name__}: fields sharing {spec.key!r} need one validator")
        required = field.default is dataclasses.MISSING
        marker = vol.Required(spec.key) if required else vol.Optional(spec.key)
        by_key.setdefault(spec.key, (marker, spec.check))
        fields.append((field.name, spec))
    schema = vol.Schema(dict(by_key.values()), extra=vol.REMOVE_EXTRA)
    return schema, tuple(fields)


def from_wire(cls: type[_M], data: Any, what: str) -> _M:
    """Validate ``data`` against ``cls``'s fields and build it.

    Raises :class:`~kinetic_integration.errors.KineticInvalidResponseError` naming
    ``what`` when the body does not fit.
    """
    schema, fields = _layout(cls)
    validated = validate(schema, data, what)
    values: dict[str, Any] = {}
    for name, spec in fields:
        if spec.key in validated:
            value = validated[spec.key]
            values[name] = value if spec.pick is None else spec.pick(value)
    return cls(**values)


def sent(encode: Callable[[Any, str], Any] | None = None) -> Any:
    """Declare an optional request parameter; ``encode(value, "parent.name")`` serialises it.

    The encoder checks the value at run time too: callers are not all type-checked.
    """
    return dataclasses.field(default=None, metadata={_ENCODE: encode})


def to_wire(obj: Any, parent: str) -> dict[str, Any]:
    """Serialise ``obj``'s set parameters (unset ones are left out), encoding each in turn.

    ``parent`` names the object in input errors (``amount_detail.tip``).
    """
    body: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        encode = field.metadata.get(_ENCODE)
        if value is not None and encode is not None:
            value = encode(value, f"{parent}.{field.name}")
        if value is not None:
            body[field.name] = value
    return body
