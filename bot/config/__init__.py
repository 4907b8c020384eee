"""Settings from the environment (and a ``.env`` file), validated once at start-up.

Every variable is declared once in ``VARIABLES``; the README's configuration table is generated
from it (``python -m bot config-table``), so documentation and code cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dotenv import dotenv_values

from bot.config.core import DEFAULT_SUGGESTED_PROMPTS, DEFAULT_SYSTEM_PROMPT
from bot.config.parsers import mcp_headers as parse_mcp_headers
from bot.config.variable import APP_PAGE, Variable
from bot.config.variables import VARIABLES
from bot.errors import ConfigError
from bot.usage.prices import Price

__all__ = [
    "DEFAULT_SUGGESTED_PROMPTS",
    "DEFAULT_SYSTEM_PROMPT",
    "VARIABLES",
    "ConfigError",
    "Settings",
    "Variable",
    "config_table",
]


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Secrets are kept out of ``repr`` so they never reach a log."""

    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str = field(repr=False)
    slack_api_url: str
    openai_api_key: str = field(repr=False)
    openai_base_url: str
    openai_model: str
    openai_image_model: str
    database_url: str
    port: int
    system_prompt: str
    model_context_tokens: dict[str, int]
    answer_max_tokens: int
    history_max_tokens: int
    vision_models: str
    max_images_per_message: int
    max_attachment_mb_per_message: int
    max_attachment_mb_in_flight: int
    max_file_mb: int
    file_text_max_tokens: int
    openai_connect_timeout: float
    openai_read_timeout: float
    openai_stream_idle_timeout: float
    openai_max_retry_seconds: float
    worker_concurrency: int
    inbox_lease_seconds: float
    shutdown_grace_seconds: float
    admin_users: tuple[str, ...]
    allowed_models: tuple[str, ...]
    allowed_users: tuple[str, ...]
    allowed_channels: tuple[str, ...]
    blocked_users: tuple[str, ...]
    external_users: str
    moderation: frozenset[str]
    openai_moderation_model: str
    moderation_on_error: str
    moderation_base_url: str
    moderation_api_key: str = field(repr=False)
    user_daily_tokens: int
    user_daily_images: int
    workspace_monthly_tokens: int
    workspace_monthly_usd: float
    budget_exempt_admins: bool
    model_prices: Mapping[str, Price]
    retention_days: int
    suggested_prompts: tuple[tuple[str, str], ...]
    max_tool_rounds: int
    openai_reasoning_effort: str
    mcp_servers: tuple[tuple[str, str], ...]
    mcp_allowed_tools: tuple[str, ...]
    mcp_confirm_tools: tuple[str, ...]
    mcp_call_timeout_seconds: float
    mcp_result_max_chars: int
    mcp_refresh_seconds: float
    tool_confirm_timeout_seconds: float
    log_level: str
    log_format: str
    mcp_headers: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    encryption_key: str = field(default="", repr=False)
    slack_redirect_uri: str = ""
    purge_on_uninstall: bool = False

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:
        """Installed over OAuth in any number of workspaces, each with its own stored token."""
        return bool(self.slack_client_id or self.slack_client_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: str = ".env") -> Settings:
        """Read the environment (the process's by default) over the values of ``env_file``."""
        values: dict[str, str] = {}
        if environ is None:
            if os.path.exists(env_file):
                values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
            values.update(os.environ)
        else:
            values.update(environ)
        parsed: dict[str, Any] = {}
        for var in VARIABLES:
            raw = values.get(var.name, "").strip()
            if not raw:
                if var.default is None:
                    raise ConfigError(
                        var.name, f"is required. {var.doc} Set it in .env or the environment."
                    )
                raw = var.default
            parse = raw or var.parses_empty
            parsed[var.name.lower()] = var.parse(var.name, raw or "") if parse else var.unset
        parsed["mcp_headers"] = {
            server: parse_mcp_headers(f"MCP_HEADERS_{server.upper()}", raw)
            for server, url in parsed["mcp_servers"]
            if (raw := values.get(f"MCP_HEADERS_{server.upper()}", "").strip())
        }
        settings = cls(**parsed)
        _check_mcp_patterns(settings)
        _check_install_mode(settings)
        if not settings.socket_mode and not settings.slack_signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "is required in HTTP mode (or set SLACK_APP_TOKEN to use Socket Mode); "
                f"copy it from Basic Information → App Credentials on {APP_PAGE}",
            )
        if settings.max_attachment_mb_in_flight < settings.max_attachment_mb_per_message:
            raise ConfigError(
                "MAX_ATTACHMENT_MB_IN_FLIGHT",
                "must be at least MAX_ATTACHMENT_MB_PER_MESSAGE, or one message's images "
                "could never be held at once",
            )
        return settings


def _check_mcp_patterns(settings: Settings) -> None:
    names = {server for server, url in settings.mcp_servers}
    for variable, patterns in (
        ("MCP_ALLOWED_TOOLS", settings.mcp_allowed_tools),
        ("MCP_CONFIRM_TOOLS", settings.mcp_confirm_tools),
    ):
        for pattern in patterns:
            if pattern.partition(".")[0] not in names:
                raise ConfigError(
                    variable, f"{pattern!r} names a server that MCP_SERVERS does not list"
                )


def _check_install_mode(settings: Settings) -> None:
    """One workspace (``SLACK_BOT_TOKEN``) or OAuth (client id and secret), never both."""
    if settings.oauth and settings.slack_bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is set together with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET: choose one mode. Remove "
            "SLACK_BOT_TOKEN for OAuth (many workspaces), or the client credentials for one "
            "workspace",
        )
    if not settings.oauth and not settings.slack_bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is required (OAuth & Permissions → Bot User OAuth Token on "
            f"{APP_PAGE}), or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth mode",
        )
    if not settings.oauth:
        return
    for name, value in (
        ("SLACK_CLIENT_ID", settings.slack_client_id),
        ("SLACK_CLIENT_SECRET", settings.slack_client_secret),
    ):
        if not value:
            raise ConfigError(
                name,
                "is required in OAuth mode (both client credentials are); copy it from "
                f"Basic Information → App Credentials on {APP_PAGE}",
            )
    if not settings.encryption_key:
        raise ConfigError(
            "ENCRYPTION_KEY",
            "is required in OAuth mode: Slack tokens are stored encrypted with it. Generate "
            "one with `python -m bot gen-key` and keep it safe",
        )


def config_table() -> str:
    """The Markdown table of every variable, as shown in the README."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for var in VARIABLES:
        if var.default is None:
            default = "required"
        elif var.default == "":
            default = "unset"
        elif var.name == "SYSTEM_PROMPT":
            default = "a short helpful-assistant prompt"
        elif var.name == "SUGGESTED_PROMPTS":
            default = "four prompts (explain, draw, improve writing, plan)"
        else:
            default = f"`{var.default}`"
        rows.append(f"| `{var.name}` | {var.doc} | {default} |")
    return "\n".join(rows)
