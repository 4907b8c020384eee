"""Writing an answer into a Slack thread while the model writes it.

Each message of an answer is written natively (chat streaming) or, where this Slack refuses
streaming (``unknown_method`` and friends, HTTP 404), by ``chat.update``; the refusal is
remembered for the process (``message_writers``). A refusal about one conversation or recipient
(``channel_type_not_supported``, a missing recipient) falls back for that message only. Text is sent at most once per interval
(``stream_interval`` natively, ``update_interval`` for updates), so an answer of D seconds that
fills M messages costs at most ``2·M + D / interval`` Slack calls (a start and a stop per
message, one send per interval), plus one status call: never one per token.

Past 12,000 characters the answer continues in follow-up messages in the same thread, cut by
``StreamSplitter`` at paragraph or code-block boundaries with fences closed and reopened. The
last message of a complete answer carries the feedback buttons.

Slack ends a stream after a few minutes (``message_not_in_streaming_state``) and refuses an
oversized one (``msg_too_long``): the text it refused opens the next message of the answer, in
the same thread, so nothing is lost or shown twice, and every message's ts is reported.

Steps of work (``task``, the ``Progress`` protocol) show as task cards natively and as lines of
text where messages are updated; ``finish`` ends with Slack's feedback control, or the older
buttons where Slack refuses it.

The model's text reaches Slack only through ``MarkdownEscaper``, so nothing it writes can
notify a channel, ping a person or link anywhere but ``http``, ``https`` and ``mailto``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.background import BackgroundTasks
from bot.conversations.progress import TaskStep
from bot.errors import SlackDeliveryError
from bot.slack_output.feedback_blocks import FEEDBACK_THANKS, Block, build_feedback_blocks
from bot.slack_output.markdown_split import AppendText, Segment, StreamSplitter
from bot.slack_output.message_writers import (
    MessageWriter,
    NativeStream,
    ReplyTarget,
    SlackSupport,
    UpdatedMessage,
)
from bot.slack_output.safe_text import MarkdownEscaper, without_broadcasts
from bot.slack_output.slack_calls import (
    PER_MESSAGE_STREAM_REFUSALS,
    REQUEST_FAILED,
    UNSUPPORTED,
    call_slack,
)

__all__ = ["THINKING_STATUS", "SlackReplies", "StreamingReply"]

log = logging.getLogger(__name__)

THINKING_STATUS = "is thinking…"
# A streamed message Slack will not take more of: the answer goes on in a new message.
STREAM_ENDED = frozenset({"message_not_in_streaming_state", "msg_too_long"})
# A Slack that streams text but not task cards (chunks or task_display_mode unknown to it).
CHUNKS_REFUSED = frozenset({"invalid_chunks", "invalid_arguments"})

# Escaped, a character of the model's text is at most two UTF-16 units (one and a zero-width
# space, or one outside the BMP), and the splitter's room counts each unit twice.
_UNITS_PER_CHARACTER = 4

MessagesWritten = Callable[[tuple[str, ...], bool], Awaitable[None]]
"""Told the ts of every message of an answer so far, and whether one more is being opened
(before its ts is known), so a takeover can find and close them all. Told before each opening
(True), and after an opening Slack refused (False: nothing more to look for); a message that
opened is not told again: the marker of its opening already sends a takeover to look for it,
and the answer's stored turn records it, so an answer costs one write here, not two."""


class SlackReplies:
    """Opens replies; remembers, once per process, what this Slack supports."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        tasks: BackgroundTasks | None = None,
        stream_interval: float = 0.5,
        update_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.support = SlackSupport()
        self.stream_interval = stream_interval
        self.update_interval = update_interval
        self.clock = clock
        self.tasks = tasks or BackgroundTasks()

    def open(
        self,
        *,
        channel: str,
        thread_ts: str,
        recipient_user_id: str,
        recipient_team_id: str,
        thinking: bool = False,
        loading_messages: tuple[str, ...] = (),
        on_messages: MessagesWritten | None = None,
    ) -> StreamingReply:
        """A reply in the thread; ``thinking`` shows the assistant status (rotating through
        ``loading_messages``) until text appears."""
        target = ReplyTarget(channel, thread_ts, recipient_user_id, recipient_team_id)
        status = None
        if thinking and self.support.status:
            status = self.tasks.spawn(
                self.set_status(channel, thread_ts, THINKING_STATUS, loading_messages),
                name="assistant-status",
            )
        return StreamingReply(self, target, status, on_messages)

    async def start_message(
        self, target: ReplyTarget, markdown: str, step: TaskStep | None = None
    ) -> MessageWriter:
        """Open one message of an answer, natively where this Slack streams (and, for a message
        that opens with a step of work, takes task cards)."""
        if self.support.streaming and (step is None or self.support.task_chunks):
            try:
                return await NativeStream.open(self.client, target, markdown, step)
            except SlackDeliveryError as exc:
                if step is not None and exc.error in CHUNKS_REFUSED:
                    log.warning("Slack refused task cards (%s); steps show as text", exc.error)
                    self.support.task_chunks = False
                elif exc.error in PER_MESSAGE_STREAM_REFUSALS:
                    log.info("Slack refused streaming here (%s); updating this message", exc.error)
                elif exc.error in UNSUPPORTED:
                    log.warning("Slack refused streaming (%s); using message updates", exc.error)
                    self.support.streaming = False
                else:
                    raise
        return await UpdatedMessage.open(self.client, self.support, target, markdown, step)

    def interval(self, writer: MessageWriter) -> float:
        return self.stream_interval if isinstance(writer, NativeStream) else self.update_interval

    async def set_status(
        self, channel: str, thread_ts: str, status: str, loading_messages: tuple[str, ...] = ()
    ) -> None:
        """Show an assistant status; a cosmetic call, so no failure ever reaches the answer."""
        try:
            await call_slack(
                self.client,
                "assistant.threads.setStatus",
                channel_id=channel,
                thread_ts=thread_ts,
                status=status,
                loading_messages=list(loading_messages) or None,
            )
        except SlackDeliveryError as exc:
            if exc.error in UNSUPPORTED:
                self.support.status = False
            log.info("assistant status not shown: %s", exc.error)

    async def post_notice(self, *, channel: str, thread_ts: str, text: str) -> str:
        """A short message in the thread (failures, notes); returns its ts. ``text`` is the
        bot's mrkdwn, with anything foreign in it escaped by whoever built it."""
        data = await call_slack(
            self.client,
            "chat.postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=without_broadcasts(text),
        )
        return str(data["ts"])

    async def thank_for_feedback(
        self, *, channel: str, thread_ts: str | None, user_id: str
    ) -> None:
        """A thank-you only the voter sees; the buttons stay for everyone else."""
        await call_slack(
            self.client,
            "chat.postEphemeral",
            channel=channel,
            thread_ts=thread_ts,
            user=user_id,
            text=FEEDBACK_THANKS,
        )


class StreamingReply:
    """One answer being written. ``append`` as text arrives (and ``task`` for steps of work),
    then ``finish`` or ``interrupt``.

    ``text`` is the whole answer as the model wrote it (what Slack shows is escaped);
    ``ts`` is its first message and ``messages`` all of them.
    """

    def __init__(
        self,
        replies: SlackReplies,
        target: ReplyTarget,
        status: asyncio.Task[None] | None,
        on_messages: MessagesWritten | None = None,
    ) -> None:
        self._replies = replies
        self._target = target
        self._status = status
        self._on_messages = on_messages
        self.messages: tuple[str, ...] = ()
        self._escaper = MarkdownEscaper()
        self._splitter = StreamSplitter()
        self._writer: MessageWriter | None = None
        self._unescaped = ""  # the model's text not yet through the escaper and splitter
        self._batch_room = self._room_for_batch()
        self._pending = ""  # Markdown of the current message not yet sent to Slack
        self._last_send = 0.0
        self.text = ""
        self.ts: str | None = None
        self._ended = False

    async def append(self, delta: str) -> None:
        """Take the model's next text. It is escaped and split once per send, in one batch,
        unless it could reach the message's limit: then at once, so the next message opens
        on the token that fills this one even if the model pauses after it."""
        self.text += delta
        self._unescaped += delta
        if len(self._unescaped) > self._batch_room:
            await self._escape()
        writer = self._writer
        if writer is None or self._replies.clock() - self._last_send >= self._replies.interval(
            writer
        ):
            await self._send()

    async def task(self, step: TaskStep) -> None:
        """Show a step of work (``Progress``): text so far first, so the card follows it."""
        if self._ended:
            return
        await self._send()
        if self._writer is None:
            await self._open(step=step)
            return
        try:
            await self._write(lambda writer: writer.task(step), step=step)
        except SlackDeliveryError as exc:
            if exc.error not in CHUNKS_REFUSED:
                raise
            log.warning("Slack refused task cards (%s); later steps show as text", exc.error)
            self._replies.support.task_chunks = False

    async def finish(self) -> str | None:
        """Show the whole text, end with the feedback control; returns the first message's ts."""
        return await self._end(feedback=True)

    async def end(self) -> str | None:
        """Finish without asking for feedback: steps of work alone, or text nobody rates."""
        if self._ended:
            return self.ts
        return await self._end(feedback=False)

    async def interrupt(self, notice: str) -> str | None:
        """Keep what was shown, mark it interrupted; returns the ts, or None if nothing showed.
        A reply already finished is left as it is."""
        if self._ended:
            return self.ts
        if not self.text:
            self._settle_status()
            if self._writer is not None:  # only steps of work showed: close them
                return await self._end(feedback=False)
            return None
        marked = f"\n\n_{notice}_"
        self.text += marked
        self._unescaped += marked
        return await self._end(feedback=False)

    async def _end(self, *, feedback: bool) -> str | None:
        await self._escape()
        await self._apply([*self._splitter.feed(self._escaper.finish()), *self._splitter.finish()])
        self._settle_status()
        if self._writer is None and not self._pending:
            self._ended = True
            return self.ts
        if self._writer is None:
            await self._open()
        assert self.ts is not None
        last = self._take()
        support = self._replies.support
        if not feedback:
            await self._close(last, [])
        elif not support.feedback_control:
            await self._close(last, build_feedback_blocks(self.ts, native=False))
        else:
            try:
                await self._close(last, build_feedback_blocks(self.ts))
            except SlackDeliveryError as exc:
                if exc.error != "invalid_blocks":
                    raise
                log.warning("Slack refused its feedback control; using buttons from now on")
                support.feedback_control = False
                await self._close(last, build_feedback_blocks(self.ts, native=False))
        self._writer = None
        self._ended = True
        return self.ts

    async def _apply(self, segments: list[Segment]) -> None:
        for segment in segments:
            if isinstance(segment, AppendText):
                self._pending += segment.text
                continue
            self._pending += segment.close_with
            if self._writer is None:
                await self._open()
            await self._close(self._take(), [])
            self._writer = None
            self._pending = segment.start_with

    async def _escape(self) -> None:
        """Pass the text taken since the last batch through the escaper and the splitter."""
        if self._unescaped:
            unescaped, self._unescaped = self._unescaped, ""
            await self._apply(self._splitter.feed(self._escaper.feed(unescaped)))
        self._batch_room = self._room_for_batch()

    def _room_for_batch(self) -> int:
        """Characters of the model's text that may wait unescaped: none of them can fill
        the message, counting those the escaper still holds."""
        return self._splitter.room() // _UNITS_PER_CHARACTER - self._escaper.holding

    async def _send(self) -> None:
        await self._escape()
        if not self._pending:
            return
        if self._writer is None:
            await self._open()
        else:
            markdown = self._take()
            await self._write(lambda writer: writer.push(markdown), markdown=markdown)
        self._last_send = self._replies.clock()

    async def _close(self, markdown: str, blocks: list[Block]) -> None:
        """Finish the current message with ``markdown`` and ``blocks``; if Slack ended its
        stream, they finish a new message instead."""
        if not await self._write(lambda writer: writer.close(markdown, blocks), markdown=markdown):
            assert self._writer is not None
            await self._writer.close("", blocks)

    async def _write(
        self,
        write: Callable[[MessageWriter], Awaitable[None]],
        *,
        markdown: str = "",
        step: TaskStep | None = None,
    ) -> bool:
        """``write`` to the current message; False if Slack ended its stream and took none of
        it, in which case ``markdown`` (or ``step``) opened the next message instead."""
        assert self._writer is not None
        try:
            await write(self._writer)
        except SlackDeliveryError as exc:
            if exc.error not in STREAM_ENDED:
                raise
            log.info("Slack ended the stream (%s); the answer goes on in a new message", exc.error)
            self._writer = None
            await self._open(markdown, step=step)
            return False
        return True

    async def _open(self, markdown: str | None = None, *, step: TaskStep | None = None) -> None:
        if step is None:
            self._settle_status()
        if self._on_messages is not None:
            await self._on_messages(self.messages, True)
        opening = self._take() if markdown is None else markdown
        try:
            self._writer = await self._replies.start_message(self._target, opening, step)
        except SlackDeliveryError as exc:
            # Slack refused: nothing was opened, so nothing is left for a takeover to look for.
            # A call that got no answer (request_failed) may have opened one: its marker stays.
            if self._on_messages is not None and exc.error != REQUEST_FAILED:
                await self._on_messages(self.messages, False)
            raise
        self.messages = (*self.messages, self._writer.ts)
        if self.ts is None:
            self.ts = self._writer.ts

    def _settle_status(self) -> None:
        """Once text shows, a status still in flight is dropped rather than waited for."""
        if self._status is not None:
            self._status.cancel()
            self._status = None

    def _take(self) -> str:
        pending, self._pending = self._pending, ""
        return pending
