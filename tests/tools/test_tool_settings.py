"""MCP and tool settings: clear one-line errors for what cannot work, headers per server."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "s",
    "OPENAI_API_KEY": "k",
}


def test_servers_patterns_and_headers_are_read() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "MCP_SERVERS": "crm=https://crm.example/mcp, docs=http://docs:8080/mcp",
            "MCP_ALLOWED_TOOLS": "crm.lookup_order,docs.*",
            "MCP_CONFIRM_TOOLS": "crm.lookup_order",
            "MCP_HEADERS_CRM": "Authorization: Bearer abc; X-Team: sales",
        }
    )
    assert settings.mcp_servers == (
        ("crm", "https://crm.example/mcp"),
        ("docs", "http://docs:8080/mcp"),
    )
    assert settings.mcp_allowed_tools == ("crm.lookup_order", "docs.*")
    assert settings.mcp_headers == {"crm": (("Authorization", "Bearer abc"), ("X-Team", "sales"))}
    assert "abc" not in repr(settings)


def test_unset_means_no_servers_and_the_defaults() -> None:
    settings = Settings.from_env(BASE)
    assert (settings.mcp_servers, settings.mcp_allowed_tools, settings.max_tool_rounds) == (
        (),
        (),
        5,
    )
    assert settings.openai_reasoning_effort == ""


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MCP_SERVERS", "crm", "name=url"),
        ("MCP_SERVERS", "crm=ftp://x", "http(s) URL"),
        ("MCP_SERVERS", "crm=http://a/mcp,crm=http://b/mcp", "twice"),
        ("MCP_ALLOWED_TOOLS", "lookup_order", "server.tool"),
        ("MCP_ALLOWED_TOOLS", "billing.*", "does not list"),
        ("OPENAI_REASONING_EFFORT", "extreme", "low, medium, high"),
        ("MAX_TOOL_ROUNDS", "0", "greater than 0"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(variable: str, value: str, says: str) -> None:
    env = {**BASE, "MCP_SERVERS": "crm=http://crm/mcp", variable: value}
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == variable and says in raised.value.fix


def test_malformed_headers_are_refused_without_echoing_them() -> None:
    env = {**BASE, "MCP_SERVERS": "crm=http://crm/mcp", "MCP_HEADERS_CRM": "Bearer s3cret"}
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == "MCP_HEADERS_CRM" and "s3cret" not in str(raised.value)
