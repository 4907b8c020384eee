"""``python -m bot check``: each line OK or the fix to apply."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlparse

from bot.config import Settings
from bot.errors import BotError, describe_error
from bot.installations.checks import check_oauth
from bot.services import Services, open_services
from bot.slack_input.people import SlackPeople
from bot.store.health import database_unreachable_reason


class Report(Protocol):
    def __call__(self, ok: bool, what: str, fix: str = "", *, fatal: bool = True) -> None: ...


async def run_checks(settings: Settings) -> int:
    failures = 0

    def report(ok: bool, what: str, fix: str = "", *, fatal: bool = True) -> None:
        nonlocal failures
        failures += not ok and fatal
        mark = "OK  " if ok else "FAIL" if fatal else "WARN"
        print(f"{mark} {what}{'' if ok else ' — ' + fix}")

    mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
    report(True, f"configuration ({mode}, {'OAuth' if settings.oauth else 'one workspace'})")
    async with open_services(settings) as services:
        reason = await database_unreachable_reason(services.engine)
        report(reason is None, "database reachable", f"check DATABASE_URL ({reason})")
        if services.installations is not None:
            await check_oauth(services.installations, services.sessions, report)
        else:
            await _check_bot_token(services, report)
        try:
            models = await services.openai.list_models()
            found = settings.openai_model in models or not models
            report(
                found,
                f"model server reachable, model {settings.openai_model}",
                f"the server does not list {settings.openai_model}; check OPENAI_MODEL",
            )
        except Exception as exc:
            report(
                False,
                "model server reachable",
                f"check OPENAI_BASE_URL and OPENAI_API_KEY ({_reason(exc)})",
            )
        for line in (*policy_summary(settings), *cost_and_tools_summary(settings)):
            print(f"     {line}")
        # In OAuth mode a user group belongs to one of many workspaces: none to ask here.
        groups = _groups(settings) if services.installations is None else []
        for group in groups:
            try:
                members = await SlackPeople(services.slack).group_members(group)
                report(True, f"user group {group} expands ({len(members)} people)")
            except BotError as exc:
                report(
                    False,
                    f"user group {group} expands",
                    f"check the id and the usergroups:read scope ({describe_error(exc)})",
                )
        if services.moderator is not None:
            await _check_moderation(settings, services, report)
        for server in services.toolbox.servers:  # listed at start-up, within a few seconds
            report(
                bool(server.tools),
                f"MCP server {server.config.name} lists {len(server.tools)} allowed tools",
                "it is unreachable, or MCP_ALLOWED_TOOLS allows none of its tools: check "
                "MCP_SERVERS, MCP_HEADERS_<NAME> and MCP_ALLOWED_TOOLS",
                fatal=False,
            )
    return 1 if failures else 0


def policy_summary(settings: Settings) -> list[str]:
    """Who may use and change the bot, and what is moderated, in one line each."""

    def listed(ids: tuple[str, ...], nobody: str) -> str:
        return ", ".join(ids) if ids else nobody

    admins = "workspace admins and owners" + (
        f", and {', '.join(settings.admin_users)}" if settings.admin_users else ""
    )
    moderation = (
        f"{','.join(sorted(settings.moderation))} with {settings.openai_moderation_model} at "
        f"{urlparse(settings.moderation_base_url or settings.openai_base_url).netloc}, "
        f"on error {settings.moderation_on_error}"
        if settings.moderation
        else "off"
    )
    return [
        f"settings changed by: {admins} (ADMIN_USERS)",
        "models allowed: "
        + ", ".join(dict.fromkeys((settings.openai_model, *settings.allowed_models)))
        + " (ALLOWED_MODELS)",
        f"users allowed: {listed(settings.allowed_users, 'everyone')} (ALLOWED_USERS)",
        f"users blocked: {listed(settings.blocked_users, 'nobody')} (BLOCKED_USERS)",
        f"channels: {listed(settings.allowed_channels, 'every channel')} (ALLOWED_CHANNELS)",
        f"Slack Connect users: {settings.external_users} (EXTERNAL_USERS)",
        f"moderation: {moderation} (MODERATION)",
    ]


def cost_and_tools_summary(settings: Settings) -> list[str]:
    """What bounds the cost, how long messages are kept, and which tools the model has."""

    def limit(value: float, unit: str) -> str:
        return f"{value:,} {unit}" if value else "unlimited"

    windows = ", ".join(
        f"{'every model' if model == '*' else model}={tokens:,}"
        for model, tokens in settings.model_context_tokens.items()
    )
    servers = ", ".join(name for name, _url in settings.mcp_servers) or "none"
    return [
        f"context: {windows or 'built-in table, learned from the server'} "
        f"(MODEL_CONTEXT_TOKENS); history at most {settings.history_max_tokens:,} tokens "
        f"(HISTORY_MAX_TOKENS); answers at most {settings.answer_max_tokens:,} tokens "
        "(ANSWER_MAX_TOKENS)",
        f"budgets: {limit(settings.user_daily_tokens, 'tokens')} and "
        f"{limit(settings.user_daily_images, 'images')} per user per day; "
        f"{limit(settings.workspace_monthly_tokens, 'tokens')} and "
        f"{limit(settings.workspace_monthly_usd, 'USD')} per workspace per month "
        "(USER_DAILY_*, WORKSPACE_MONTHLY_*)",
        "retention: "
        + (f"{settings.retention_days} days" if settings.retention_days else "keep everything")
        + " (RETENTION_DAYS)",
        f"tools: generate_image, summarize_thread; MCP servers: {servers} (MCP_SERVERS); at most "
        f"{settings.max_tool_rounds} rounds (MAX_TOOL_ROUNDS); reasoning effort "
        f"{settings.openai_reasoning_effort or 'the model default'} (OPENAI_REASONING_EFFORT)",
    ]


def _groups(settings: Settings) -> list[str]:
    entries = (*settings.allowed_users, *settings.blocked_users)
    return list(dict.fromkeys(e for e in entries if e.startswith("S")))


async def _check_moderation(settings: Settings, services: Services, report: Report) -> None:
    assert services.moderator is not None
    refusing = settings.moderation_on_error == "refuse"
    consequence = "every request is refused" if refusing else "answers go unchecked"
    try:
        await services.moderator.moderate(
            "moderation check", model=settings.openai_moderation_model
        )
        report(True, f"moderation endpoint answers ({settings.openai_moderation_model})")
    except BotError as exc:
        report(
            False,
            "moderation endpoint answers",
            f"{consequence} ({describe_error(exc)}); set MODERATION_BASE_URL and "
            "MODERATION_API_KEY to a server with /moderations (e.g. OpenAI), or MODERATION=off",
            fatal=refusing,
        )


async def _check_bot_token(services: Services, report: Report) -> None:
    try:
        auth = await services.slack.auth_test()
        report(True, f"Slack token works (bot user {auth.get('user_id')}, team {auth.get('team')})")
    except Exception as exc:
        report(
            False,
            "Slack token works",
            f"check SLACK_BOT_TOKEN and SLACK_API_URL ({_reason(exc)})",
        )


def _reason(exc: Exception) -> str:
    error = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(error, dict) and error.get("error"):
        return str(error["error"])
    return type(exc).__name__
