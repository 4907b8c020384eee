"""Socket Mode for the fake Slack: ``apps.connections.open`` (with the app-level token) hands
out a WebSocket URL; deliveries go down as envelopes the app acknowledges by ``envelope_id``,
like wss-primary.slack.com."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web

APP_TOKEN = "xapp-1-A0001-fake-app-token"


class SocketModeServer:
    def __init__(self) -> None:
        self.url = ""
        self.acks: list[str] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._connected = asyncio.Event()
        self._acked = asyncio.Condition()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/link", self._link)

    def connections_open(self, token: str | None, root_url: str) -> dict[str, Any]:
        if token != APP_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"{root_url.replace('http', 'ws', 1)}/link"}

    async def deliver(self, payload: dict[str, Any], kind: str = "events_api") -> str:
        """Send one delivery to the connected app; its envelope id."""
        await asyncio.wait_for(self._connected.wait(), 5)
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with self._acked:
            await asyncio.wait_for(self._acked.wait_for(lambda: envelope_id in self.acks), timeout)

    async def close(self) -> None:
        for socket in self._sockets:
            await socket.close()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                envelope_id = json.loads(message.data).get("envelope_id")
                async with self._acked:
                    self.acks.append(str(envelope_id))
                    self._acked.notify_all()
        return socket
