"""The App Home tab (a ``home`` view for ``views.publish``): how to use the bot, the models in
use, the viewer's usage this month and, for workspace admins, the workspace's totals and the
channels' own settings. Sections whose content is None are left out."""

from __future__ import annotations

from typing import Any

from bot.home.content import ChannelSetting, HomeContent
from bot.home.usage import UsageTotals
from bot.slack_output.feedback_blocks import Block
from bot.slack_output.safe_text import escape_mrkdwn

__all__ = [
    "HOW_TO_BLOCK_ID",
    "MODELS_BLOCK_ID",
    "OWN_USAGE_BLOCK_ID",
    "SETTINGS_BLOCK_ID",
    "WORKSPACE_USAGE_BLOCK_ID",
    "build_home_view",
]

HOW_TO_BLOCK_ID = "home_how_to"
MODELS_BLOCK_ID = "home_models"
OWN_USAGE_BLOCK_ID = "home_usage_own"
WORKSPACE_USAGE_BLOCK_ID = "home_usage_workspace"
SETTINGS_BLOCK_ID = "home_channel_settings"
_PROMPT_PREVIEW = 80
_MAX_CHANNELS = 20  # a view holds 100 blocks; one section lists them

_HOW_TO = "\n".join(
    (
        "*Mention me* in a channel (`@AI Assistant how do I …`): I answer in a thread, and "
        "follow-ups there need no mention.",
        "*Message me* in the Messages tab: every message starts a conversation I answer in its "
        "thread.",
        "*`/imagine a lighthouse at dawn`* draws a picture (in a DM, just type it as a message). "
        "`/imagine` alone lists the options.",
        "*`/ai-settings`* shows or changes a channel's model and system prompt.",
        "Rate an answer with 👍 or 👎 under it; a 👎 lets you say what went wrong.",
    )
)


def _section(block_id: str, text: str) -> Block:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _totals(totals: UsageTotals) -> str:
    tokens = totals.prompt_tokens + totals.completion_tokens
    lines = [
        f"*Answers:* {totals.answers:,}",
        f"*Tokens:* {tokens:,} ({totals.prompt_tokens:,} in, {totals.completion_tokens:,} out)",
        f"*Images:* {totals.images:,}",
    ]
    if totals.estimated_cost_usd is not None:
        lines.append(f"*Estimated cost:* ${totals.estimated_cost_usd:,.2f}")
    return "\n".join(lines)


def _setting_line(setting: ChannelSetting) -> str:
    parts = [f"<#{setting.channel_id}>"]
    if setting.model:
        parts.append(f"model `{escape_mrkdwn(setting.model)}`")
    if setting.system_prompt:
        prompt = " ".join(setting.system_prompt.split())
        if len(prompt) > _PROMPT_PREVIEW:
            prompt = prompt[: _PROMPT_PREVIEW - 1] + "…"
        parts.append(f"prompt “{escape_mrkdwn(prompt)}”")
    return " · ".join(parts)


def _channel_settings(settings: tuple[ChannelSetting, ...]) -> str:
    if not settings:
        return "No channel has settings of its own: every channel uses the defaults above."
    lines = [_setting_line(s) for s in settings[:_MAX_CHANNELS]]
    if len(settings) > _MAX_CHANNELS:
        lines.append(f"…and {len(settings) - _MAX_CHANNELS} more channels.")
    return "\n".join(lines)


def build_home_blocks(content: HomeContent) -> list[Block]:
    models = content.models
    blocks: list[Block] = [
        _header("How to use me"),
        _section(HOW_TO_BLOCK_ID, _HOW_TO),
        _header("Models"),
        _section(
            MODELS_BLOCK_ID,
            f"*Answers:* `{escape_mrkdwn(models.chat)}`\n"
            f"*Pictures:* `{escape_mrkdwn(models.image)}`\n"
            "A channel may choose its own model with `/ai-settings`.",
        ),
    ]
    if content.own_usage is not None:
        blocks += [
            _header("Your usage this month"),
            _section(OWN_USAGE_BLOCK_ID, _totals(content.own_usage)),
        ]
    if content.workspace_usage is not None:
        blocks += [
            _header("Workspace usage this month"),
            _section(WORKSPACE_USAGE_BLOCK_ID, _totals(content.workspace_usage)),
        ]
    if content.channel_settings is not None:
        blocks += [
            _header("Channel settings in force"),
            _section(SETTINGS_BLOCK_ID, _channel_settings(content.channel_settings)),
        ]
    return blocks


def build_home_view(content: HomeContent) -> dict[str, Any]:
    return {"type": "home", "callback_id": "app_home", "blocks": build_home_blocks(content)}
