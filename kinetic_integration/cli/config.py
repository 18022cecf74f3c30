"""The terminal configuration the ``kinetic`` command builds from its options."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path

from yarl import URL

from .. import KINDS, KindFacts, TerminalConfig, TerminalKind, kind_facts, parse_amount
from ..errors import KineticInputError

#: The port a cloud kind's API is reached on when ``--port`` is not given (https).
HTTPS_PORT = 443


def _default_port(facts: KindFacts) -> int:
    return facts.default_port if facts.default_port is not None else HTTPS_PORT


#: The port ``--port`` defaults to, per kind: the kind's own, https for a cloud kind.
DEFAULT_PORTS: Mapping[TerminalKind, int] = {
    facts.kind: _default_port(facts) for facts in KINDS.values()
}


def default_journal_path() -> Path:
    """``$KINETIC_JOURNAL``, else ``$XDG_STATE_HOME/kinetic/journal.sqlite3``."""
    if os.environ.get("KINETIC_JOURNAL"):
        return Path(os.environ["KINETIC_JOURNAL"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kinetic" / "journal.sqlite3"


def terminal_config(args: argparse.Namespace) -> TerminalConfig:
    """Build the terminal configuration; raises KineticInputError on a missing setting."""
    facts = kind_facts(args.kind)
    port = args.port if args.port is not None else DEFAULT_PORTS[facts.kind]
    if not 0 < port < 65536:
        raise KineticInputError(f"--port must be between 1 and 65535, got {port}")
    max_amount = parse_amount(args.max_amount, max_amount=None, field="--max-amount")
    username = args.username or os.environ.get("KINETIC_USERNAME")
    password = args.password or os.environ.get("KINETIC_PASSWORD")
    api_key = args.api_key or os.environ.get("KINETIC_API_KEY")
    pin = args.pin or os.environ.get("KINETIC_PIN")
    base_url = args.base_url
    if facts.cloud:
        if base_url is None:
            scheme = "https" if port == HTTPS_PORT else "http"
            base_url = f"{scheme}://{args.host}:{port}/api/v2"
        _check_cloud_url(base_url)
    for name in ("request_timeout", "poll_interval"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise KineticInputError(f"--{name.replace('_', '-')} must be positive")
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise KineticInputError("--timeout must be positive")
    return TerminalConfig(
        kind=facts.kind,
        host=args.host,
        port=port,
        username=username,
        password=password,
        api_key=api_key,
        pin=pin,
        device_key=args.device_key,
        base_url=base_url,
        max_amount=max_amount,
        request_timeout=args.request_timeout,
        poll_interval=args.poll_interval,
    )


def _check_cloud_url(base_url: str) -> None:
    """Refuse to send the API key in clear text anywhere but this machine."""
    url = URL(base_url)
    if url.scheme == "https":
        return
    host = url.host or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if url.scheme != "http" or not loopback:
        raise KineticInputError(
            "The Payment Engine must be reached over https (plain http only on loopback, "
            f"e.g. a simulator); got {base_url}"
        )


def check_credentials(config: TerminalConfig) -> None:
    """Refuse a configuration without the credentials its kind needs."""
    if kind_facts(config.kind).cloud:
        if not config.api_key or not config.pin:
            raise KineticInputError(
                "The Payment Engine needs --api-key and --pin (or KINETIC_API_KEY, KINETIC_PIN)"
            )
    elif not config.username or not config.password:
        raise KineticInputError(
            f"A {config.kind.value} terminal needs --username and --password "
            "(or KINETIC_USERNAME, KINETIC_PASSWORD)"
        )
