"""The pay request rules of seed 004 the simulated engine enforces, and its options.

- ``amount_detail``: if ``subtotal`` is sent, amount = subtotal - discount + shipping +
  duty + tax (else HTTP 400, ``errorcode`` 0);
- ``custom_flow``: known screens, payment and result present, payment and amount before
  result, signature and signature_required after it;
- ``invoice``: 11 characters at most;
- partial authorisation: with ``available_funds`` set, a sale above them is approved for
  the funds (``result_code`` "P", ``auth_amount`` the funds) when the request carries
  ``amount_detail.enable_partialauth``, else declined;
- duplicate folding (an option of the API key, off by default): a request for the same
  command, amount, device, order id and invoice as an approved one within the window is
  answered with that transaction, ``is_duplicate`` "Y", and charges nothing;
  ``ignore_duplicate`` bypasses it;
- ``save_card``: an approved transaction carries ``savedcard {type, key, cardnumber}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .payment_engine_documents import PayRequest
from .wire_money import decimal_amount

_SCREENS = frozenset({"payment", "amount", "result", "signature", "signature_required"})
_BEFORE_RESULT = frozenset({"payment", "amount"})
_AFTER_RESULT = frozenset({"signature", "signature_required"})
_INVOICE_MAX = 11
_TRUE = (True, "true", "1", 1, "Y", "y")


def flag(body: Mapping[str, Any], name: str) -> bool:
    """Whether a yes/no request parameter is set."""
    return body.get(name, False) in _TRUE


def request_error(body: Mapping[str, Any], amount: Decimal) -> str | None:
    """Return why the engine refuses the pay request body, or None."""
    detail = body.get("amount_detail")
    if detail is not None and not isinstance(detail, dict):
        return "amount_detail must be an object"
    if isinstance(detail, dict) and "subtotal" in detail:
        parts = {
            name: decimal_amount(detail.get(name, "0"))
            for name in ("subtotal", "discount", "shipping", "duty", "tax")
        }
        if any(value is None for value in parts.values()):
            return "amount_detail amounts must be decimal strings"
        p = {name: value or Decimal(0) for name, value in parts.items()}
        if p["subtotal"] - p["discount"] + p["shipping"] + p["duty"] + p["tax"] != amount:
            return "amount must equal subtotal - discount + shipping + duty + tax"
    if len(str(body.get("invoice", ""))) > _INVOICE_MAX:
        return "invoice is limited to 11 characters"
    flow = body.get("custom_flow")
    return None if flow is None else _flow_error(str(flow))


def _flow_error(flow: str) -> str | None:
    screens = [part.strip() for part in flow.split(",")]
    if any(screen not in _SCREENS for screen in screens) or len(set(screens)) != len(screens):
        return "custom_flow names an unknown screen or one twice"
    if "payment" not in screens or "result" not in screens:
        return "custom_flow must include payment and result"
    result = screens.index("result")
    for position, screen in enumerate(screens):
        if (screen in _BEFORE_RESULT and position > result) or (
            screen in _AFTER_RESULT and position < result
        ):
            return f"custom_flow: {screen} is on the wrong side of result"
    return None


def partial_allowed(body: Mapping[str, Any]) -> bool:
    """Whether the request asks for partial authorisation (the parameter's presence)."""
    detail = body.get("amount_detail")
    return isinstance(detail, dict) and "enable_partialauth" in detail


def funds_decision(funds: Decimal | None, pay: PayRequest) -> tuple[Decimal | None, bool]:
    """Return the amount the customer's funds authorise (None: decline) and if partial.

    With no limit (``funds`` None), or a refund, or enough funds: the amount asked for.
    """
    if funds is None or pay.command == "refund" or pay.amount <= funds:
        return pay.amount, False
    if partial_allowed(pay.params):
        return funds, True
    return None, False


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """What makes two pay requests the same charge for duplicate folding."""

    device: str
    command: str
    amount: Decimal
    orderid: str
    invoice: str

    @classmethod
    def of(
        cls, device: str, command: str, amount: Decimal, body: Mapping[str, Any]
    ) -> DuplicateKey:
        """Return the key of a request body."""
        return cls(
            device, command, amount, str(body.get("orderid", "")), str(body.get("invoice", ""))
        )


def folded_into(
    requests: Iterable[PayRequest],
    device: str,
    command: str,
    amount: Decimal,
    body: Mapping[str, Any],
) -> PayRequest | None:
    """Return the approved request a new one folds into (folding on), if any."""
    if flag(body, "ignore_duplicate"):
        return None
    key = DuplicateKey.of(device, command, amount, body)
    for pay in requests:
        txn = pay.txn
        same = DuplicateKey.of(pay.pe_device.key, pay.command, pay.amount, pay.params)
        if same == key and txn is not None and txn.result == "approved":
            return pay.duplicate_of or pay
    return None
