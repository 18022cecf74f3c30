"""The end-of-day export as a CSV download, for administrators only.

``GET /api/kinetic/transactions.csv?start=…&end=…&device_id=…&type=…&result=…``
(every parameter optional, as the action's fields; ``device_id``, ``type`` and
``result`` may repeat). Home Assistant's authentication is required (a bearer token, or
a signed path from the frontend): without it 401, for a user who is not an
administrator (or a request that carries no user) 403 (authorization.py's policy). A
query the export refuses is 400, a journal that cannot be read 503 (try again), each
with its translated message.

The file, UTF-8 with a byte-order mark so that spreadsheets read "£" right, holds two
tables one under the other, separated by an empty line:

1. the transactions, one per row, with the columns of ``export_rows.COLUMNS``; times
   are local (Home Assistant's time zone) as ``YYYY-MM-DD HH:MM:SS``, amounts plain
   ``12.34``, ``started_by`` in plain words;
2. the totals: ``total_of`` (``all``, ``terminal``, ``type`` or ``result``), ``name``,
   ``terminal_identity`` and the figures ``count``, ``amount``, ``approved_count``,
   ``approved_amount``, ``net`` and ``currency``.

A text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``,
``-`` or ``@`` and is not a number) is written with a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import voluptuous as vol
from aiohttp import web
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .authorization import Privilege, export_refused, may_export
from .const import DOMAIN, LOGGER
from .export_query import (
    ATTR_END,
    ATTR_RESULT,
    ATTR_START,
    ATTR_TYPE,
    EXPORT_SCHEMA,
    async_export,
)
from .export_rows import COLUMNS, TOTAL_FIGURES
from .refusal import ActionRefused

EXPORT_URL = f"/api/{DOMAIN}/transactions.csv"
_REPEATED = (ATTR_DEVICE_ID, ATTR_TYPE, ATTR_RESULT)
_TIMES = ("created_at", "updated_at")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_ONE_MICROSECOND = timedelta(microseconds=1)


def _cell(value: Any) -> str:
    """Return a cell's text; one a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(_FORMULA) and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def _local_time(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")


def export_csv(export: dict[str, Any]) -> str:
    """Return the export as the CSV text described above."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in export["transactions"]:
        shown = {
            **row,
            **{name: _local_time(row[name]) for name in _TIMES},
            "started_by": row["started_by_text"],
        }
        writer.writerow(_cell(shown[column]) for column in COLUMNS)
    writer.writerow(())
    writer.writerow(("total_of", "name", "terminal_identity", *TOTAL_FIGURES, "currency"))
    totals = export["totals"]
    groups: list[tuple[str, str, str | None, dict[str, Any]]] = [
        ("all", "all transactions", None, totals["all"])
    ]
    groups += [
        ("terminal", t["terminal"], t["terminal_identity"], t) for t in totals["by_terminal"]
    ]
    groups += [("type", t["type"], None, t) for t in totals["by_type"]]
    groups += [("result", t["result"], None, t) for t in totals["by_result"]]
    for total_of, name, identity, figures in groups:
        writer.writerow(
            _cell(value)
            for value in (
                total_of,
                name,
                identity,
                *(figures[figure] for figure in TOTAL_FIGURES),
                export["currency"],
            )
        )
    return out.getvalue()


def _filename(export: dict[str, Any]) -> str:
    """``kinetic-transactions-YYYY-MM-DD.csv``; a longer range adds its last day."""
    first = datetime.fromisoformat(export["start"]).date()
    # The range ends where the last day's next day starts (or at a time within it).
    last = (datetime.fromisoformat(export["end"]) - _ONE_MICROSECOND).date()
    days = first.isoformat() if last <= first else f"{first.isoformat()}--{last.isoformat()}"
    return f"kinetic-transactions-{days}.csv"


class KineticExportView(HomeAssistantView):
    """The transactions of a range as CSV: what a bookkeeper asks for at the end of a day."""

    url = EXPORT_URL
    name = f"api:{DOMAIN}:transactions_csv"
    requires_auth = True

    async def get(self, request: web.Request) -> web.StreamResponse:
        """Answer with the CSV file (403 for a user who is not an administrator)."""
        hass: HomeAssistant = request.app[KEY_HASS]
        user = request.get(KEY_HASS_USER)
        if not may_export(user):
            LOGGER.warning(
                "Refused %s (the CSV download) on every terminal: %s is not an administrator",
                Privilege.EXPORT,
                (user.name or user.id) if user is not None else "a request without a user",
            )
            return self.json_message(str(export_refused()), HTTPStatus.FORBIDDEN, "unauthorized")
        query: dict[str, Any] = {
            key: request.query.getall(key) if key in _REPEATED else request.query[key]
            for key in (ATTR_START, ATTR_END, *_REPEATED)
            if key in request.query
        }
        try:
            data = EXPORT_SCHEMA(query)
        except vol.Invalid as err:
            return self.json_message(
                f"Invalid query: {vol.humanize.humanize_error(query, err)}",
                HTTPStatus.BAD_REQUEST,
            )
        try:
            export = await async_export(hass, data)
        except ActionRefused:
            raise  # answered 400 with its translated message (refusal.py)
        except HomeAssistantError as err:
            # The journal cannot be read just now: the server's trouble, ask again later.
            return self.json_message(str(err), HTTPStatus.SERVICE_UNAVAILABLE, "export_failed")
        return web.Response(
            body=export_csv(export).encode("utf-8-sig"),
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": f"attachment; filename={_filename(export)}",
                "Cache-Control": "no-store",
            },
        )
