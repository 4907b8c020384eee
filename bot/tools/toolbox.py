"""The tools the model is offered: the built-in ones and those of reachable MCP servers,
minus everything for a model whose server refused ``tools`` (remembered per model)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.tools.base import Tool

if TYPE_CHECKING:  # the MCP SDK (~50 MB) is imported only when MCP_SERVERS lists a server
    from bot.tools.mcp_tools import McpServerTools


class Toolbox:
    def __init__(self, builtins: Sequence[Tool], servers: Sequence[McpServerTools] = ()) -> None:
        self._builtins = tuple(builtins)
        self.servers = tuple(servers)
        self._refused: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def available(self, model: str) -> list[Tool]:
        if model in self._refused:
            return []
        tools: list[Tool] = list(self._builtins)
        for server in self.servers:
            tools.extend(server.tools)
        return tools

    def refused_by(self, model: str) -> None:
        """The model's server does not take ``tools``: answer without them from now on."""
        self._refused.add(model)

    async def start(self, *, first_listing_within: float = 5.0) -> None:
        """Connect to every MCP server in the background and give their first listings a
        moment, so the first answers have their tools; a server that is slower joins later,
        and one that is down delays nothing (its connection is refused at once)."""
        self._tasks = [
            asyncio.create_task(s.run(), name=f"mcp-{s.config.name}") for s in self.servers
        ]
        if self.servers:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(first_listing_within):
                    await asyncio.gather(*(s.listed.wait() for s in self.servers))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
