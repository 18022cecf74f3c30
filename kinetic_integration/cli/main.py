"""The ``kinetic`` entry points: parse, set up logging, run one command, exit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import IO

from .. import KineticError, SqliteJournal, TerminalConfig, create_terminal, kind_facts
from .commands import check_unsupported, run_command
from .config import check_credentials, default_journal_path, terminal_config
from .discover import run_discover
from .identify import identify_kind, preliminary_kind
from .output import EXIT_UNKNOWN, Output, error_extra, exit_code_for
from .parser import UsageError, build_parser
from .payments import INTERRUPTED_PAYMENTS, PAYMENT_COMMANDS, run_abandon
from .simulate import run_simulate

#: Longest wait for the terminal to say what it is (``--kind auto``), in seconds.
IDENTIFY_TIMEOUT = 3.0


async def async_main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the command line ``argv`` and return the exit code (see :mod:`..cli`)."""
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    parser = build_parser(stdout)
    try:
        args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    except UsageError as err:
        if err.message:
            stderr.write(err.message)
        return err.status
    out = Output(args.json, stdout, stderr)
    handler: logging.Handler | None = None
    if args.verbose:
        handler = logging.StreamHandler(stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        package_logger = logging.getLogger("kinetic_integration")
        package_logger.addHandler(handler)
        package_logger.setLevel(logging.DEBUG)
    try:
        return await _run(args, out)
    finally:
        if handler is not None:
            logging.getLogger("kinetic_integration").removeHandler(handler)


async def _run(args: argparse.Namespace, out: Output) -> int:
    if args.command == "discover":
        return await run_discover(args, out.stdout, out.stderr)
    if args.command == "simulate":
        return await run_simulate(args, out)
    if args.command == "abandon":
        return await run_abandon(args, out)
    try:
        config = await _identified_config(args, out)
    except KineticError as err:
        return out.error(err, exit_code_for(err))
    journal = SqliteJournal(args.journal or default_journal_path())
    # The terminal owns its HTTP session (system resolver) and closes it on leaving.
    async with create_terminal(config) as terminal:
        try:
            check_unsupported(args, terminal)
            check_credentials(config)
            return await run_command(args, terminal, journal, out)
        except KineticError as err:
            return out.error(err, exit_code_for(err), **error_extra(err))


async def _identified_config(args: argparse.Namespace, out: Output) -> TerminalConfig:
    """Build the configuration, with the kind the terminal says it is (``--kind auto``)."""
    requested = args.kind
    args.kind = preliminary_kind(args).value
    config = terminal_config(args)  # input errors first: nothing is asked yet
    out.moves_money = args.command in PAYMENT_COMMANDS
    if kind_facts(config.kind).cloud:
        out.address = config.base_url or config.host
    else:
        out.address = f"{config.host}:{config.port}"
        kind, port = await identify_kind(
            requested, config.host, args.port, min(config.request_timeout, IDENTIFY_TIMEOUT)
        )
        args.kind, args.port = kind.value, port
        config = terminal_config(args)
        out.address = f"{config.host}:{config.port}"
    credentials = kind_facts(config.kind).credentials
    out.credentials = " and ".join("--" + name.replace("_", "-") for name in credentials)
    return config


def main() -> None:
    """Console-script entry point: ``kinetic ...``."""
    try:
        code = asyncio.run(async_main())
    except KeyboardInterrupt:
        # Interrupted mid-payment the outcome is unknown (4), not merely "interrupted".
        code = EXIT_UNKNOWN if INTERRUPTED_PAYMENTS else 130
    raise SystemExit(code)
