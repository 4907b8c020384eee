"""Slack out of reach, for the real ``AsyncWebClient``: a port nobody listens on, and a server
that never answers. Retry handlers are left out so failures arrive at once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.loopback import LoopbackServer


def unreachable_client() -> AsyncWebClient:
    """A client whose Slack refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return AsyncWebClient(
        token="xoxb-test-token", base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[]
    )


@asynccontextmanager
async def silent_slack_client() -> AsyncIterator[AsyncWebClient]:
    """A client whose Slack accepts the connection and never answers (a read timeout)."""

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", hang)
    server = LoopbackServer(app)
    root = await server.start()
    try:
        yield AsyncWebClient(
            token="xoxb-test-token",
            base_url=f"{root}/api/",
            timeout=1,
            retry_handlers=[],
        )
    finally:
        await server.stop()
