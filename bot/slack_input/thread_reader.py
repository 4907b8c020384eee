"""Reading one thread with ``conversations.replies`` for catch-up: paginated and bounded, with
authors' names from ``users.info`` (cached for the life of the process)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.catch_up import ThreadMessage
from bot.errors import SlackDeliveryError
from bot.slack_output.streaming import slack_error

# People talking (and other bots posting); joins, topic changes and the like are not discussion.
_DISCUSSION_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "bot_message"})


def _ts_value(ts: str) -> Decimal:
    try:
        return Decimal(ts)
    except InvalidOperation:
        return Decimal(0)


class SlackThreadReader:
    def __init__(
        self, client: AsyncWebClient, *, page_size: int = 100, max_messages: int = 200
    ) -> None:
        self._client = client
        self._page_size = page_size
        self._max_messages = max_messages
        self._names: dict[str, str] = {}
        self._me: tuple[str, str] | None = None

    async def read_before(
        self, channel_id: str, thread_ts: str, before_ts: str
    ) -> list[ThreadMessage]:
        user_id, bot_id = await self._identity()
        found: list[ThreadMessage] = []
        for raw in await self._replies(channel_id, thread_ts, before_ts):
            text = str(raw.get("text") or "").strip()
            ts = str(raw.get("ts") or "")
            if raw.get("subtype") not in _DISCUSSION_SUBTYPES or not text or not ts:
                continue
            if _ts_value(ts) >= _ts_value(before_ts):
                continue
            author = raw.get("user")
            mine = author == user_id or (bot_id != "" and raw.get("bot_id") == bot_id)
            found.append(
                ThreadMessage(
                    ts=ts,
                    text=text,
                    user_id=str(author) if author else None,
                    author_name=None if mine else await self._author_name(raw),
                    from_this_bot=mine,
                )
            )
        return found

    async def _replies(
        self, channel_id: str, thread_ts: str, before_ts: str
    ) -> list[Mapping[str, Any]]:
        messages: list[Mapping[str, Any]] = []
        cursor: str | None = None
        while len(messages) < self._max_messages:
            try:
                page = await self._client.conversations_replies(
                    channel=channel_id,
                    ts=thread_ts,
                    latest=before_ts,
                    inclusive=False,
                    limit=min(self._page_size, self._max_messages - len(messages)),
                    cursor=cursor,
                )
            except SlackApiError as exc:
                raise SlackDeliveryError("conversations.replies", slack_error(exc)) from exc
            messages.extend(m for m in page.get("messages") or () if isinstance(m, Mapping))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                break
        return messages[: self._max_messages]

    async def _identity(self) -> tuple[str, str]:
        if self._me is None:
            try:
                me = await self._client.auth_test()
            except SlackApiError as exc:
                raise SlackDeliveryError("auth.test", slack_error(exc)) from exc
            self._me = (str(me.get("user_id") or ""), str(me.get("bot_id") or ""))
        return self._me

    async def _author_name(self, raw: Mapping[str, Any]) -> str | None:
        user = raw.get("user")
        if not user:
            profile = raw.get("bot_profile") or {}
            return str(profile.get("name") or raw.get("username") or "") or None
        user = str(user)
        if user not in self._names:
            self._names[user] = await self._lookup(user)
        return self._names[user]

    async def _lookup(self, user: str) -> str:
        """A person's display name; their id when Slack will not say (the answer still works)."""
        try:
            info = (await self._client.users_info(user=user)).get("user") or {}
        except SlackApiError:
            return user
        profile = info.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), info.get("name")):
            if name:
                return str(name)
        return user
