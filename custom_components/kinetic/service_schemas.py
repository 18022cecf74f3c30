"""The payment actions' names, fields and schemas (services.yaml describes them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import voluptuous as vol
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.helpers import config_validation as cv

from kinetic_integration import PRINT_RANGES, Capability, ReceiptCopy

from .pay_request_fields import PAY_REQUEST_FIELDS, TIMEOUT_FIELD

SERVICE_START_SALE = "start_sale"
SERVICE_AUTHORIZE = "authorize"
SERVICE_GET_TRANSACTION = "get_transaction"
SERVICE_REFUND = "refund"
SERVICE_REVERSE = "reverse"
SERVICE_RECONCILE = "reconcile"
SERVICE_PRINT_RECEIPT = "print_receipt"
SERVICE_PRINT_TEXT = "print_text"
SERVICE_SEND_OFFLINE = "send_offline_transactions"
SERVICE_CANCEL = "cancel"

#: What a terminal must be able to do for each action that names one; services.yaml's
#: device pickers offer only the kinds that can (a test keeps the two in step).
SERVICE_GET_TRANSACTIONS = "get_transactions"
SERVICE_GET_RECEIPT = "get_receipt"
ACTION_CAPABILITIES = {
    SERVICE_START_SALE: Capability.SALE,
    SERVICE_AUTHORIZE: Capability.AUTHORIZE,
    SERVICE_REFUND: Capability.REFUND,
    SERVICE_REVERSE: Capability.REVERSAL,
    SERVICE_RECONCILE: Capability.RECONCILIATION,
    SERVICE_PRINT_RECEIPT: Capability.RECEIPTS,
    SERVICE_PRINT_TEXT: Capability.PRINT,
    SERVICE_SEND_OFFLINE: Capability.OFFLINE_TRANSACTIONS,
    SERVICE_CANCEL: Capability.CANCEL,
    SERVICE_GET_TRANSACTIONS: Capability.TRANSACTION_HISTORY,
    SERVICE_GET_RECEIPT: Capability.RECEIPTS,
}

ATTR_AMOUNT = "amount"
ATTR_TIP = "tip"
ATTR_CASHBACK = "cashback"
ATTR_REFERENCE = "reference"
ATTR_TABLE = "table"
ATTR_ORDER_ID = "order_id"
ATTR_CLERK = "clerk"
ATTR_DESCRIPTION = "description"
ATTR_WAIT = "wait"
ATTR_ALLOW_DUPLICATE = "allow_duplicate"
ATTR_OFFLINE = "offline"
ATTR_EXTRA = "payment_engine_fields"
ATTR_TRANSACTION_ID = "transaction_id"
ATTR_ORIGINAL_REFERENCE = "original_reference"
ATTR_COPY = "copy"
ATTR_LINES = "lines"

# Amounts stay as given: the library's parser decides (never a float's guess).
_AMOUNT = vol.Any(str, int, float, Decimal)
_TEXT = vol.All(cv.string, vol.Length(min=1, max=64))

START_SALE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_AMOUNT): _AMOUNT,
        vol.Optional(ATTR_TIP): _AMOUNT,
        vol.Optional(ATTR_CASHBACK): _AMOUNT,
        vol.Optional(ATTR_REFERENCE): cv.string,
        vol.Optional(ATTR_TABLE): _TEXT,
        vol.Optional(ATTR_ORDER_ID): _TEXT,
        vol.Optional(ATTR_CLERK): _TEXT,
        vol.Optional(ATTR_DESCRIPTION): vol.All(cv.string, vol.Length(max=255)),
        vol.Optional(ATTR_WAIT, default=True): cv.boolean,
        vol.Optional(ATTR_ALLOW_DUPLICATE, default=False): cv.boolean,
        vol.Optional(ATTR_OFFLINE, default=False): cv.boolean,
        vol.Optional(ATTR_EXTRA): vol.Schema({cv.string: object}),
        **PAY_REQUEST_FIELDS,
        **TIMEOUT_FIELD,
    }
)
#: A pre-authorisation (Payment Engine ``authonly``): no tip, cashback, table or duplicate
#: check of a sale; recorded as an authorisation.
AUTHORIZE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_AMOUNT): _AMOUNT,
        vol.Optional(ATTR_REFERENCE): cv.string,
        vol.Optional(ATTR_ORDER_ID): _TEXT,
        vol.Optional(ATTR_CLERK): _TEXT,
        vol.Optional(ATTR_DESCRIPTION): vol.All(cv.string, vol.Length(max=255)),
        vol.Optional(ATTR_WAIT, default=True): cv.boolean,
        vol.Optional(ATTR_EXTRA): vol.Schema({cv.string: object}),
        **PAY_REQUEST_FIELDS,
        **TIMEOUT_FIELD,
    }
)
GET_TRANSACTION_SCHEMA = vol.Schema({vol.Required(ATTR_REFERENCE): cv.string})
DEVICE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})
REFUND_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_AMOUNT): _AMOUNT,
        vol.Optional(ATTR_REFERENCE): cv.string,
        # The journal reference of the sale this refund returns (the refund rules).
        vol.Optional(ATTR_ORIGINAL_REFERENCE): vol.All(cv.string, vol.Length(min=1)),
        vol.Optional(ATTR_WAIT, default=True): cv.boolean,
    }
)
REVERSE_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_TRANSACTION_ID): cv.string,
        vol.Optional(ATTR_REFERENCE): cv.string,
        vol.Optional(ATTR_WAIT, default=True): cv.boolean,
    }
)
RECONCILE_SCHEMA = DEVICE_SCHEMA.extend({vol.Optional(ATTR_WAIT, default=True): cv.boolean})
PRINT_RECEIPT_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_REFERENCE): cv.string,
        vol.Optional(ATTR_COPY, default=ReceiptCopy.MERCHANT.value): vol.In(
            [copy.value for copy in ReceiptCopy]
        ),
    }
)
# The seed's text attributes: for every line (top level) or one line (a mapping).
PRINT_FLAGS = ("underline", "strikethru", "reverse")
ATTR_FAMILY = "family"
ATTR_TEXT = "text"
_PRINT_ATTRIBUTES: dict[vol.Marker, Any] = {
    **{
        vol.Optional(name): vol.All(vol.Coerce(int), vol.Range(min=allowed[0], max=allowed[-1]))
        for name, allowed in PRINT_RANGES.items()
    },
    **{vol.Optional(name): cv.boolean for name in PRINT_FLAGS},
    vol.Optional(ATTR_FAMILY): vol.All(cv.string, vol.Length(min=1, max=32)),
}
_PRINT_LINE = vol.Any(
    cv.string, vol.Schema({vol.Required(ATTR_TEXT): cv.string, **_PRINT_ATTRIBUTES})
)
PRINT_TEXT_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_LINES): vol.All(
            cv.ensure_list, [_PRINT_LINE], vol.Length(min=1, max=200)
        ),
        **_PRINT_ATTRIBUTES,
    }
)
CANCEL_SCHEMA = DEVICE_SCHEMA.extend({vol.Required(ATTR_REFERENCE): cv.string})
