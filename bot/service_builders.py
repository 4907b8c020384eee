"""Builders for the clients and policies ``open_services`` wires together: each turns the settings
into one object (the Slack and OpenAI clients, the policies, the budgets' limits, the toolbox)."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.images.service import ImageService
from bot.installations import TeamTokenWebClient
from bot.metrics import Metrics, SlackErrorCounter
from bot.openai_api.client import OpenAIClient
from bot.openai_api.retry import RetryPolicy
from bot.policy.access import AccessLists, AccessRule
from bot.policy.budgets import BudgetLimits
from bot.policy.moderation import ModerationRule, ModerationSettings
from bot.policy.rules import Policies, Policy
from bot.policy.usergroups import UserGroups
from bot.slack_input.people import SlackPeople
from bot.summaries import ThreadSummaries
from bot.tools.base import Tool
from bot.tools.image_tool import GenerateImageTool
from bot.tools.mcp_patterns import ToolPatterns
from bot.tools.summary_tool import SummarizeThreadTool
from bot.tools.toolbox import Toolbox


def build_slack_client(settings: Settings, metrics: Metrics) -> AsyncWebClient:
    """One client with one connection pool (call inside the event loop; close its session).

    No retry on Slack 5xx: Slack may have done what a postMessage or appendStream asked before
    failing, and a retry would then double a reply or a chunk. Rate limits are retried as asked.

    In OAuth mode it has no token of its own: each call carries the served team's."""
    return TeamTokenWebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        session=aiohttp.ClientSession(),
        retry_handlers=[
            SlackErrorCounter(metrics),  # first: it sees every response, then lets others retry
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_toolbox(settings: Settings, images: ImageService, summaries: ThreadSummaries) -> Toolbox:
    builtins: list[Tool] = [
        GenerateImageTool(images, settings.openai_image_model),
        SummarizeThreadTool(summaries),
    ]
    if not settings.mcp_servers:
        return Toolbox(builtins)
    # Imported here: the MCP SDK costs a process ~50 MB that a bot without MCP servers never uses.
    from bot.tools.mcp_tools import McpLimits, McpServerConfig, McpServerTools

    limits = McpLimits(
        allowed=ToolPatterns.of(settings.mcp_allowed_tools),
        confirm=ToolPatterns.of(settings.mcp_confirm_tools),
        call_timeout=settings.mcp_call_timeout_seconds,
        max_result_chars=settings.mcp_result_max_chars,
        refresh_seconds=settings.mcp_refresh_seconds,
    )
    servers = [
        McpServerTools(McpServerConfig(name, url, dict(settings.mcp_headers.get(name, ()))), limits)
        for name, url in settings.mcp_servers
    ]
    return Toolbox(builtins, servers)


def build_openai_client(settings: Settings, metrics: Metrics) -> OpenAIClient:
    return OpenAIClient(
        settings.openai_base_url,
        settings.openai_api_key,
        connect_timeout=settings.openai_connect_timeout,
        read_timeout=settings.openai_read_timeout,
        stream_idle_timeout=settings.openai_stream_idle_timeout,
        retry=RetryPolicy(max_total=settings.openai_max_retry_seconds),
        on_error=metrics.openai_error,
    )


def build_moderation_client(settings: Settings, metrics: Metrics) -> OpenAIClient | None:
    """Its own client (``MODERATION_BASE_URL`` / ``MODERATION_API_KEY`` or the chat server's),
    with a short retry budget: every message waits for it."""
    if not settings.moderation:
        return None
    return OpenAIClient(
        settings.moderation_base_url or settings.openai_base_url,
        settings.moderation_api_key or settings.openai_api_key,
        connect_timeout=settings.openai_connect_timeout,
        read_timeout=min(settings.openai_read_timeout, 20.0),
        max_connections=100,
        retry=RetryPolicy(max_attempts=2, base_delay=0.2, max_total=10.0),
        on_error=metrics.openai_error,
    )


def build_policies(
    settings: Settings, people: SlackPeople, moderator: OpenAIClient | None, metrics: Metrics
) -> tuple[Policies, ModerationRule | None]:
    access = AccessRule(
        AccessLists(
            allowed_users=settings.allowed_users,
            allowed_channels=settings.allowed_channels,
            blocked_users=settings.blocked_users,
            allow_external=settings.external_users == "allow",
        ),
        UserGroups(people),
    )
    if moderator is None:
        return Policies(access=Policy([access])), None
    moderation = ModerationRule(
        moderator,
        ModerationSettings(
            model=settings.openai_moderation_model,
            check_input="input" in settings.moderation,
            check_output="output" in settings.moderation,
            refuse_on_error=settings.moderation_on_error == "refuse",
        ),
        metrics,
    )
    return Policies(access=Policy([access]), content=Policy([moderation])), moderation


def budget_limits(settings: Settings) -> BudgetLimits:
    return BudgetLimits(
        user_daily_tokens=settings.user_daily_tokens,
        user_daily_images=settings.user_daily_images,
        workspace_monthly_tokens=settings.workspace_monthly_tokens,
        workspace_monthly_usd=settings.workspace_monthly_usd,
        exempt_users=frozenset(settings.admin_users)
        if settings.budget_exempt_admins
        else frozenset(),
    )
