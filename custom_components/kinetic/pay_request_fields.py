"""The Payment Engine's pay request fields as dedicated action fields (seed 004).

``start_sale`` and ``authorize`` take them by name; they go to the library as
pass-through fields (``order_id`` as ``orderid``, ``enable_partialauth`` inside
``amount_detail``). A kind without pass-through fields refuses them through the library,
translated, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.helpers import config_validation as cv

ATTR_PROMPT_TIP = "prompt_tip"
ATTR_SAVE_CARD = "save_card"
ATTR_MANUAL_KEY = "manual_key"
ATTR_BLOCK_OFFLINE = "block_offline"
ATTR_ENABLE_PARTIALAUTH = "enable_partialauth"
ATTR_INVOICE = "invoice"
ATTR_PONUM = "ponum"
ATTR_TIMEOUT = "timeout"

#: The seed: "invoice: Invoice number (11 chars max)".
INVOICE_MAX = 11
#: Flags sent as themselves (true or false: each is a plain yes/no of the seed).
_FLAGS = (ATTR_PROMPT_TIP, ATTR_SAVE_CARD, ATTR_MANUAL_KEY, ATTR_BLOCK_OFFLINE)
#: Texts sent as themselves.
_TEXTS = (ATTR_INVOICE, ATTR_PONUM)

#: The schema of the dedicated fields (added to the sale and authorise actions).
PAY_REQUEST_FIELDS: dict[vol.Marker, Any] = {
    **{vol.Optional(name): cv.boolean for name in _FLAGS},
    vol.Optional(ATTR_ENABLE_PARTIALAUTH): cv.boolean,
    vol.Optional(ATTR_INVOICE): vol.All(cv.string, vol.Length(min=1, max=INVOICE_MAX)),
    vol.Optional(ATTR_PONUM): vol.All(cv.string, vol.Length(min=1, max=64)),
}
#: How long the customer has, in seconds (every kind: the pay request's own timeout on
#: the Payment Engine, the card wait on the others).
#: Checked by the action against the library's bounds (``card_wait``: a translated
#: refusal before anything is journaled or sent).
TIMEOUT_FIELD: dict[vol.Marker, Any] = {vol.Optional(ATTR_TIMEOUT): vol.Any(int, float, str)}


def pay_request_extra(data: Mapping[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Add the dedicated fields the action got to the pass-through ``extra``."""
    for name in (*_FLAGS, *_TEXTS):
        if name in data:
            extra[name] = data[name]
    if data.get(ATTR_ENABLE_PARTIALAUTH):
        # The seed: the parameter's presence enables it (false is simply not sent).
        detail = dict(extra.get("amount_detail") or {})
        detail["enable_partialauth"] = True
        extra["amount_detail"] = detail
    return extra
