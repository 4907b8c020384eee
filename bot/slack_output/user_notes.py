"""Messages for one person: ephemeral notes in a channel, or the bot's DM when it cannot post
there.

Ephemeral notes use ``chat.postEphemeral`` rather than a slash command's ``response_url``:
it goes through the one configured Web API client (``SLACK_API_URL``, retry handlers), has no
"5 uses in 30 minutes" cap, and fails with a typed error (``not_in_channel``) that tells us to
fall back to the DM — which is where the image itself goes in that case anyway.
"""

from __future__ import annotations

from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_output.files import delivery_error

CHANNEL_UNREACHABLE = frozenset({"not_in_channel", "channel_not_found"})
"""Slack errors meaning the bot cannot post in a conversation (not a member, or a DM/group DM
it is not part of)."""


class UserNotes:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def open_dm(self, user_id: str) -> str:
        """The id of the bot's DM with ``user_id`` (``conversations.open``, scope ``im:write``)."""
        try:
            response = await self._client.conversations_open(users=user_id)
        except SlackClientError as exc:
            raise delivery_error("conversations.open", exc) from exc
        return str(response["channel"]["id"])

    async def tell(self, *, channel: str, user_id: str, text: str) -> str:
        """Show ``text`` to ``user_id`` only: ephemeral in ``channel`` when the bot may post
        there, else in the bot's DM. Returns the conversation it went to."""
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return channel
        except SlackClientError as exc:
            error = delivery_error("chat.postEphemeral", exc)
            if error.error not in CHANNEL_UNREACHABLE:
                raise error from exc
        dm = await self.open_dm(user_id)
        try:
            await self._client.chat_postMessage(channel=dm, text=text)
        except SlackClientError as exc:
            raise delivery_error("chat.postMessage", exc) from exc
        return dm
