"""One shape for card and money fields: the mapping tables and rules of models/normalise."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest

from kinetic_integration.models.common import (
    TerminalKind,
    Transaction,
    TransactionResult,
    TransactionType,
)
from kinetic_integration.models.normalise import CardNetwork, auth_code, card_network, mask_pan
from tests.library.seeds.examples import seed_text

#: Every raw network value the seeds and the simulator produce, and what it means.
RAW_NETWORKS = {
    # Kinetic Go card_details.scheme (the seed's whole list; the simulator sends the
    # first, third and fourth).
    "visa-old-us": CardNetwork.VISA,
    "visa-wave-2": CardNetwork.VISA,
    "visa-qvsdc": CardNetwork.VISA,
    "visa-msd": CardNetwork.VISA,
    "paypass-magstripe": CardNetwork.MASTERCARD,
    "paypass-mchip": CardNetwork.MASTERCARD,
    "jcb-wave-2": CardNetwork.JCB,
    "jcb-qvsdc": CardNetwork.JCB,
    "amex-emv": CardNetwork.AMEX,
    "amex-magstripe": CardNetwork.AMEX,
    "discover-zip": CardNetwork.DISCOVER,
    "jcb-emv": CardNetwork.JCB,
    "jcb-msd": CardNetwork.JCB,
    "jcb-legacy": CardNetwork.JCB,
    "discover-dpas": CardNetwork.DISCOVER,
    "interac-flash": CardNetwork.OTHER,
    "meps-mccs": CardNetwork.OTHER,
    "cup-qpboc": CardNetwork.UNIONPAY,
    "discover-magstripe": CardNetwork.DISCOVER,
    "unknown (%x)": CardNetwork.OTHER,
    "unknown (1f)": CardNetwork.OTHER,
    # Kinetic Go app_label (the simulator's, and common labels).
    "VISA CREDIT": CardNetwork.VISA,
    "VISA DEBIT": CardNetwork.VISA,
    "V PAY": CardNetwork.VISA,
    "DEBIT MASTERCARD": CardNetwork.MASTERCARD,
    "MAESTRO": CardNetwork.MAESTRO,
    "AMERICAN EXPRESS": CardNetwork.AMEX,
    "UNIONPAY": CardNetwork.UNIONPAY,
    # DeviceService CardNetwork (seed examples and simulator).
    "visa": CardNetwork.VISA,
    "mastercard": CardNetwork.MASTERCARD,
    # Payment Engine creditcard.cardtype (simulator, fixtures, USAePay codes).
    "Visa": CardNetwork.VISA,
    "MasterCard": CardNetwork.MASTERCARD,
    "Master Card": CardNetwork.MASTERCARD,
    "American Express": CardNetwork.AMEX,
    "Discover": CardNetwork.DISCOVER,
    "JCB": CardNetwork.JCB,
    "V": CardNetwork.VISA,
    "M": CardNetwork.MASTERCARD,
    "A": CardNetwork.AMEX,
    "DS": CardNetwork.DISCOVER,
    "Diners Club": CardNetwork.OTHER,
}


@pytest.mark.parametrize(("raw", "expected"), RAW_NETWORKS.items())
def test_every_raw_network_maps_to_the_fixed_list(raw: str, expected: CardNetwork) -> None:
    assert card_network(raw) is expected
    assert card_network(f"  {raw.upper()} ") is expected


def test_the_seed_scheme_list_is_covered() -> None:
    """Each scheme the Kinetic Go document lists is in the table above, so has a test."""
    text = seed_text("kinetic_go/transaction.200.jsonc")
    listed = re.search(r'"scheme": "([^"]*)"', text, re.DOTALL)
    assert listed is not None
    schemes = {part.strip() for part in listed.group(1).split("|")}
    assert len(schemes) == 20
    assert schemes <= set(RAW_NETWORKS)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_no_network_given_is_none(raw: str | None) -> None:
    assert card_network(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "4***********0119",  # Kinetic Go
        "**** **** **** 0119",  # DeviceService
        "4xxxxxxxxxxx0119",  # Payment Engine
        "4761739001010119",  # a full number a misbehaving terminal sent
        "4761 7390 0101 0119",
        "4761-7390-0101-0119",
        "4761.7390.0101.0119",
        "0119",
        "**** 0119",
    ],
)
def test_every_masked_form_becomes_the_last_four(raw: str) -> None:
    assert mask_pan(raw) == "**** 0119"


@pytest.mark.parametrize("raw", [None, "", "string", "4***********01**", "***9", "٠١١٩"])
def test_a_value_without_four_final_digits_shows_no_card(raw: str | None) -> None:
    assert mask_pan(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AUTH CODE:388C8A", "388C8A"),
        ("AUTH CODE: AUTHOK", "AUTHOK"),
        ("auth code:000b9d", "000b9d"),
        ("314407", "314407"),
        ("Y1", "Y1"),
        ("", None),
        ("AUTH CODE:", None),
        (None, None),
    ],
)
def test_auth_code_of_an_approval(raw: str | None, expected: str | None) -> None:
    assert auth_code(raw, approved=True) == expected


@pytest.mark.parametrize("raw", ["Declined", "Transaction Void", "000000", "AUTH CODE:388C8A"])
def test_no_auth_code_without_an_approval(raw: str) -> None:
    assert auth_code(raw, approved=False) is None


def _txn(**changes: object) -> Transaction:
    values: dict[str, object] = {
        "kind": TerminalKind.DEVICE_SERVICE,
        "reference": "r1",
        "type": TransactionType.SALE,
        "result": TransactionResult.APPROVED,
        "amount": Decimal("12.50"),
    }
    values.update(changes)
    return Transaction(**values)  # type: ignore[arg-type]


def test_transaction_normalises_whoever_builds_it() -> None:
    txn = _txn(
        auth_code="AUTH CODE:388C8A", masked_pan="**** **** **** 0119", card_network="visa-qvsdc"
    )
    assert (txn.auth_code, txn.masked_pan, txn.card_network) == ("388C8A", "**** 0119", "visa")
    assert type(txn.card_network) is str
    # Normalising again (dataclasses.replace builds anew) changes nothing.
    assert dataclasses.replace(txn) == txn


@pytest.mark.parametrize(
    "result",
    [
        TransactionResult.DECLINED,
        TransactionResult.CANCELLED,
        TransactionResult.ERROR,
        TransactionResult.TIMEOUT,
        TransactionResult.PENDING,
        TransactionResult.UNKNOWN,
    ],
)
def test_auth_code_only_on_an_approved_transaction(result: TransactionResult) -> None:
    assert _txn(result=result, auth_code="000000").auth_code is None
    approved = _txn(auth_code="AUTH CODE:388C8A")
    assert dataclasses.replace(approved, result=result).auth_code is None


def test_money_rule_where_the_amount_is_known() -> None:
    """No tip reported is 0.00; total is amount + tip + cashback unless the terminal said."""
    plain = _txn()
    assert (plain.tip, plain.cashback, plain.total) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("12.50"),
    )
    tipped = _txn(tip=Decimal("2.00"), cashback=Decimal("10.00"))
    assert tipped.total == Decimal("24.50")
    reported = _txn(tip=Decimal("2.00"), total=Decimal("14.75"))
    assert reported.total == Decimal("14.75")
    for value in (plain.tip, plain.cashback, plain.total, tipped.total):
        assert isinstance(value, Decimal)


def test_money_rule_where_the_amount_is_unknown() -> None:
    """Nothing reported is nothing invented."""
    txn = _txn(result=TransactionResult.UNKNOWN, amount=None)
    assert (txn.tip, txn.cashback, txn.total) == (None, None, None)
    assert _txn(amount=None, tip=Decimal("1.00")).tip == Decimal("1.00")
