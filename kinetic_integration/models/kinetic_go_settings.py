"""The Kinetic Go 2 ``settings.json`` document as a typed model.

The seed's shape: ``host.module`` names the primary host module; the object named
after it holds ``address``, ``port``, ``terminal_id``, ``merchant_id``,
``deferred_auth.enabled`` and its own ``receipt.header`` / ``receipt.footer``
(``line1`` ... ``line5``); the top-level ``receipt`` holds the defaults used "if not
overridden by host module". The web server's ``webserver.http.enabled`` and
``webserver.http.port`` are read nested or as dotted keys. Everything else in the
document (free-form, host dependent) is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import KineticInvalidResponseError
from . import _coerce as c

_LINE_KEY = re.compile(r"line([0-9]+)")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _lines(block: Any) -> tuple[str, ...]:
    """Return ``line1``, ``line2``, ... in order, up to the last one that has text."""
    numbered = sorted(
        (int(match.group(1)), text)
        for key, text in _mapping(block).items()
        if (match := _LINE_KEY.fullmatch(str(key))) and isinstance(text, str)
    )
    lines = [text for _, text in numbered]
    while lines and not lines[-1].strip():
        lines.pop()
    return tuple(lines)


def _setting(settings: Mapping[str, Any], dotted: str) -> Any:
    """Read ``a.b.c`` as nested objects, or as one dotted key."""
    if dotted in settings:
        return settings[dotted]
    value: Any = settings
    for part in dotted.split("."):
        value = _mapping(value).get(part)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class GoSettings:
    """What a Kinetic Go 2 says about its configuration (``settings.json``).

    ``receipt_header`` / ``receipt_footer`` are the lines the terminal prints: the host
    module's own where it has any, else the default ones.
    """

    host_module: str | None = None
    host_address: str | None = None
    host_port: int | None = None
    terminal_id: str | None = None
    merchant_id: str | None = None
    deferred_auth_enabled: bool | None = None
    receipt_header: tuple[str, ...] = ()
    receipt_footer: tuple[str, ...] = ()
    http_enabled: bool | None = None
    http_port: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> GoSettings:
        """Build from the ``settings`` object of ``settings.json``."""
        if not isinstance(data, Mapping):
            raise KineticInvalidResponseError("settings.json has no settings object")
        module = c.lenient_str(_mapping(data.get("host")).get("module"))
        host = _mapping(data.get(module)) if module else {}
        own = _mapping(host.get("receipt"))
        default = _mapping(data.get("receipt"))
        return cls(
            host_module=module,
            host_address=c.lenient_str(host.get("address")),
            host_port=c.lenient_int(host.get("port")),
            terminal_id=c.lenient_str(host.get("terminal_id")),
            merchant_id=c.lenient_str(host.get("merchant_id")),
            deferred_auth_enabled=c.lenient_bool(
                _mapping(host.get("deferred_auth")).get("enabled")
            ),
            receipt_header=_lines(own.get("header")) or _lines(default.get("header")),
            receipt_footer=_lines(own.get("footer")) or _lines(default.get("footer")),
            http_enabled=c.lenient_bool(_setting(data, "webserver.http.enabled")),
            http_port=c.lenient_int(_setting(data, "webserver.http.port")),
        )
