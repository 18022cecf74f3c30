"""One async client per terminal API, sharing the request plumbing in ``_http``."""

from .device_service import DeviceServiceClient, check_reference, new_reference
from .kinetic_go import KineticGoClient
from .payment_engine import PRODUCTION_URL, SANDBOX_URL, PaymentEngineClient, pin_hash

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "DeviceServiceClient",
    "KineticGoClient",
    "PaymentEngineClient",
    "check_reference",
    "new_reference",
    "pin_hash",
]
