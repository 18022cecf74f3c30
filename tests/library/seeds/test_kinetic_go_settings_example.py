"""The Kinetic Go 2 seed's settings.json and the document fields read since issue 14."""

from __future__ import annotations

from datetime import UTC, datetime

from kinetic_integration.models import GoSettings, GoTransaction
from tests.library.seeds.examples import seed_json

_AMOUNTS = {"amount": 1234, "amount_other": 0, "tip_amount": 100, "total_amount": 1334}


def test_settings_example() -> None:
    settings = GoSettings.from_dict(seed_json("kinetic_go/settings.200.jsonc")["settings"])
    assert settings == GoSettings(
        host_module="dummy",
        host_address="123.123.123.123",
        host_port=23215,
        terminal_id="12345678",
        merchant_id="87654321",
        deferred_auth_enabled=False,
        # Every line of the example is blank: nothing to print.
        receipt_header=(),
        receipt_footer=(),
    )


def test_settings_receipt_lines_host_module_first_then_defaults() -> None:
    settings = GoSettings.from_dict(
        {
            "host": {"module": "acme"},
            "acme": {"receipt": {"header": {"line2": "High St", "line1": "Cafe", "line3": ""}}},
            "receipt": {
                "header": {"line1": "ignored: the host module has its own"},
                "footer": {"line1": "Thanks", "line2": "", "line3": "Bye", "line4": ""},
            },
            "webserver.http.enabled": False,
            "webserver.http.port": "8081",
        }
    )
    assert settings.receipt_header == ("Cafe", "High St")
    assert settings.receipt_footer == ("Thanks", "", "Bye")
    assert (settings.http_enabled, settings.http_port) == (False, 8081)
    assert settings.terminal_id is None


def test_transaction_document_flags_of_the_seed() -> None:
    document = seed_json("kinetic_go/transaction.200.jsonc")["transaction"] | _AMOUNTS
    txn = GoTransaction.from_dict(document)
    # The seed's values are type names ("boolean", "number"): read as unknown, not guessed.
    assert txn.is_fallback is None
    assert txn.num_deferred_auth_attempts is None
    assert txn.terminal_online_decision == "approved|declined|go_online|unknown"
    assert txn.cvm_result == ("string | array",)
    document |= {
        "is_deferred_auth": True,
        "num_deferred_auth_attempts": 2,
        "last_deferred_auth_attempted_at": 1764633600,
        "is_reversed": True,
        "is_signature_required": True,
        "is_fallback": False,
        "is_force_online": True,
        "is_sca_single_tap": False,
        "is_contactless_transaction_limit_exceeded": False,
        "should_fallback": False,
        "should_retry": True,
        "attempted_sources": ["contactless", "contact_emv", 7],
        "cvm_result": ["failed", "blocked"],
    }
    txn = GoTransaction.from_dict(document)
    assert (txn.is_force_online, txn.should_retry, txn.is_fallback) == (True, True, False)
    assert txn.attempted_sources == ("contactless", "contact_emv")
    assert txn.cvm_result == ("failed", "blocked")
    common = txn.to_transaction()
    assert common.is_deferred_auth is True
    assert common.deferred_auth_attempts == 2
    assert common.last_deferred_auth_attempt_at == datetime(2025, 12, 2, tzinfo=UTC)
    assert common.is_reversed is True
    assert common.signature_required is True
