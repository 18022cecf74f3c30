"""The kind facts: one description of each kind that every layer asks."""

from __future__ import annotations

import pytest

from kinetic_integration import KINDS, TerminalConfig, TerminalKind, create_terminal, kind_facts
from kinetic_integration.discovery import DEFAULT_SWEEP_PORTS, identify
from kinetic_integration.discovery.zeroconf_browser import KINETIC_SERVICE_TYPE
from kinetic_integration.terminal import (
    DEFAULT_KIND,
    LOCAL_KINDS,
    local_kind_for_port,
    local_kinds_by_port,
)


def test_every_kind_has_its_facts() -> None:
    assert set(KINDS) == set(TerminalKind)
    for kind in TerminalKind:
        assert kind_facts(kind) is kind_facts(str(kind)) is KINDS[kind]
        assert kind_facts(kind).kind is kind
    with pytest.raises(ValueError, match="toaster"):
        kind_facts("toaster")


async def test_the_facts_port_is_the_one_the_terminal_uses() -> None:
    """A local kind's default port is the one its adapter connects to; a cloud kind has none."""
    for kind in TerminalKind:
        facts = kind_facts(kind)
        async with create_terminal(TerminalConfig(kind=kind, api_key="k", pin="1")) as terminal:
            if facts.cloud:
                assert facts.default_port is None
                assert facts.production_url is not None
                assert facts.sandbox_url is not None
            else:
                assert terminal.address_identity == f"{kind}:127.0.0.1:{facts.default_port}"
                assert facts.address("192.0.2.1") == f"192.0.2.1:{facts.default_port}"
    assert [facts.kind for facts in LOCAL_KINDS] == [
        TerminalKind.KINETIC_GO,
        TerminalKind.DEVICE_SERVICE,
    ]


def test_a_port_hints_at_a_local_kind() -> None:
    assert local_kind_for_port(8080) is TerminalKind.KINETIC_GO
    assert local_kind_for_port(8526) is TerminalKind.DEVICE_SERVICE
    assert local_kind_for_port(443) is None
    assert local_kinds_by_port(8526) == (TerminalKind.DEVICE_SERVICE, TerminalKind.KINETIC_GO)
    assert local_kinds_by_port(8080) == (TerminalKind.KINETIC_GO, TerminalKind.DEVICE_SERVICE)
    assert local_kinds_by_port(1) == (TerminalKind.KINETIC_GO, TerminalKind.DEVICE_SERVICE)


def test_discovery_takes_its_defaults_from_the_facts() -> None:
    """The sweep's ports and zeroconf's guess for an instance that names no kind."""
    assert DEFAULT_SWEEP_PORTS == (8080, 8526)
    assert identify(KINETIC_SERVICE_TYPE, "x", 8526, {}) is TerminalKind.DEVICE_SERVICE
    assert identify(KINETIC_SERVICE_TYPE, "x", 9999, {}) is DEFAULT_KIND
    assert DEFAULT_KIND is TerminalKind.KINETIC_GO
