"""``app_uninstalled`` and ``tokens_revoked``: the workspace (or org) is let go."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.installations import Uninstalls


async def handle_app_uninstalled(context: AsyncBoltContext, uninstalls: Uninstalls) -> None:
    await uninstalls.app_uninstalled(
        context.enterprise_id, context.team_id, org_wide=bool(context.is_enterprise_install)
    )


async def handle_tokens_revoked(
    event: dict[str, Any], context: AsyncBoltContext, uninstalls: Uninstalls
) -> None:
    tokens = event.get("tokens") or {}
    await uninstalls.tokens_revoked(
        context.enterprise_id,
        context.team_id,
        org_wide=bool(context.is_enterprise_install),
        bot_user_ids=[str(u) for u in tokens.get("bot") or ()],
        user_ids=[str(u) for u in tokens.get("oauth") or ()],
    )
