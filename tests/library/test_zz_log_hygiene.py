"""No secret or card data in any DEBUG log line of the whole run (runs last)."""

from __future__ import annotations

import logging

from tests.log_hygiene import SUITE_LOG, find_secrets


def test_scanner_finds_planted_secrets() -> None:
    """The scanner itself works: each kind of secret is caught, harmless text is not."""
    lines = [
        "password hunter2 sent",
        "Authorization: Basic a2l0dGVuczphcmVzb2xvdmVseQ==",
        "card 4761739001010119 read",
        "track ;4761739001010119=2512201",
        "base64 aHVudGVyMg leaked",
        "masked 4***********0119 and ns 1763771234123456789 and amount 1234",
        "random id user_id=6333d66c6554471595967a228fc62df7 is no card",
        "timing took 0.30521662600040145 s",
        "saved card tk_AbCdEfGhIjKlMnOpQrStUvWx returned",
    ]
    found = find_secrets(lines, {"hunter2"})
    for line in [*lines[:5], lines[-1]]:
        assert any(line[:40] in item for item in found), line
    assert not any("masked" in item or "random id" in item or "timing" in item for item in found)


def test_no_secrets_in_debug_logs_of_the_suite() -> None:
    """Every record logged by every test so far is clean."""
    ours = [line for line in SUITE_LOG.lines if line.startswith("kinetic_integration")]
    # The library did log at DEBUG during the run, so the scan below saw real traffic.
    assert ours, "no DEBUG records from kinetic_integration were captured"
    assert logging.getLogger().level == logging.DEBUG
    assert find_secrets(SUITE_LOG.lines) == []
