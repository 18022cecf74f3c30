"""The Payment Engine's registered payment devices: the registry, its knobs, its routes."""

from __future__ import annotations

import secrets
import string
import time

from aiohttp import web

from ._json import json_response, read_json
from .base import BaseSimulator
from .device import Device
from .payment_engine_documents import PREFIX, PeDevice, error, stamp, token

#: Below this battery percentage the engine refuses new requests (21143).
LOW_BATTERY = 10


class PaymentEngineDevices(BaseSimulator):
    """The devices part of :class:`.payment_engine.PaymentEngineSimulator`."""

    pe_devices: dict[str, PeDevice]

    def _add_device(self, key: str, name: str, *, paired: bool = True) -> PeDevice:
        pe_device = PeDevice(
            key=key, name=name, device=self._new_device(name=name, serial=key), paired=paired
        )
        self.pe_devices[key] = pe_device
        return pe_device

    @property
    def devices(self) -> list[Device]:
        """Every registered device's core."""
        return [pe.device for pe in self.pe_devices.values()]

    # --- knobs ----------------------------------------------------------------

    def set_battery(self, device_key: str, level: int) -> None:
        """Set a device's battery percentage (below 10 refuses requests with 21143)."""
        self.pe_devices[device_key].battery = level

    def set_device_online(self, device_key: str, online: bool) -> None:
        """Take one device offline (21145 / waits) or bring it back."""
        self.pe_devices[device_key].device.offline = not online

    def pair(self, device_key: str) -> None:
        """Complete pairing of a device registered through ``POST /devices``."""
        self.pe_devices[device_key].paired = True

    def _add_device_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{PREFIX}/devices", self._list_devices)
        r.add_get(f"{PREFIX}/devices/{{key}}", self._get_device)
        r.add_post(f"{PREFIX}/devices", self._register_device)

    async def _list_devices(self, request: web.Request) -> web.Response:
        data = [pe.as_json() for pe in self.pe_devices.values()]
        return json_response(
            {"type": "list", "limit": 100, "offset": 0, "total": len(data), "data": data}
        )

    async def _get_device(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        pe_device = self.pe_devices.get(key)
        if pe_device is None:
            return error(f"Unknown devicekey {key}", 21121, 404)
        return json_response(pe_device.as_json())

    async def _register_device(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            return error("name is required", 0)
        pe_device = self._add_device(token("sa_"), body["name"], paired=False)
        pe_device.pairing_code = "".join(secrets.choice(string.digits) for _ in range(6))
        pe_device.expiration = stamp(time.time() + 900)
        return json_response(pe_device.as_json())
