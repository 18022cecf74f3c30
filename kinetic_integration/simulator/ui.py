"""The virtual terminal page: each simulated device as the customer sees it, in a browser.

``GET /_sim/ui`` serves one HTML page (with ``app.js`` and ``app.css`` next to it, from
``static/``); the page polls ``GET /_sim/ui/state`` (built by :func:`ui_state`) and acts
through the ordinary control API (``/_sim/customer``, ``/_sim/cable``, ``/_sim/printer``).

The state holds nothing secret: no credentials, no PIN (the page's keypad never sends
digits, only the ``pin`` action), and printed lines pass through :func:`mask_pans`.
"""

from __future__ import annotations

import functools
import re
import time
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any

from .device import Device, SimTransaction, Step
from .transaction import Screen

if TYPE_CHECKING:
    from .knobs import SimulatorKnobs

#: How long the page keeps a result on screen (the device's own screen API holds it for
#: ``processing_delay`` only, too short for a person to read).
RESULT_HOLD = 3.0
#: The most recent print jobs the page shows.
MAX_JOBS = 20

_PACKAGE = __name__.rpartition(".")[0]
#: The static files of the page: name -> content type.
ASSETS = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "app.css": "text/css",
}

#: 13 to 19 digits, possibly grouped by single spaces or dashes: a card number.
_PAN = re.compile(r"(?<![\d*])\d(?:[ -]?\d){12,18}(?!\d)")


@functools.cache
def asset(name: str) -> bytes:
    """Return the bytes of one static file of the page (read once)."""
    if name not in ASSETS:
        raise KeyError(name)
    return resources.files(_PACKAGE).joinpath("static", name).read_bytes()


def mask_pans(line: str) -> str:
    """Mask anything that looks like a full card number, keeping the last four digits."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return "*" * (len(digits) - 4) + digits[-4:]

    return _PAN.sub(_mask, line)


def money(amount: Decimal, symbol: str) -> str:
    """Format major units for a screen, e.g. ``£1,234.50``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def _shown_transaction(device: Device, now: float) -> SimTransaction | None:
    """Return the running transaction, or the last one while its result still shows."""
    current = device.current
    if current is not None and current.active:
        return current
    last = device.last
    hold = max(RESULT_HOLD, device.processing_delay)
    if last is None or last.ended_mono is None or now - last.ended_mono >= 2 * hold:
        return None
    return last


def _transaction_state(txn: SimTransaction, currency: str, symbol: str) -> dict[str, Any]:
    return {
        "type": txn.type,
        "currency": currency,
        "amount": str(txn.amount),
        "tip": str(txn.tip),
        "cashback": str(txn.cashback),
        "total": str(txn.total),
        "amount_display": money(txn.amount, symbol),
        "tip_display": money(txn.tip, symbol),
        "cashback_display": money(txn.cashback, symbol),
        "total_display": money(txn.total, symbol),
        "result": txn.result,
        "message": txn.message,
        "entry": txn.card.entry if txn.card is not None else None,
        "pin_verified": txn.pin_entered,
        "signature_required": txn.signature_required,
        "offline_approval": txn.is_offline,
    }


def device_state(device: Device, currency: str, symbol: str) -> dict[str, Any]:
    """Describe one device as the page shows it."""
    now = time.monotonic()
    screen = device.screen_held(max(RESULT_HOLD, device.processing_delay))
    txn = _shown_transaction(device, now)
    if txn is not None and not txn.active and screen is Screen.IDLE:
        # The result's hold is over: an idle terminal shows no amount of a finished sale.
        txn = None
    if txn is None:
        step = "idle"
    elif txn.active:
        step = str(txn.step)
    else:
        step = str(Step.DONE)
    return {
        "serial": device.serial,
        "name": device.name,
        "screen": str(screen),
        "device_screen": str(device.screen),
        "step": step,
        "busy": device.busy,
        "offline": device.offline,
        "accepts": device.accepted_actions(),
        "transaction": None if txn is None else _transaction_state(txn, currency, symbol),
    }


def ui_state(sim: SimulatorKnobs) -> dict[str, Any]:
    """Build the JSON behind the virtual terminal page (``GET /_sim/ui/state``).

    ``{"kind", "kind_label", "name", "serial", "host", "port", "address", "currency",
    "cable": {"connected"}, "printer": {"present", "paper", "jobs_total", "jobs": [[line,
    ...], ...]}, "devices": [{"serial", "name", "screen", "device_screen", "step", "busy",
    "offline", "accepts": [action, ...], "transaction": null | {"type", "currency",
    "amount", "tip", "cashback", "total" (strings like "42.50"), "*_display" ("£42.50"),
    "result", "message", "entry", "pin_verified", "signature_required",
    "offline_approval"}}]}``. ``screen`` keeps a result up for :data:`RESULT_HOLD` s;
    ``device_screen`` is the device's own. ``jobs`` are the last :data:`MAX_JOBS`.
    """
    currency, symbol = sim.currency
    printer = sim.printer
    jobs = printer.jobs[-MAX_JOBS:]
    return {
        "kind": str(sim.kind),
        "kind_label": sim.label,
        "name": sim.name,
        "serial": sim.serial,
        "host": sim.host,
        "port": sim.port,
        "address": f"{sim.host}:{sim.port}",
        "currency": currency,
        "cable": {"connected": sim.cable_connected},
        "printer": {
            "present": sim.prints and printer.present,
            "paper": printer.paper,
            "jobs_total": len(printer.jobs),
            "jobs": [[mask_pans(line) for line in job] for job in jobs],
        },
        "devices": [device_state(device, currency, symbol) for device in sim.devices],
    }
