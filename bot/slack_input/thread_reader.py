"""Reading one thread with ``conversations.replies`` for catch-up, with authors' names from
``users.info`` (cached for the life of the process).

``conversations.replies`` is rate-limited hard (1 request a minute and 15 messages a page for
commercially distributed non-Marketplace apps), so reading is bounded twice: at most
``max_pages`` requests, and at most ``max_messages`` messages kept. Slack pages from the oldest
message, so the thread is read forward and only its first message (what the discussion is
about) and the newest messages before the mention are kept; a thread longer than ``max_pages``
pages is kept up to the last page read. Every Slack or
connection error leaves as ``SlackDeliveryError``; catch-up then answers without the thread.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.catch_up import ThreadMessage
from bot.errors import SlackDeliveryError
from bot.slack_output.slack_calls import slack_errors_converted

log = logging.getLogger(__name__)

# People talking (and other bots posting); joins, topic changes and the like are not discussion.
_DISCUSSION_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "bot_message"})

_Raw = Mapping[str, Any]


def _ts_value(ts: str) -> Decimal:
    try:
        return Decimal(ts)
    except InvalidOperation:
        return Decimal(0)


def _is_discussion(raw: _Raw, before: Decimal) -> bool:
    ts = str(raw.get("ts") or "")
    return (
        raw.get("subtype") in _DISCUSSION_SUBTYPES
        and bool(str(raw.get("text") or "").strip())
        and bool(ts)
        and _ts_value(ts) < before
    )


class SlackThreadReader:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        page_size: int = 1000,
        max_pages: int = 3,
        max_messages: int = 200,
    ) -> None:
        self._client = client
        self._page_size = page_size
        self._max_pages = max_pages
        self._max_messages = max_messages
        self._names: dict[str, str] = {}
        self._me: tuple[str, str] | None = None

    async def read_before(
        self, channel_id: str, thread_ts: str, before_ts: str
    ) -> list[ThreadMessage]:
        """The thread's first message and its newest messages before ``before_ts``, oldest
        first, ``max_messages`` at most."""
        user_id, bot_id = await self._identity()
        found: list[ThreadMessage] = []
        for raw in await self._replies(channel_id, thread_ts, before_ts):
            author = raw.get("user")
            mine = author == user_id or (bot_id != "" and raw.get("bot_id") == bot_id)
            found.append(
                ThreadMessage(
                    ts=str(raw["ts"]),
                    text=str(raw["text"]).strip(),
                    user_id=str(author) if author else None,
                    author_name=None if mine else await self._author_name(raw),
                    from_this_bot=mine,
                )
            )
        return found

    async def _replies(self, channel_id: str, thread_ts: str, before_ts: str) -> list[_Raw]:
        """Discussion messages before ``before_ts``: the first one and the newest others."""
        if self._max_messages < 1:
            return []
        before = _ts_value(before_ts)
        first: _Raw | None = None
        newest: deque[_Raw] = deque(maxlen=self._max_messages - 1)
        cursor: str | None = None
        for _ in range(self._max_pages):
            with slack_errors_converted("conversations.replies"):
                page = await self._client.conversations_replies(
                    channel=channel_id,
                    ts=thread_ts,
                    latest=before_ts,
                    inclusive=False,
                    limit=self._page_size,
                    cursor=cursor,
                )
            for raw in page.get("messages") or ():
                if not isinstance(raw, Mapping) or not _is_discussion(raw, before):
                    continue
                if first is None:
                    first = raw
                elif newest.maxlen:
                    newest.append(raw)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                break
        else:
            # Slack pages forward only: the messages just before the mention stay unread.
            log.warning("thread longer than %d pages; catching up on part of it", self._max_pages)
        return [] if first is None else [first, *newest]

    async def _identity(self) -> tuple[str, str]:
        if self._me is None:
            with slack_errors_converted("auth.test"):
                me = await self._client.auth_test()
            self._me = (str(me.get("user_id") or ""), str(me.get("bot_id") or ""))
        return self._me

    async def _author_name(self, raw: _Raw) -> str | None:
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
            with slack_errors_converted("users.info"):
                info = (await self._client.users_info(user=user)).get("user") or {}
        except SlackDeliveryError:
            return user
        profile = info.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), info.get("name")):
            if name:
                return str(name)
        return user
