"""The ``kinetic`` command: drive a terminal from scripts and shells.

Exit codes (the contract for scripts):

* 0 approved, or success for a command that moves no money;
* 1 a final result other than approved (declined, cancelled, error, timeout), or the
  terminal refused a command that moves no money;
* 2 invalid input or a command this kind of terminal cannot do (nothing was sent);
* 3 the terminal could not be reached, was busy or rejected our credentials before
  anything was charged, or the address is another kind of terminal than ``--kind``
  (``--kind auto``, the default, asks the address what it is);
* 4 the outcome is unknown: the reference is printed, and running the same command
  again with ``--reference`` resumes that transaction instead of charging again. Also
  after Ctrl-C (``--json`` then prints the unknown transaction, ``"interrupted": true``)
  or an unforeseen failure during a payment;
* 5 in progress elsewhere: another run holds this reference (the same command started
  twice); this one sent nothing, and the other run's outcome is the one that counts.

A journaled transaction whose outcome stays unknown blocks new ones on its terminal;
``kinetic abandon REFERENCE --yes`` releases it once a person has checked the terminal.

``--json`` prints one JSON object on stdout; a payment's progress goes to stderr
(:mod:`.progress`); every error says what happened, whether money moved and what to do
(:mod:`.failures`); ``--verbose`` logs at DEBUG on stderr (the library never logs
credentials or card data).

Modules: :mod:`.parser` (options), :mod:`.config` (terminal configuration),
:mod:`.output` (what is printed, exit codes), :mod:`.identify` (``--kind auto``),
:mod:`.commands` and :mod:`.payments` (the terminal commands), :mod:`.progress`,
:mod:`.failures`, :mod:`.simulate`, :mod:`.discover`, :mod:`.main` (entry points).
"""

from __future__ import annotations

from .config import DEFAULT_PORTS, default_journal_path
from .main import async_main, main
from .output import (
    EXIT_ELSEWHERE,
    EXIT_INVALID,
    EXIT_NOT_APPROVED,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_UNREACHABLE,
    status_json,
    transaction_json,
)
from .parser import build_parser
from .simulate import fleet_instructions

__all__ = [
    "DEFAULT_PORTS",
    "EXIT_ELSEWHERE",
    "EXIT_INVALID",
    "EXIT_NOT_APPROVED",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "EXIT_UNREACHABLE",
    "async_main",
    "build_parser",
    "default_journal_path",
    "fleet_instructions",
    "main",
    "status_json",
    "transaction_json",
]
