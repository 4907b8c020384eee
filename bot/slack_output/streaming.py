"""Writing an answer into a Slack thread while the model writes it.

Native path: ``chat.startStream`` → ``chat.appendStream`` → ``chat.stopStream`` with standard
Markdown. Where a Slack refuses streaming (``unknown_method`` and friends, or HTTP 404), the
process remembers it and uses a placeholder message updated with ``chat.update`` instead. Both
paths flush at most once per interval, so Slack calls per answer are bounded by the answer's
duration, not its token count.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError

log = logging.getLogger(__name__)

STREAMING_UNAVAILABLE = frozenset(
    {"unknown_method", "not_allowed_token_type", "method_deprecated", "feature_not_enabled"}
)


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from a failed call (HTTP 404 counts as an unknown method)."""
    response = exc.response
    if response.status_code == 404:
        return "unknown_method"
    data = response.data if isinstance(response.data, dict) else {}
    return str(data.get("error", f"http_{response.status_code}"))


class SlackReplies:
    """Opens replies; remembers, once per process, whether this Slack streams natively."""

    def __init__(
        self, client: AsyncWebClient, *, stream_interval: float = 0.5, update_interval: float = 1.0
    ) -> None:
        self.client = client
        self.streaming_supported = True
        self.stream_interval = stream_interval
        self.update_interval = update_interval

    def open(
        self, *, channel: str, thread_ts: str, recipient_user_id: str, recipient_team_id: str
    ) -> StreamingReply:
        return StreamingReply(
            self,
            channel=channel,
            thread_ts=thread_ts,
            recipient_user_id=recipient_user_id,
            recipient_team_id=recipient_team_id,
        )

    async def post_notice(self, *, channel: str, thread_ts: str, text: str) -> str:
        """A short message in the thread (failures, notes); returns its ts."""
        try:
            response = await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text
            )
        except SlackApiError as exc:
            raise SlackDeliveryError("chat.postMessage", slack_error(exc)) from exc
        return str(response["ts"])


class StreamingReply:
    """One answer being written. ``append`` as text arrives, then ``finish`` or ``interrupt``."""

    def __init__(
        self,
        replies: SlackReplies,
        *,
        channel: str,
        thread_ts: str,
        recipient_user_id: str,
        recipient_team_id: str,
    ) -> None:
        self._replies = replies
        self._client = replies.client
        self.channel = channel
        self.thread_ts = thread_ts
        self._recipient_user_id = recipient_user_id
        self._recipient_team_id = recipient_team_id
        self.ts: str | None = None
        self.text = ""
        self._sent = 0  # characters of self.text already visible in Slack
        self._native: bool | None = None
        self._last_flush = 0.0

    async def append(self, delta: str) -> None:
        self.text += delta
        interval = self._replies.stream_interval if self._native else self._replies.update_interval
        if self.ts is None or time.monotonic() - self._last_flush >= interval:
            await self._flush()

    async def finish(self) -> str:
        """Show the whole text and close the message; returns its ts."""
        if self.ts is None:
            await self._flush()
        if self._native:
            await self._call("chat.stopStream", markdown_text=self._pending() or None)
        else:
            await self._call("chat.update", text=self.text)
        self._sent = len(self.text)
        assert self.ts is not None
        return self.ts

    async def interrupt(self, notice: str) -> str | None:
        """Keep what was shown, mark it interrupted; returns the ts, or None if nothing showed."""
        if not self.text:
            return None
        self.text += f"\n\n_{notice}_"
        return await self.finish()

    def _pending(self) -> str:
        return self.text[self._sent :]

    async def _flush(self) -> None:
        pending = self._pending()
        if not pending:
            return
        if self.ts is None:
            await self._start(pending)
        elif self._native:
            await self._call("chat.appendStream", markdown_text=pending)
        else:
            await self._call("chat.update", text=self.text)
        self._sent = len(self.text)
        self._last_flush = time.monotonic()

    async def _start(self, first: str) -> None:
        if self._replies.streaming_supported:
            try:
                response = await self._client.chat_startStream(
                    channel=self.channel,
                    thread_ts=self.thread_ts,
                    markdown_text=first,
                    recipient_user_id=self._recipient_user_id,
                    recipient_team_id=self._recipient_team_id,
                )
                self._native = True
                self.ts = str(response["ts"])
                return
            except SlackApiError as exc:
                error = slack_error(exc)
                if error not in STREAMING_UNAVAILABLE:
                    raise SlackDeliveryError("chat.startStream", error) from exc
                log.warning(
                    "Slack refused streaming (%s); using message updates from now on", error
                )
                self._replies.streaming_supported = False
        self._native = False
        try:
            response = await self._client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, text=self.text
            )
        except SlackApiError as exc:
            raise SlackDeliveryError("chat.postMessage", slack_error(exc)) from exc
        self.ts = str(response["ts"])

    async def _call(self, method: str, **fields: str | None) -> None:
        assert self.ts is not None
        args = {k: v for k, v in fields.items() if v is not None}
        try:
            await self._client.api_call(
                method, json={"channel": self.channel, "ts": self.ts, **args}
            )
        except SlackApiError as exc:
            raise SlackDeliveryError(method, slack_error(exc)) from exc
