"""The ``kinetic`` command's terminal configuration: defaults by kind, from the kind facts."""

from __future__ import annotations

import io

import pytest

from kinetic_integration import KINDS, KineticInputError, TerminalConfig, TerminalKind
from kinetic_integration.cli import DEFAULT_PORTS, async_main, build_parser
from kinetic_integration.cli.config import terminal_config


def _config(*argv: str) -> TerminalConfig:
    return terminal_config(build_parser(io.StringIO()).parse_args([*argv, "status"]))


@pytest.mark.parametrize(
    ("kind", "port"),
    [("kinetic-go", 8080), ("device-service", 8526), ("payment-engine", 443)],
)
def test_port_defaults_to_the_kinds_own(kind: str, port: int) -> None:
    assert _config("--kind", kind).port == port


def test_default_ports_are_the_kind_facts() -> None:
    # A local kind's own port; a cloud kind (no port of its own) is reached over https.
    expected = {
        facts.kind: facts.default_port if not facts.cloud else 443 for facts in KINDS.values()
    }
    assert dict(DEFAULT_PORTS) == expected


def test_cloud_kind_gets_a_base_url_local_kinds_do_not() -> None:
    assert _config("--kind", "payment-engine").base_url == "https://127.0.0.1:443/api/v2"
    assert (
        _config("--kind", "payment-engine", "--port", "8443").base_url
        == "http://127.0.0.1:8443/api/v2"
    )
    assert _config("--kind", "kinetic-go").base_url is None
    assert _config("--kind", "device-service", "--base-url", "x").base_url == "x"


def test_cloud_kind_refuses_plain_http_off_this_machine() -> None:
    with pytest.raises(KineticInputError, match="https"):
        _config("--kind", "payment-engine", "--host", "192.0.2.1", "--port", "80")
    # Loopback (a simulator) may be plain http.
    assert _config("--kind", "payment-engine", "--host", "localhost", "--port", "80").port == 80


async def test_help_names_every_kinds_default_port() -> None:
    out = io.StringIO()
    assert await async_main(["--help"], stdout=out, stderr=io.StringIO()) == 0
    assert "default 8080 / 8526 / 443 by kind" in out.getvalue()
    assert [kind.value for kind in DEFAULT_PORTS] == [kind.value for kind in TerminalKind]
