"""What the demo does through Home Assistant's own HTTP API, as a person in the UI would.

Onboarding (the owner account and the first questions) and adding each terminal through
the integration's real config flow: the same requests the frontend sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

DOMAIN = "kinetic"
#: What onboarding's core_config step adds. Weather, radio and speech services reach the
#: internet, which a loopback demo must not; none of them has its library here either.
ONBOARDING_EXTRAS = ("google_translate", "met", "radio_browser", "shopping_list")


class DemoSetupError(RuntimeError):
    """Home Assistant refused a step of the demo's setup."""


@dataclass(frozen=True, slots=True)
class DemoUser:
    """The demo's owner account (printed on start: it is a local demo, not a secret)."""

    name: str = "Demo"
    username: str = "demo"
    password: str = "kinetic-demo"  # noqa: S105 - a printed demo login on loopback
    language: str = "en"


class HassApi:
    """A small client of Home Assistant's REST API, signed in as the demo user."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Use ``session`` for every request to ``url`` (``http://host:port``)."""
        self._session = session
        self.url = url
        self.client_id = f"{url}/"
        self._token: str | None = None

    async def _json(
        self, method: str, path: str, *, json: Any = None, data: Any = None, auth: bool = True
    ) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if auth and self._token else {}
        async with self._session.request(
            method, f"{self.url}{path}", json=json, data=data, headers=headers
        ) as response:
            if response.status >= 400:
                text = await response.text()
                raise DemoSetupError(f"{method} {path}: HTTP {response.status}: {text[:300]}")
            return await response.json()

    # --- onboarding and sign-in ---------------------------------------------------

    async def onboarding_steps_left(self) -> list[str]:
        """Return the onboarding steps not done yet (empty once onboarded)."""
        async with self._session.get(f"{self.url}/api/onboarding") as response:
            if response.status == 404:
                return []  # Onboarding is over: Home Assistant no longer serves it.
        steps = await self._json("GET", "/api/onboarding", auth=False)
        return [step["step"] for step in steps if not step["done"]]

    async def _exchange(self, code: str) -> None:
        token = await self._json(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        self._token = token["access_token"]

    async def create_owner(self, user: DemoUser) -> None:
        """Onboarding's first step only: create the owner account and sign in as it.

        Enough for the API; the later steps (which add internet-bound integrations) are
        left undone.
        """
        created = await self._json(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": user.name,
                "username": user.username,
                "password": user.password,
                "language": user.language,
            },
            auth=False,
        )
        await self._exchange(created["auth_code"])

    async def onboard(self, user: DemoUser) -> None:
        """Create the owner account and answer the remaining onboarding steps."""
        left = await self.onboarding_steps_left()
        if "user" in left:
            await self.create_owner(user)
        else:
            await self.login(user)
        if "core_config" in left:
            await self._json("POST", "/api/onboarding/core_config")
            await self._remove_onboarding_extras()
        if "analytics" in left:
            await self._json("POST", "/api/onboarding/analytics")
        if "integration" in left:
            await self._json(
                "POST",
                "/api/onboarding/integration",
                json={"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
            )

    async def _remove_onboarding_extras(self, settle: float = 3.0) -> None:
        """Remove the entries onboarding starts in the background (they land a moment later)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settle
        removed: set[str] = set()
        while loop.time() < deadline and len(removed) < len(ONBOARDING_EXTRAS):
            for entry in await self._json("GET", "/api/config/config_entries/entry"):
                if entry["domain"] in ONBOARDING_EXTRAS and entry["entry_id"] not in removed:
                    await self._json(
                        "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                    )
                    removed.add(entry["entry_id"])
            await asyncio.sleep(0.2)

    async def login(self, user: DemoUser) -> None:
        """Sign in through the login flow, as the login page does."""
        flow = await self._json(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
            auth=False,
        )
        result = await self._json(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": user.username,
                "password": user.password,
            },
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise DemoSetupError(
                f"cannot sign in as {user.username!r}: {result.get('errors')}; "
                "remove .demo/ to start the demo afresh"
            )
        await self._exchange(result["result"])

    async def render(self, template: str) -> str:
        """Render a template in Home Assistant (e.g. ``{{ device_id('sensor.x') }}``)."""
        async with self._session.post(
            f"{self.url}/api/template",
            json={"template": template},
            headers={"Authorization": f"Bearer {self._token}"},
        ) as response:
            if response.status >= 400:
                raise DemoSetupError(f"template: HTTP {response.status}")
            return await response.text()

    async def call_service(
        self, domain: str, service: str, data: Mapping[str, Any], *, return_response: bool = False
    ) -> Any:
        """Call an action through the REST API; with ``return_response``, return its answer."""
        path = f"/api/services/{domain}/{service}" + ("?return_response" if return_response else "")
        answer = await self._json("POST", path, json=dict(data))
        return answer["service_response"] if return_response else answer

    async def converse(self, text: str, language: str = "en") -> str:
        """Say ``text`` to Assist (the conversation API); return what it answers."""
        answer = await self._json(
            "POST", "/api/conversation/process", json={"text": text, "language": language}
        )
        speech: str = answer["response"]["speech"]["plain"]["speech"]
        return speech

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        found: dict[str, Any] = await self._json("GET", f"/api/states/{entity_id}")
        return found

    async def websocket(self, command: Mapping[str, Any]) -> Any:
        """Send one websocket command (e.g. ``repairs/list_issues``); return its result."""
        ws_url = self.url.replace("http", "ws", 1) + "/api/websocket"
        async with self._session.ws_connect(ws_url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self._token})
            authorised = await ws.receive_json()
            if authorised.get("type") != "auth_ok":
                raise DemoSetupError(f"websocket: {authorised.get('type')}")
            await ws.send_json({"id": 1, **command})
            answer = await ws.receive_json()
        if not answer.get("success"):
            raise DemoSetupError(f"websocket {command.get('type')}: {answer.get('error')}")
        return answer["result"]

    async def confirm_http_config(self) -> bool:
        """Keep the HTTP settings of configuration.yaml (Home Assistant 2026.x asks).

        Since 2026.x Home Assistant takes them as a *pending* configuration that reverts
        after five minutes unless confirmed (the frontend asks the user in a dialog) - to
        port 8123 on every address, which a loopback demo must not do. Returns whether
        there was something to confirm; releases without the command (2025.x) have not.
        """
        try:
            config = await self.websocket({"type": "http/config"})
        except DemoSetupError:
            return False  # No such command: the YAML settings simply apply.
        pending = config["pending"]
        if pending is None or pending.get("error") is not None:
            return False
        await self.websocket({"type": "http/config/promote"})
        return True

    async def version(self) -> str:
        """Return the running Home Assistant's version."""
        config: dict[str, Any] = await self._json("GET", "/api/config")
        return str(config["version"])

    # --- config entries -----------------------------------------------------------

    async def entries(self) -> list[dict[str, Any]]:
        """Return the integration's config entries."""
        entries: list[dict[str, Any]] = await self._json(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        return entries

    async def add_entry(self, steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Run the config flow from the user step, answering each form in turn.

        The first answer picks from the menu (``{"next_step_id": ...}``); the flow must end
        by creating an entry or by saying it already exists.
        """
        result: dict[str, Any] = await self._json(
            "POST", "/api/config/config_entries/flow", json={"handler": DOMAIN}
        )
        for answer in steps:
            if result["type"] not in ("form", "menu"):
                break
            result = await self._json(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", json=dict(answer)
            )
            if result["type"] == "form" and result.get("errors"):
                raise DemoSetupError(f"config flow step {result['step_id']}: {result['errors']}")
        if result["type"] == "abort" and result.get("reason") == "already_configured":
            return result
        if result["type"] != "create_entry":
            raise DemoSetupError(f"config flow ended with {result['type']}: {result}")
        return result
