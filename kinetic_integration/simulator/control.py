"""The control API under ``/_sim/`` (no auth): how tests and the CLI drive a simulator.

It keeps answering while the simulated network cable is pulled; so does the virtual
terminal page (``/_sim/ui``, see :mod:`.ui`), which acts through these same calls.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .transaction import NoCustomerPromptError
from .ui import ASSETS, asset, ui_state

if TYPE_CHECKING:
    from .knobs import SimulatorKnobs

_SIM_KEY: web.AppKey[SimulatorKnobs] = web.AppKey("simulator")
#: Reboots with downtime outlive the request that asked for them.
_BACKGROUND: set[asyncio.Task[None]] = set()


def add_control_routes(app: web.Application, sim: SimulatorKnobs) -> None:
    """Register ``/_sim/*`` on ``app`` for ``sim``."""
    app[_SIM_KEY] = sim
    app.router.add_get("/_sim/state", _state)
    app.router.add_get("/_sim/ledger", _ledger)
    app.router.add_get("/_sim/requests", _requests)
    app.router.add_get("/_sim/printed", _printed)
    app.router.add_get("/_sim/printed/instructions", _printed_instructions)
    app.router.add_post("/_sim/customer", _customer)
    app.router.add_post("/_sim/faults", _add_fault)
    app.router.add_delete("/_sim/faults", _clear_faults)
    app.router.add_post("/_sim/reboot", _reboot)
    app.router.add_post("/_sim/offline", _offline)
    app.router.add_post("/_sim/printer", _printer)
    app.router.add_post("/_sim/cable", _cable)
    app.router.add_get("/_sim/ui", _ui_page)
    app.router.add_get("/_sim/ui/", _ui_redirect)
    app.router.add_get("/_sim/ui/state", _ui_state)
    for name in ASSETS:
        if name != "index.html":
            app.router.add_get(f"/_sim/ui/{name}", _ui_asset)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="body must be a JSON object") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


async def _state(request: web.Request) -> web.Response:
    return web.json_response(request.app[_SIM_KEY].state())


async def _ledger(request: web.Request) -> web.Response:
    return web.json_response([entry.as_json() for entry in request.app[_SIM_KEY].ledger])


async def _requests(request: web.Request) -> web.Response:
    sim = request.app[_SIM_KEY]
    return web.json_response({"total": sim.money_requests(), "paths": sim.money_requests_by_path()})


async def _printed(request: web.Request) -> web.Response:
    return web.json_response(request.app[_SIM_KEY].printed)


async def _printed_instructions(request: web.Request) -> web.Response:
    return web.json_response(request.app[_SIM_KEY].printed_instructions)


async def _customer(request: web.Request) -> web.Response:
    body = await _body(request)
    action = body.get("action")
    device = body.get("device")
    wait = body.get("wait", 5.0)
    if (
        not isinstance(action, str)
        or (device is not None and not isinstance(device, str))
        or not isinstance(wait, int | float)
    ):
        raise web.HTTPBadRequest(text="action (str), device (str), wait (number)")
    try:
        await request.app[_SIM_KEY].customer(action, device, wait=float(wait))
    except ValueError as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    except KeyError as err:
        raise web.HTTPNotFound(text=str(err)) from None
    except NoCustomerPromptError as err:
        raise web.HTTPConflict(text=str(err)) from None
    return web.json_response({"ok": True})


async def _add_fault(request: web.Request) -> web.Response:
    body = await _body(request)
    times = body.get("times", 1)
    seconds = body.get("seconds")
    path = body.get("path")
    fault = body.get("fault")
    if (
        not isinstance(fault, str)
        or not isinstance(times, int)
        or (path is not None and not isinstance(path, str))
        or (seconds is not None and not isinstance(seconds, int | float))
    ):
        raise web.HTTPBadRequest(text="fault (str), times (int), path (str), seconds (number)")
    try:
        request.app[_SIM_KEY].inject(
            fault, times=times, path=path, seconds=None if seconds is None else float(seconds)
        )
    except ValueError as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    return web.json_response({"ok": True})


async def _clear_faults(request: web.Request) -> web.Response:
    request.app[_SIM_KEY].clear_faults()
    return web.json_response({"ok": True})


async def _reboot(request: web.Request) -> web.Response:
    body = await _body(request) if request.can_read_body else {}
    downtime = body.get("downtime", 0)
    if not isinstance(downtime, int | float) or downtime < 0:
        raise web.HTTPBadRequest(text="downtime must be a number of seconds")
    sim = request.app[_SIM_KEY]
    if downtime == 0:
        await sim.reboot()
        return web.json_response({"ok": True})
    # The server goes away during the reboot, so answer first and reboot in the background.
    task = asyncio.get_running_loop().create_task(sim.reboot(float(downtime)))
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return web.json_response({"ok": True}, status=202)


async def _flag(request: web.Request, key: str) -> bool:
    value = (await _body(request)).get(key)
    if not isinstance(value, bool):
        raise web.HTTPBadRequest(text=f"{key} must be true or false")
    return value


async def _offline(request: web.Request) -> web.Response:
    request.app[_SIM_KEY].set_offline(await _flag(request, "offline"))
    return web.json_response({"ok": True})


async def _printer(request: web.Request) -> web.Response:
    request.app[_SIM_KEY].set_paper(await _flag(request, "paper"))
    return web.json_response({"ok": True})


async def _cable(request: web.Request) -> web.Response:
    sim = request.app[_SIM_KEY]
    sim.set_cable(await _flag(request, "connected"))
    return web.json_response({"ok": True, "connected": sim.cable_connected})


#: The page loads only its own files and talks only to its own simulator.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def _asset_response(name: str) -> web.Response:
    response = web.Response(body=asset(name), content_type=ASSETS[name], charset="utf-8")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if name == "index.html":
        response.headers["Content-Security-Policy"] = _CSP
    return response


async def _ui_page(request: web.Request) -> web.Response:
    return _asset_response("index.html")


async def _ui_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/_sim/ui")


async def _ui_asset(request: web.Request) -> web.Response:
    return _asset_response(request.path.rpartition("/")[2])


async def _ui_state(request: web.Request) -> web.Response:
    response = web.json_response(ui_state(request.app[_SIM_KEY]))
    response.headers["Cache-Control"] = "no-store"
    return response
