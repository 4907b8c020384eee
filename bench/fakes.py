"""The fake Slack and fake OpenAI from tests/fakes, with what the benchmark needs on top: when
each thread's first text arrived and its answer finished, how many streams are open at once,
and when each thread's first model token left."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bench.driver import thread_named_in
from bench.options import ReplyShape
from tests.fakes import openai_wire as wire
from tests.fakes.openai import CHAT_PATH, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack

CHARS_PER_TOKEN = 4
FIRST_TEXT_METHODS = frozenset({"chat.startStream", "chat.postMessage"})


class BenchSlack(FakeSlack):
    """Records, per call as it arrives, each thread's first visible text and finished answer."""

    def __init__(self) -> None:
        super().__init__()
        self.first_text_at: dict[str, float] = {}
        self.answered_at: dict[str, float] = {}
        self.methods: Counter[str] = Counter()
        self.open_streams = 0
        self.peak_open_streams = 0
        self._answers_wanted = 0
        self._enough_answers = asyncio.Event()

    @property
    def answers(self) -> int:
        return self.methods["chat.stopStream"]

    async def wait_for_answers(self, count: int, within_s: float) -> None:
        """Return once ``count`` answers in all have finished, or after ``within_s``."""
        self._answers_wanted = count
        self._enough_answers.clear()
        if self.answers < count:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._enough_answers.wait(), within_s)

    def reset_peak(self) -> None:
        self.peak_open_streams = self.open_streams

    def _answer(self, method: str, token: str | None, args: dict[str, Any]) -> web.Response:
        arrived = time.monotonic()
        self.methods[method] += 1
        thread_ts = str(args.get("thread_ts", ""))
        if method in FIRST_TEXT_METHODS and thread_ts:
            self.first_text_at.setdefault(thread_ts, arrived)
        if method == "chat.startStream":
            self.open_streams += 1
            self.peak_open_streams = max(self.peak_open_streams, self.open_streams)
        elif method == "chat.stopStream":
            self._stopped(args, arrived)
        return super()._answer(method, token, args)

    def _stopped(self, args: dict[str, Any], arrived: float) -> None:
        self.open_streams -= 1
        message = self.messages.get((str(args.get("channel")), str(args.get("ts"))))
        if message is not None and message.thread_ts:
            self.answered_at[message.thread_ts] = arrived
        if self.answers >= self._answers_wanted:
            self._enough_answers.set()


def script_replies(openai: FakeOpenAI, shape: ReplyShape, count: int) -> None:
    """The next ``count`` chat requests stream ``shape``: one token per SSE chunk."""
    text = "tok " * shape.tokens
    reply = Reply(
        text, chunk_chars=CHARS_PER_TOKEN, delay_s=1 / shape.tokens_per_s, ttft_s=shape.ttft_s
    )
    openai.script_chat(*[reply] * count)


@dataclass(frozen=True)
class ModelTimes:
    """One benchmark thread's first model request: when it arrived, when its first token left."""

    received_at: float
    first_token_at: float

    @property
    def ttft_s(self) -> float:
        return self.first_token_at - self.received_at


def model_times(openai: FakeOpenAI) -> dict[str, ModelTimes]:
    """Per benchmark thread, the times of the first model request that streamed text."""
    found: dict[str, ModelTimes] = {}
    for request in openai.requests:
        if request.path != CHAT_PATH or request.json is None or request.first_token_at is None:
            continue
        users = [m for m in request.json.get("messages", []) if m.get("role") == "user"]
        thread = thread_named_in(wire.text_of(users[-1].get("content")) if users else "")
        if thread is not None:
            found.setdefault(thread, ModelTimes(request.received_at, request.first_token_at))
    return found
