"""Who may use the bot and where, which models, and moderation."""

from __future__ import annotations

from bot.config.lists import moderation_modes, names, slack_ids
from bot.config.parsers import base_url, choice, text
from bot.config.variable import Variable

POLICY: tuple[Variable, ...] = (
    Variable(
        "ADMIN_USERS",
        slack_ids("UW", "U012AB3CD"),
        "",
        "Comma-separated user ids who may change `/ai-settings`, besides workspace admins and "
        "owners.",
        parses_empty=True,
    ),
    Variable(
        "ALLOWED_MODELS",
        names,
        "",
        "Comma-separated model names or prefixes `/ai-settings model` may choose; empty: only "
        "`OPENAI_MODEL`, which is always allowed.",
        parses_empty=True,
    ),
    Variable(
        "ALLOWED_USERS",
        slack_ids("UWS", "U012AB3CD,S0614TZR7"),
        "",
        "Comma-separated user or user-group (`S…`) ids who may use the bot; empty: everyone.",
        parses_empty=True,
    ),
    Variable(
        "ALLOWED_CHANNELS",
        slack_ids("CGD", "C012AB3CD"),
        "",
        "Comma-separated channel ids where the bot answers; empty: every channel. DMs with the "
        "bot follow the user lists only.",
        parses_empty=True,
    ),
    Variable(
        "BLOCKED_USERS",
        slack_ids("UWS", "U012AB3CD,S0614TZR7"),
        "",
        "Comma-separated user or user-group ids never served; wins over `ALLOWED_USERS`.",
        parses_empty=True,
    ),
    Variable(
        "EXTERNAL_USERS",
        choice("refuse", "allow"),
        "refuse",
        "`allow` to answer people of other organisations in Slack Connect channels.",
    ),
    Variable(
        "MODERATION",
        moderation_modes,
        "off",
        "`off`, `input` (the user's text and images are checked before the model is asked) or "
        "`input,output` (the answer is checked too, and shown once checked).",
    ),
    Variable(
        "OPENAI_MODERATION_MODEL",
        text,
        "omni-moderation-latest",
        "Model for `POST /moderations`.",
    ),
    Variable(
        "MODERATION_ON_ERROR",
        choice("allow", "refuse"),
        "allow",
        "When the moderation server fails or lacks the endpoint: `allow` (answer, warn in the "
        "log at most once a minute) or `refuse`.",
    ),
    Variable(
        "MODERATION_BASE_URL",
        base_url,
        "",
        "Moderation server when it is not `OPENAI_BASE_URL` (e.g. OpenAI while chat is "
        "self-hosted).",
    ),
    Variable(
        "MODERATION_API_KEY",
        text,
        "",
        "Key for `MODERATION_BASE_URL`; unset: `OPENAI_API_KEY`.",
        secret=True,
    ),
)
