"""Messages for one person: ephemeral notes in a channel, or the bot's DM when it cannot post
there.

Ephemeral notes use ``chat.postEphemeral`` rather than a slash command's ``response_url``:
it goes through the one configured Web API client (``SLACK_API_URL``, retry handlers), has no
"5 uses in 30 minutes" cap, and fails with a typed error (``not_in_channel``) that tells us to
fall back to the DM — which is where the image itself goes in that case anyway.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.safe_text import without_broadcasts
from bot.slack_output.slack_calls import call_slack

CHANNEL_UNREACHABLE = frozenset({"not_in_channel", "channel_not_found"})
"""Slack errors meaning the bot cannot post in a conversation (not a member, or a DM/group DM
it is not part of)."""


class UserNotes:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def open_dm(self, user_id: str) -> str:
        """The id of the bot's DM with ``user_id`` (``conversations.open``, scope ``im:write``)."""
        response = await call_slack(self._client, "conversations.open", users=user_id)
        return str(response["channel"]["id"])

    async def tell(
        self, *, channel: str, user_id: str, text: str, thread_ts: str | None = None
    ) -> str:
        """Show ``text`` to ``user_id`` only: ephemeral in ``channel`` (in its thread
        ``thread_ts``) when the bot may post there, else in the bot's DM. Returns the
        conversation it went to."""
        text = without_broadcasts(text)
        try:
            await call_slack(
                self._client,
                "chat.postEphemeral",
                channel=channel,
                user=user_id,
                text=text,
                thread_ts=thread_ts,
            )
            return channel
        except SlackDeliveryError as exc:
            if exc.error not in CHANNEL_UNREACHABLE:
                raise
        dm = await self.open_dm(user_id)
        await call_slack(self._client, "chat.postMessage", channel=dm, text=text)
        return dm
