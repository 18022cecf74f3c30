"""The filter that turns Home Assistant's deprecation reports into test failures."""

from __future__ import annotations

import logging

from tests.deprecations import deprecation_reports, is_deprecation_report


def _record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_frame_reports_about_kinetic_count() -> None:
    report = _record(
        "homeassistant.helpers.frame",
        logging.WARNING,
        "Detected that custom integration 'kinetic' calls `device_registry.async_get_device`, "
        "which is deprecated at custom_components/kinetic/payments.py, line 110",
    )
    assert is_deprecation_report(report)
    assert deprecation_reports([report]) == [f"homeassistant.helpers.frame WARNING: {report.msg}"]


def test_a_listener_reload_report_counts_without_the_word_deprecated() -> None:
    report = _record(
        "homeassistant.helpers.frame",
        logging.WARNING,
        "Detected that custom integration 'kinetic' has an update listener and should use it "
        "for scheduling a reload. This will stop working in Home Assistant 2026.12.0",
    )
    assert is_deprecation_report(report)


def test_our_own_deprecation_warnings_count() -> None:
    assert is_deprecation_report(
        _record("kinetic_integration.client", logging.WARNING, "x is deprecated")
    )
    assert is_deprecation_report(
        _record("custom_components.kinetic.sensor", logging.ERROR, "Deprecated unit")
    )


def test_other_integrations_and_debug_lines_do_not_count() -> None:
    other = _record(
        "homeassistant.helpers.frame",
        logging.WARNING,
        "Detected that integration 'met' calls a deprecated helper",
    )
    debug = _record("custom_components.kinetic", logging.DEBUG, "deprecated field ignored")
    unrelated = _record("custom_components.kinetic", logging.WARNING, "terminal unreachable")
    assert deprecation_reports([other, debug, unrelated]) == []
