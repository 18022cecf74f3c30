"""The Terminal facade: one object over the three terminal APIs.

This package is the only place in the library that knows the kinds differ; callers
ask :meth:`Terminal.supports` (and get :class:`UnsupportedOperationError` otherwise) for
what a terminal can do, and :func:`kind_facts` for what a kind is.
"""

from .addresses import resolve_host
from .base import Terminal
from .card_wait import MAX_CARD_WAIT, MIN_CARD_WAIT, check_card_wait
from .config import Capability, TerminalConfig
from .device_service import DeviceServiceTerminal
from .factory import create_terminal
from .history import TransactionFilter
from .kinds import (
    DEFAULT_KIND,
    KINDS,
    LOCAL_KINDS,
    KindFacts,
    kind_facts,
    local_kind_for_port,
    local_kinds_by_port,
)
from .kinetic_go import KineticGoTerminal
from .operation import Operation, PreviousAttempt, TransactionListener
from .payment_engine import PaymentEngineTerminal
from .printing import PRINT_RANGES, PrintLine

__all__ = [
    "DEFAULT_KIND",
    "KINDS",
    "LOCAL_KINDS",
    "MAX_CARD_WAIT",
    "MIN_CARD_WAIT",
    "PRINT_RANGES",
    "Capability",
    "DeviceServiceTerminal",
    "KindFacts",
    "KineticGoTerminal",
    "Operation",
    "PaymentEngineTerminal",
    "PreviousAttempt",
    "PrintLine",
    "Terminal",
    "TerminalConfig",
    "TransactionFilter",
    "TransactionListener",
    "check_card_wait",
    "create_terminal",
    "kind_facts",
    "local_kind_for_port",
    "local_kinds_by_port",
    "resolve_host",
]
