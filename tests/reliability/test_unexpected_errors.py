"""Issue 11, defect 1: an error that is not the bot's own (the database failing mid-answer, a
bug) is retried like any other; the user ends with one complete answer, or, after the last
attempt, with one notice and its reference id. No Slack stream is ever left open."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.conversations.prompt import PromptBuilder
from bot.inbox import MAX_ATTEMPTS
from bot.slack_output.retire import RETIRED_MARK
from bot.store.models import InboxItem, InboxStatus
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_statements import (
    Matcher,
    failing,
    recording_a_later_opening,
    recording_an_opening,
    storing_assistant_turn,
)
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeMessage, FakeSlack
from tests.reliability.conftest import inbox_rows, mention, stored_counts

ANSWER = "The whole answer, in one piece."
_REFERENCE = re.compile(r"reference: `(ref-[0-9a-f]+)`")


async def _bot(make_settings: SettingsFactory, database_url: str) -> RunningBot:
    return await start_bot(make_settings(DATABASE_URL=database_url, INBOX_LEASE_SECONDS="2"))


def _open_streams(thread: list[FakeMessage]) -> list[str]:
    return [m.ts for m in thread if m.streaming]


def _healed(thread: list[FakeMessage]) -> bool:
    return [m.visible_text() for m in thread] == [RETIRED_MARK, ANSWER] and not thread[1].streaming


def _told(thread: list[FakeMessage]) -> bool:
    return any(_REFERENCE.search(m.visible_text()) for m in thread)


async def _answer_with_faults(
    bot: RunningBot,
    fake_slack: FakeSlack,
    matches: Matcher,
    times: int | None,
    until: Callable[[list[FakeMessage]], bool],
) -> tuple[str, list[str]]:
    """Mention the bot while ``matches`` statements fail; return once the thread is ``until``,
    with the bot stopped, so everything it was doing has happened."""
    engine = bot.server.services.engine.sync_engine
    with failing(engine, matches, times) as failed:
        try:
            ts = await mention(bot, "explain it")
            await fake_slack.wait_until(
                lambda: until(fake_slack.thread("C0001", ts)), until.__name__, timeout=15
            )
        finally:
            await bot.close()
    return ts, failed


async def _failing_every_attempt(
    bot: RunningBot,
    database_url: str,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    matches: Matcher,
    answer: str = ANSWER,
) -> tuple[list[FakeMessage], list[str], InboxItem]:
    """Mention the bot while ``matches`` statements fail on every attempt (the model
    answering ``answer``); check that each attempt asked the model, that the row failed for
    good and that one notice in the thread carries its reference id. The thread, the
    statements that failed and the row."""
    fake_openai.script_chat(*[Reply(answer)] * MAX_ATTEMPTS)
    ts, failed = await _answer_with_faults(bot, fake_slack, matches, None, _told)
    assert len(fake_openai.chat_requests()) == MAX_ATTEMPTS
    thread = fake_slack.thread("C0001", ts)
    notices = [found for m in thread if (found := _REFERENCE.search(m.visible_text()))]
    [row] = await inbox_rows(database_url)
    assert (row.status, row.attempts) == (InboxStatus.FAILED, MAX_ATTEMPTS)
    assert [n.group(1) for n in notices] == [row.reference_id]
    return thread, failed, row


def _answered_at_once(thread: list[FakeMessage]) -> bool:
    return [m.visible_text() for m in thread] == [ANSWER] and not thread[0].streaming


@pytest.mark.parametrize(
    ("what", "matches", "healed"),
    [
        # Recorded with the user turn, before the model is asked: nothing showed yet.
        ("recording that the answer is about to open", recording_an_opening, _answered_at_once),
        ("storing the answer", storing_assistant_turn, _healed),
    ],
)
async def test_a_database_error_mid_answer_is_retried_into_one_complete_answer(
    what: str,
    matches: Matcher,
    healed: Callable[[list[FakeMessage]], bool],
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Reply(ANSWER), Reply(ANSWER))
    bot = await _bot(make_settings, database_url)
    ts, failed = await _answer_with_faults(bot, fake_slack, matches, 1, healed)
    assert len(failed) == 1, what
    assert _open_streams(fake_slack.thread("C0001", ts)) == []
    assert len(fake_slack.calls_to("chat.postMessage")) == 0  # no notice: it was healed
    counts = await stored_counts(database_url)
    assert (counts["assistant"], counts["inbox_done"]) == (1, 1)


async def test_a_bug_that_strikes_once_is_retried_into_one_answer(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fit = PromptBuilder.fit
    struck: list[bool] = []

    def buggy_once(self: PromptBuilder, *args: Any, **kwargs: Any) -> Any:
        if not struck:
            struck.append(True)
            raise RuntimeError("a bug")
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(PromptBuilder, "fit", buggy_once)
    fake_openai.script_chat(Reply(ANSWER))
    bot = await _bot(make_settings, database_url)
    try:
        ts = await mention(bot, "explain it")
        await fake_slack.wait_until(
            lambda: [m.visible_text() for m in fake_slack.thread("C0001", ts)] == [ANSWER],
            "the answer",
        )
    finally:
        await bot.close()
    assert struck and len(fake_openai.chat_requests()) == 1
    assert (await stored_counts(database_url))["inbox_done"] == 1


async def test_a_database_error_on_every_attempt_ends_with_one_notice_and_a_failed_row(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    bot = await _bot(make_settings, database_url)
    thread, failed, row = await _failing_every_attempt(
        bot, database_url, fake_slack, fake_openai, storing_assistant_turn
    )
    assert len(failed) == MAX_ATTEMPTS
    earlier = thread[: MAX_ATTEMPTS - 1]  # the last attempt's answer stays, marked or whole
    assert [m.visible_text() for m in earlier] == [RETIRED_MARK] * (MAX_ATTEMPTS - 1)
    assert _open_streams(thread) == []
    assert row.last_error == "OperationalError (OperationalError)"
    assert (await stored_counts(database_url)).get("assistant", 0) == 0


async def test_the_last_attempt_tells_the_user_even_when_closing_its_answer_fails_too(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    # A long answer goes on in a second message, and recording that opening fails on every
    # attempt; closing the broken answer opens a message for its mark, and fails the same way,
    # with an error that is not the bot's own.
    long = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(80))
    bot = await _bot(make_settings, database_url)
    thread, failed, _ = await _failing_every_attempt(
        bot, database_url, fake_slack, fake_openai, recording_a_later_opening, answer=long
    )
    assert len(failed) == 2 * MAX_ATTEMPTS  # each attempt: the opening, then its closing
    # Each attempt showed the answer's first message; the retries retired the earlier ones.
    assert [m.visible_text() for m in thread[: MAX_ATTEMPTS - 1]] == [RETIRED_MARK] * (
        MAX_ATTEMPTS - 1
    )
    assert _open_streams(thread) == []
