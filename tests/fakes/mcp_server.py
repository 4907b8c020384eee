"""A small MCP server on loopback, built from the SDK's own server classes (``MCPServer``
over streamable HTTP, served by uvicorn on a port the OS picks): the tools an MCP-backed
test needs, what each call received, and the headers each request carried."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged

from tests.fakes.loopback import Arrivals, Served

ASGIApp = Any


class FakeMcpServer(Served):
    def __init__(self, name: str = "crm") -> None:
        self._bus = InMemorySubscriptionBus()
        self.server = MCPServer(name, subscriptions=self._bus)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.headers: list[dict[str, str]] = []
        self._arrivals = Arrivals()
        self.release = asyncio.Event()
        self.url = ""
        self._uvicorn: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

        @self.server.tool()
        async def lookup_order(order_id: str) -> str:
            """Look up an order's shipping status by its id."""
            await self._called("lookup_order", {"order_id": order_id})
            return f"Order {order_id}: shipped on 2026-11-30 by parcel post"

        @self.server.tool()
        async def cancel_order(order_id: str) -> str:
            """Cancel an order that has not shipped yet."""
            await self._called("cancel_order", {"order_id": order_id})
            return f"Order {order_id} cancelled"

        @self.server.tool()
        async def order_history(customer_id: str) -> str:
            """A customer's orders; this one's database is offline."""
            await self._called("order_history", {"customer_id": customer_id})
            raise ToolError("order database offline")

        @self.server.tool()
        async def archive_orders() -> str:
            """Archive every old order; slow: it waits until the test releases it."""
            await self._called("archive_orders", {})
            await self.release.wait()
            return "archived"

    async def _called(self, name: str, arguments: dict[str, Any]) -> None:
        self.calls.append((name, arguments))
        await self._arrivals.notify()

    def add_tool(self, name: str, answer: str) -> None:
        """A new tool appears, quietly."""

        async def tool() -> str:
            await self._called(name, {})
            return answer

        self.server.add_tool(tool, name=name, description=f"Says {answer!r}.")

    async def add_tool_and_announce(self, name: str, answer: str) -> None:
        """A new tool appears; subscribers are told the list changed."""
        self.add_tool(name, answer)
        await self._bus.publish(ToolsListChanged())

    async def wait_for_calls(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - as the other fakes
    ) -> None:
        await self._arrivals.wait_until(
            lambda: len(self.calls) >= count,
            timeout,
            lambda: f"expected {count} MCP tool calls, got {len(self.calls)}",
        )

    async def start(self) -> None:
        app = self._recording(self.server.streamable_http_app(host="127.0.0.1"))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self._uvicorn = uvicorn.Server(config)
        self._task = asyncio.create_task(self._uvicorn.serve(sockets=[sock]))
        while not self._uvicorn.started:  # uvicorn offers no event to await
            if self._task.done():
                await self._task
            await asyncio.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}/mcp"

    async def stop(self) -> None:
        self.release.set()
        if self._uvicorn is not None and self._task is not None:
            self._uvicorn.should_exit = True
            await self._task

    def _recording(self, app: ASGIApp) -> ASGIApp:
        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.headers.append(
                    {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                )
            await app(scope, receive, send)

        return recording
