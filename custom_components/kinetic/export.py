"""The end-of-day export: the ``export_transactions`` action and the CSV download.

Both answer administrators only (and the action calls without a user whose origin is
an automation or a script, since it only reads: authorization.py); both return the
journal's records of a range with totals per terminal, per type and per result
(``export_query``, ``export_rows``).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse

from .authorization import async_authorize_export
from .const import DOMAIN
from .export_query import EXPORT_SCHEMA, async_export
from .export_view import KineticExportView

SERVICE_EXPORT_TRANSACTIONS = "export_transactions"


async def _async_export_transactions(call: ServiceCall) -> ServiceResponse:
    await async_authorize_export(call.hass, call.context)
    return await async_export(call.hass, dict(call.data))


def async_setup_export(hass: HomeAssistant) -> None:
    """Register the export action and its CSV download (once, for every terminal)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT_TRANSACTIONS,
        _async_export_transactions,
        schema=EXPORT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.http.register_view(KineticExportView())
