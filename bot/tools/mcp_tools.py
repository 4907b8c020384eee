"""Tools from remote MCP servers (streamable HTTP), through the official ``mcp`` SDK.

Each server is kept connected by a background task: its tools are listed at start-up, again
when the server says they changed (``subscriptions/listen`` on 2026-07-28 connections,
``notifications/tools/list_changed`` on earlier ones) and every ``refresh_seconds``. A server
that is down or drops the connection has no tools until it is back: the bot goes on without
them. Each call has a timeout and its result is cut to ``max_result_chars``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
import mcp_types
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from bot.policy.decision import Refusal
from bot.tools.base import ToolContext, ToolOutput
from bot.tools.mcp_patterns import ToolPatterns

log = logging.getLogger(__name__)

_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_-]")
_RECONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class McpServerConfig:
    name: str
    url: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class McpLimits:
    allowed: ToolPatterns
    confirm: ToolPatterns
    call_timeout: float
    max_result_chars: int
    refresh_seconds: float


class McpServerTools:
    """One MCP server's allowed tools, kept current while it is reachable."""

    def __init__(self, config: McpServerConfig, limits: McpLimits) -> None:
        self.config = config
        self._limits = limits
        self._client: Client | None = None
        self._changed = asyncio.Event()
        self.tools: tuple[McpTool, ...] = ()
        self.listed = asyncio.Event()
        """Set after each listing attempt, successful or not (tests and start-up await it)."""

    async def run(self) -> None:
        """Stay connected until cancelled; reconnect after failures."""
        while True:
            try:
                await self._connected()
            except Exception as exc:  # a server down or misbehaving must never stop the bot
                log.warning(
                    "MCP server %s unavailable (%s); its tools are off until it is back",
                    self.config.name,
                    type(exc).__name__,
                )
            self._client, self.tools = None, ()
            self.listed.set()
            await asyncio.sleep(_RECONNECT_SECONDS)

    async def _connected(self) -> None:
        http = httpx2.AsyncClient(headers=dict(self.config.headers))
        async with (
            http,
            Client(
                streamable_http_client(self.config.url, http_client=http),
                message_handler=self._on_message,
                read_timeout_seconds=self._limits.call_timeout,
            ) as client,
        ):
            self._client = client
            listener = asyncio.create_task(self._listen(client))
            try:
                while True:
                    await self._list(client)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._limits.refresh_seconds):
                            await self._changed.wait()
                    self._changed.clear()
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await listener

    async def _listen(self, client: Client) -> None:
        """Change events on 2026-07-28 connections; earlier ones notify through messages."""
        try:
            async with client.listen(tools_list_changed=True) as changes:
                async for _event in changes:
                    self._changed.set()
        except Exception as exc:
            log.info("MCP server %s: no change stream (%s)", self.config.name, type(exc).__name__)

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            self._changed.set()

    async def _list(self, client: Client) -> None:
        listed: list[mcp_types.Tool] = []
        cursor: str | None = None
        for _page in range(20):
            page = await client.list_tools(cursor=cursor, cache_mode="refresh")
            listed += page.tools
            cursor = page.next_cursor
            if cursor is None:
                break
        allowed = self._limits.allowed
        self.tools = tuple(
            McpTool(self, tool, self._limits.confirm.matches(self.config.name, tool.name))
            for tool in listed
            if allowed.matches(self.config.name, tool.name)
        )
        log.info("MCP server %s: %d tools allowed", self.config.name, len(self.tools))
        self.listed.set()

    async def call(self, tool: str, arguments: Mapping[str, Any]) -> ToolOutput:
        client = self._client
        if client is None:
            return ToolOutput(f"The {self.config.name} tools are unavailable right now.", ok=False)
        try:
            async with asyncio.timeout(self._limits.call_timeout):
                result = await client.call_tool(tool, dict(arguments))
        except TimeoutError:
            return ToolOutput(
                f"The tool did not answer within {self._limits.call_timeout:g} seconds.", ok=False
            )
        except MCPError as exc:  # the server refused the call (unknown tool, bad arguments)
            return ToolOutput(_capped(f"The tool refused: {exc}", 500), ok=False)
        except Exception as exc:  # the connection broke: the supervisor reconnects
            log.warning("MCP server %s: call failed (%s)", self.config.name, type(exc).__name__)
            return ToolOutput(f"The {self.config.name} tools are unavailable right now.", ok=False)
        return ToolOutput(
            _capped(_result_text(result), self._limits.max_result_chars), ok=not result.is_error
        )


@dataclass(frozen=True)
class McpTool:
    server: McpServerTools
    tool: mcp_types.Tool
    needs_confirmation: bool

    @property
    def name(self) -> str:
        return _NOT_A_NAME.sub("_", f"{self.server.config.name}__{self.tool.name}")[:64]

    @property
    def title(self) -> str:
        return f"{self.server.config.name}.{self.tool.name}"

    @property
    def description(self) -> str:
        return self.tool.description or self.tool.title or self.tool.name

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.tool.input_schema

    async def permit(self, arguments: Mapping[str, Any], context: ToolContext) -> Refusal | None:
        return None  # access rules for tools belong to bot/policy (built in parallel)

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolOutput:
        return await self.server.call(self.tool.name, arguments)


def _result_text(result: mcp_types.CallToolResult) -> str:
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        else:
            parts.append(f"[{block.type} content not shown]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts) or "(the tool returned nothing)"


def _capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[result cut to {limit:,} of {len(text):,} characters]"
