"""JSON helpers: Decimal amounts go out as exact JSON numbers, never via binary rounding."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from .wire_money import json_number


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return json_number(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(data: Any) -> str:
    """Serialize ``data``; Decimals become plain JSON numbers."""
    return json.dumps(data, default=_default)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Build a JSON response with the ``application/json; charset=utf-8`` content type."""
    return web.Response(
        text=dumps(data), status=status, content_type="application/json", headers=headers
    )


async def read_json(request: web.Request) -> Any:
    """Read the request body as JSON (amounts as Decimal), or None when empty or invalid."""
    text = await request.text()
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return None
