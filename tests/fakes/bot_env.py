"""The bot's configuration pointing at the fakes: one definition for in-process bots, bot
subprocesses and the benchmark."""

from __future__ import annotations

from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack

SIGNING_SECRET = "test-signing-secret"


def bot_env(
    slack: FakeSlack, openai: FakeOpenAI, database_url: str, **extra: str
) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "OPENAI_API_KEY": openai.api_key,
        "OPENAI_BASE_URL": openai.base_url,
        "OPENAI_MODEL": "gpt-4o-mini",
        "OPENAI_IMAGE_MODEL": "gpt-image-1",
        "DATABASE_URL": database_url,
        "SHUTDOWN_GRACE_SECONDS": "5",
        **extra,
    }
