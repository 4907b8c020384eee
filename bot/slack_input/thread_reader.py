"""Reading one thread with ``conversations.replies`` for catch-up, with authors' names from
``users.info`` (cached for the life of the process).

``conversations.replies`` is rate-limited hard (1 request a minute and 15 messages a page for
commercially distributed non-Marketplace apps), so reading is bounded three times: at most
``max_pages`` requests, at most ``max_messages`` messages and ``max_chars`` of text kept. Slack pages from the oldest
message, so the thread is read forward and only its first message (what the discussion is
about) and the newest messages before the mention are kept; a thread longer than ``max_pages``
pages is kept up to the last page read. Every Slack or
connection error leaves as ``SlackDeliveryError``; catch-up then answers without the thread.
``read_thread`` (summaries) raises ``ThreadUnreadable`` when Slack says the bot may not read it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.catch_up import ThreadMessage
from bot.errors import SlackDeliveryError, ThreadUnreadable
from bot.slack_output.slack_calls import slack_errors_converted

log = logging.getLogger(__name__)

# People talking (and other bots posting); joins, topic changes and the like are not discussion.
_DISCUSSION_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "bot_message"})

_Raw = Mapping[str, Any]

_UNREADABLE = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "missing_scope",
        "thread_not_found",
        "method_not_supported_for_channel_type",
        "ratelimited",
    }
)
"""conversations.replies refusals about this thread or this token, not a passing failure."""


def _ts_value(ts: str) -> Decimal:
    try:
        return Decimal(ts)
    except InvalidOperation:
        return Decimal(0)


def _is_discussion(raw: _Raw, before: Decimal | None) -> bool:
    ts = str(raw.get("ts") or "")
    return (
        raw.get("subtype") in _DISCUSSION_SUBTYPES
        and bool(str(raw.get("text") or "").strip())
        and bool(ts)
        and (before is None or _ts_value(ts) < before)
    )


class SlackThreadReader:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        page_size: int = 1000,
        max_pages: int = 3,
        max_messages: int = 200,
        max_chars: int = 200_000,
    ) -> None:
        self._client = client
        self._page_size = page_size
        self._max_pages = max_pages
        self._max_messages = max_messages
        self._max_chars = max_chars
        self._names: dict[str, str] = {}
        self._me: tuple[str, str] | None = None

    async def read_before(
        self, channel_id: str, thread_ts: str, before_ts: str
    ) -> list[ThreadMessage]:
        """The thread's first message and its newest messages before ``before_ts``, oldest
        first, ``max_messages`` at most."""
        return await self._read(channel_id, thread_ts, before_ts)

    async def read_thread(self, channel_id: str, thread_ts: str) -> list[ThreadMessage]:
        """The whole thread as ``read_before`` bounds it; ``ThreadUnreadable`` when Slack will
        not let the bot read it (not a member, a private conversation, a missing scope)."""
        try:
            return await self._read(channel_id, thread_ts, None)
        except SlackDeliveryError as exc:
            if exc.error in _UNREADABLE and exc.method == "conversations.replies":
                raise ThreadUnreadable(exc.method, exc.error) from exc
            raise

    async def _read(
        self, channel_id: str, thread_ts: str, before_ts: str | None
    ) -> list[ThreadMessage]:
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

    async def _replies(self, channel_id: str, thread_ts: str, before_ts: str | None) -> list[_Raw]:
        """Discussion messages (before ``before_ts``, if given): the first one and the newest
        others, within ``max_messages`` and ``max_chars``."""
        if self._max_messages < 1:
            return []
        before = None if before_ts is None else _ts_value(before_ts)
        first: _Raw | None = None
        newest: deque[_Raw] = deque(maxlen=self._max_messages - 1)
        chars = 0
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
                    chars += len(str(raw["text"]))
                elif newest.maxlen:
                    if len(newest) == newest.maxlen:
                        chars -= len(str(newest[0]["text"]))
                    newest.append(raw)
                    chars += len(str(raw["text"]))
                    while newest and chars > self._max_chars:
                        chars -= len(str(newest.popleft()["text"]))
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
