"""One shape for what every kind reports about a card and its money.

The three APIs describe the same sale differently: a masked card number as
``4***********0119``, ``**** **** **** 0119`` or ``4xxxxxxxxxxx0119``; the card's
network as a contactless kernel (``visa-qvsdc``), an application label
(``VISA CREDIT``) or a card type (``Visa``); the authorisation code as the receipt
text ``AUTH CODE:8CF18C``, or ``Declined`` / ``000000`` on a refusal. The functions
here turn each into one form; :class:`~.common.Transaction` applies them when it is
built, so every surface (library, Home Assistant, CLI) shows the same thing.

The raw values stay on the wire models (``GoTransaction.card_scheme``,
``DsTransaction.card_network``, ``PeTransaction.card_type``) for whoever needs them;
the shared :class:`~.common.Transaction` carries only the normalised ones.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class CardNetwork(StrEnum):
    """The card networks a transaction reports, whatever the terminal called them."""

    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    MAESTRO = "maestro"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    #: A card the terminal named, but not one of the networks above (Interac, MEPS,
    #: Diners, an ``unknown (%x)`` kernel ...).
    OTHER = "other"


#: Whole raw values, lower-cased: every value the seeds and the simulator produce.
_NETWORKS: dict[str, CardNetwork] = {
    # Kinetic Go ``card_details.scheme`` (the contactless/contact kernel).
    "visa-old-us": CardNetwork.VISA,
    "visa-wave-2": CardNetwork.VISA,
    "visa-qvsdc": CardNetwork.VISA,
    "visa-msd": CardNetwork.VISA,
    "paypass-magstripe": CardNetwork.MASTERCARD,
    "paypass-mchip": CardNetwork.MASTERCARD,
    "jcb-wave-2": CardNetwork.JCB,
    "jcb-qvsdc": CardNetwork.JCB,
    "jcb-emv": CardNetwork.JCB,
    "jcb-msd": CardNetwork.JCB,
    "jcb-legacy": CardNetwork.JCB,
    "amex-emv": CardNetwork.AMEX,
    "amex-magstripe": CardNetwork.AMEX,
    "discover-zip": CardNetwork.DISCOVER,
    "discover-dpas": CardNetwork.DISCOVER,
    "discover-magstripe": CardNetwork.DISCOVER,
    "interac-flash": CardNetwork.OTHER,
    "meps-mccs": CardNetwork.OTHER,
    "cup-qpboc": CardNetwork.UNIONPAY,
    # DeviceService ``CardNetwork`` ("e.g. visa or mastercard").
    "visa": CardNetwork.VISA,
    "mastercard": CardNetwork.MASTERCARD,
    # Payment Engine ``creditcard.cardtype`` (names and USAePay's one-letter codes).
    "master card": CardNetwork.MASTERCARD,
    "american express": CardNetwork.AMEX,
    "v": CardNetwork.VISA,
    "m": CardNetwork.MASTERCARD,
    "a": CardNetwork.AMEX,
    "ds": CardNetwork.DISCOVER,
    "j": CardNetwork.JCB,
}

#: Words inside a value no table entry matched (application labels such as
#: ``VISA CREDIT`` or ``DEBIT MASTERCARD``, other spellings of a card type).
#: Maestro is looked for before Mastercard: ``MAESTRO`` labels are Mastercard's debit.
_WORDS: tuple[tuple[str, CardNetwork], ...] = (
    ("maestro", CardNetwork.MAESTRO),
    ("visa", CardNetwork.VISA),
    ("electron", CardNetwork.VISA),
    ("vpay", CardNetwork.VISA),
    ("mastercard", CardNetwork.MASTERCARD),
    ("paypass", CardNetwork.MASTERCARD),
    ("mc", CardNetwork.MASTERCARD),
    ("amex", CardNetwork.AMEX),
    ("american", CardNetwork.AMEX),
    ("discover", CardNetwork.DISCOVER),
    ("jcb", CardNetwork.JCB),
    ("unionpay", CardNetwork.UNIONPAY),
    ("cup", CardNetwork.UNIONPAY),
)

_WORD = re.compile(r"[a-z]+")
_AUTH_PREFIX = re.compile(r"^\s*auth(?:orisation|orization)?\s*code\s*:?\s*", re.IGNORECASE)
_PAN_SEPARATORS = re.compile(r"[\s.-]")
_ZERO = Decimal("0.00")


def card_network(raw: str | None) -> CardNetwork | None:
    """Return the network a raw scheme, label or card type names (None if none given).

    A value that names no network of the list is ``other``: the terminal read a card,
    we only cannot say whose.
    """
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower()
    known = _NETWORKS.get(value)
    if known is not None:
        return known
    words = _WORD.findall(value.replace("v pay", "vpay"))
    for word, network in _WORDS:
        if word in words:
            return network
    return CardNetwork.OTHER


def mask_pan(value: str | None) -> str | None:
    """Return a card number as ``**** 0119``: its last four digits, never more.

    Accepts every masked form the terminals send (and a full number a misbehaving
    one might). A value that does not end in four digits shows no card number at
    all, so None.
    """
    if value is None:
        return None
    last_four = _PAN_SEPARATORS.sub("", value)[-4:]
    if len(last_four) == 4 and last_four.isascii() and last_four.isdigit():
        return f"**** {last_four}"
    return None


def auth_code(raw: str | None, *, approved: bool) -> str | None:
    """Return the authorisation code of an approved transaction, else None.

    The DeviceService sends the receipt text (``AUTH CODE:8CF18C``): the prefix goes.
    A declined or failed transaction has no authorisation, whatever text or
    placeholder (``Declined``, ``Transaction Void``, ``000000``) the terminal put there.
    """
    if not approved or raw is None:
        return None
    code = _AUTH_PREFIX.sub("", raw).strip()
    return code or None


class Money(NamedTuple):
    """A transaction's tip, cashback and total, by one rule (see :func:`money`)."""

    tip: Decimal | None
    cashback: Decimal | None
    total: Decimal | None


def money(
    amount: Decimal | None,
    *,
    tip: Decimal | None,
    cashback: Decimal | None,
    total: Decimal | None,
) -> Money:
    """Return tip, cashback and total of a transaction in the one shape.

    Where the amount is known, ``tip`` and ``cashback`` are Decimals: what the terminal
    (or our request) reported, else 0.00 since none was added. ``total`` is the
    terminal's own total where it reports one, else amount + tip + cashback. Where the
    amount is not known (nothing reported yet), all three stay as reported.
    """
    if amount is None:
        return Money(tip, cashback, total)
    tip = _ZERO if tip is None else tip
    cashback = _ZERO if cashback is None else cashback
    return Money(tip, cashback, amount + tip + cashback if total is None else total)
