"""Idle memory: the tokenizer (~75 MB) is loaded only when a count must be exact. A server that
reports usage never needs it for a thread that fits, so turns are stored uncounted (None) and
later answers fit them by a bound; once it is loaded, turns are stored with exact counts."""

from __future__ import annotations

import time
from typing import Literal

from bot.conversations.tokens import TokenCounter
from bot.store.models import Message
from tests.conftest import SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes import openai_wire as wire
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts

MODEL = "gpt-4o-mini"
QUESTIONS = ("What is the capital of France?", "And of Italy?")
ANSWERS = ("Paris.", "Rome.")


async def _ask_twice(make_settings: SettingsFactory, fake_slack: FakeSlack) -> bool:
    """Both questions in one thread, each answered; whether the bot loaded its tokenizer."""
    bot = await start_bot(make_settings())
    try:
        root = new_ts()
        await bot.post(event_body(mention_event(QUESTIONS[0], ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        await bot.post(event_body(message_event(QUESTIONS[1], thread_ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 2)
        await bot.server.services.inbox.stop(time.monotonic() + 5)  # the answers are stored
        return bot.server.services.counter.is_loaded(MODEL)
    finally:
        await bot.close()


async def test_a_thread_that_fits_is_answered_without_loading_the_tokenizer(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(*(Reply(a) for a in ANSWERS))

    assert not await _ask_twice(make_settings, fake_slack)

    first, second = fake_openai.chat_requests()
    assert [m["content"] for m in second["messages"][1:]] == [
        QUESTIONS[0],
        ANSWERS[0],
        QUESTIONS[1],
    ]  # the uncounted first turns were fitted by their bound
    turns = await stored(sqlite_url, Message)
    assert [(t.role, t.token_count) for t in turns if t.role == "user"] == [("user", None)] * 2
    answered = [t.token_count for t in turns if t.role == "assistant"]
    reported = [
        wire.completion_usage(r["messages"], a)["completion_tokens"] + 4
        for r, a in zip((first, second), ANSWERS, strict=True)
    ]
    assert answered == reported  # the server's count, framing included


async def test_once_an_estimate_loaded_the_tokenizer_turns_are_stored_counted(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(*(Reply(a, usage=False) for a in ANSWERS))

    assert await _ask_twice(make_settings, fake_slack)

    counter = TokenCounter()
    turns = await stored(sqlite_url, Message)
    assert [(t.role, t.text, t.token_count) for t in turns] == [
        ("user", QUESTIONS[0], None),  # stored before anything needed the tokenizer
        ("assistant", ANSWERS[0], _count(counter, "assistant", ANSWERS[0])),
        ("user", QUESTIONS[1], _count(counter, "user", QUESTIONS[1])),
        ("assistant", ANSWERS[1], _count(counter, "assistant", ANSWERS[1])),
    ]


def _count(counter: TokenCounter, role: Literal["user", "assistant"], text: str) -> int:
    return counter.count_message(MODEL, {"role": role, "content": text})
