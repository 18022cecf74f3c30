"""One async client per terminal API, sharing the request plumbing in ``_http``.

``BasicCredentials`` and ``new_session`` are public for callers that send their own
requests (discovery's sweep, the CLI): ``_http`` itself stays private to this package.
"""

from ._http import BasicCredentials, new_session
from .device_service import DeviceServiceClient, check_reference, new_reference
from .kinetic_go import KineticGoClient
from .payment_engine import PRODUCTION_URL, SANDBOX_URL, PaymentEngineClient, pin_hash

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "BasicCredentials",
    "DeviceServiceClient",
    "KineticGoClient",
    "PaymentEngineClient",
    "check_reference",
    "new_reference",
    "new_session",
    "pin_hash",
]
