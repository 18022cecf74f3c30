"""An action refused before anything was sent: HTTP 400 for REST callers on every release.

Home Assistant 2026.x answers a ``ServiceValidationError`` from ``POST /api/services``
with 400 and its message; 2025.4 lets it through as an unhandled exception (HTTP 500
and a traceback in the log). ``ActionRefused`` is also aiohttp's ``HTTPBadRequest``
carrying that same JSON answer, so 2025.4's web server sends it as the response (aiohttp
answers a raised ``HTTPException`` as is, without logging). Everywhere else (the UI's
websocket, scripts, Assist) it is the translated ``ServiceValidationError`` it always was.
"""

from __future__ import annotations

from aiohttp.web_exceptions import HTTPBadRequest
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.json import json_dumps

from kinetic_integration import KineticError, KineticNotFoundError, KineticValidationError

from .const import DOMAIN

#: What a terminal refuses because of the caller's input (an unknown reference, a field
#: it rejects): nothing was done, so the caller hears it as a refusal, not a failure.
REFUSALS = (KineticNotFoundError, KineticValidationError)


class ActionRefused(HTTPBadRequest, ServiceValidationError):
    """The caller's mistake, refused with a translated message; nothing was sent.

    ``HTTPBadRequest`` comes first so ``HomeAssistantError.__init__``'s ``super()``
    reaches ``Exception`` and not aiohttp's keyword-only initialiser.
    """

    def __init__(
        self,
        *,
        translation_key: str,
        translation_placeholders: dict[str, str] | None = None,
        translation_domain: str = DOMAIN,
    ) -> None:
        """Build the translated error, then the 400 answer REST callers receive."""
        ServiceValidationError.__init__(
            self,
            translation_domain=translation_domain,
            translation_key=translation_key,
            translation_placeholders=translation_placeholders,
        )
        message = ServiceValidationError.__str__(self)
        HTTPBadRequest.__init__(
            self, text=json_dumps({"message": message}), content_type="application/json"
        )
        # aiohttp's initialiser set the arguments to its reason phrase; keep the message.
        self.args = (message,)

    def __repr__(self) -> str:
        """Show the message (aiohttp's response repr would say "not prepared")."""
        return f"{type(self).__name__}({str(self)!r})"

    def __str__(self) -> str:
        """Return the translated message (not aiohttp's reason phrase)."""
        return ServiceValidationError.__str__(self)


def refused_by_terminal(err: KineticError, reference: str | None = None) -> ActionRefused:
    """Translate one of ``REFUSALS``: of a transaction (by its reference) or a command."""
    error = err.message or err.code
    if reference is None:
        return ActionRefused(
            translation_key="command_failed", translation_placeholders={"error": error}
        )
    return ActionRefused(
        translation_key="transaction_failed",
        translation_placeholders={"reference": reference, "error": error},
    )
