"""What a payment action's fields become: pass-through fields and journal details."""

from __future__ import annotations

from typing import Any

from kinetic_integration import Capability, Terminal

from .service_schemas import ATTR_CLERK, ATTR_DESCRIPTION, ATTR_EXTRA, ATTR_ORDER_ID, ATTR_TABLE


def passthrough(terminal: Terminal, data: Any) -> dict[str, Any]:
    """Fields the Payment Engine takes with the request (the others keep them for us)."""
    extra: dict[str, Any] = dict(data.get(ATTR_EXTRA) or {})
    if not terminal.supports(Capability.PASSTHROUGH):
        # Other kinds take no extra fields: the library refuses them by the kind's name.
        return extra
    if data.get(ATTR_TABLE):
        extra.setdefault("table", data[ATTR_TABLE])
    if data.get(ATTR_DESCRIPTION):
        extra["description"] = data[ATTR_DESCRIPTION]
    if data.get(ATTR_CLERK):
        extra["clerk"] = data[ATTR_CLERK]
    if data.get(ATTR_ORDER_ID):
        # The seed's orderid: "Merchant assigned order ID" (our reference rides along).
        extra["orderid"] = data[ATTR_ORDER_ID]
    return extra


def sale_details(data: Any) -> dict[str, Any]:
    """Return what the journal keeps of what the transaction was for."""
    return {
        key: data[key]
        for key in (ATTR_TABLE, ATTR_ORDER_ID, ATTR_CLERK, ATTR_DESCRIPTION)
        if data.get(key)
    }
