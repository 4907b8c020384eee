"""One short line in a channel for everyone (a settings change), not in a thread."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_output.safe_text import without_broadcasts
from bot.slack_output.slack_calls import call_slack


class ChannelAnnouncer:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def announce(self, *, channel: str, text: str) -> None:
        await call_slack(
            self._client, "chat.postMessage", channel=channel, text=without_broadcasts(text)
        )
