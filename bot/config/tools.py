"""Tool calls: rounds, reasoning effort, remote MCP servers and Approve/Deny questions."""

from __future__ import annotations

from bot.config.parsers import choice, mcp_patterns, mcp_servers, positive_float, positive_int
from bot.config.variable import Variable

TOOLS: tuple[Variable, ...] = (
    Variable(
        "MAX_TOOL_ROUNDS",
        positive_int,
        "5",
        "Rounds of tool calls one answer may make; the last round answers without tools.",
    ),
    Variable(
        "OPENAI_REASONING_EFFORT",
        choice("low", "medium", "high"),
        "",
        "`low`, `medium` or `high`: sent as `reasoning_effort` to models that take it "
        "(o-series, gpt-5 family). Unset: the model's default.",
    ),
    Variable(
        "MCP_SERVERS",
        mcp_servers,
        "",
        "Remote MCP servers (streamable HTTP) as `name=url` pairs separated by commas. Headers "
        "for server NAME come from `MCP_HEADERS_NAME` (`Header: value; Other: value`, e.g. "
        "`Authorization: Bearer …`).",
        unset=(),
    ),
    Variable(
        "MCP_ALLOWED_TOOLS",
        mcp_patterns,
        "",
        "Which MCP tools the model may call: `server.tool` or `server.*`, separated by commas. "
        "Unset: none.",
        unset=(),
    ),
    Variable(
        "MCP_CONFIRM_TOOLS",
        mcp_patterns,
        "",
        "MCP tools (`server.tool`, `server.*`) that run only after the requesting user clicks "
        "Approve.",
        unset=(),
    ),
    Variable(
        "MCP_CALL_TIMEOUT_SECONDS", positive_float, "30", "Seconds one MCP tool call may take."
    ),
    Variable(
        "MCP_RESULT_MAX_CHARS",
        positive_int,
        "8000",
        "Characters of an MCP tool's result given to the model; the rest is cut with a note.",
    ),
    Variable(
        "MCP_REFRESH_SECONDS",
        positive_float,
        "300",
        "How often MCP tool lists are fetched again (besides when a server says they changed).",
    ),
    Variable(
        "TOOL_CONFIRM_TIMEOUT_SECONDS",
        positive_float,
        "300",
        "How long an Approve/Deny question waits for the requester; silence counts as Deny.",
    ),
)
