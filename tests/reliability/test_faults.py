"""Faults from the model server and from Slack, end to end through the real app in HTTP mode:
what heals is retried (honouring the wait asked for), what cannot heal is explained once."""

from __future__ import annotations

import time

from tests.conftest import SettingsFactory, start_bot
from tests.fakes.openai import Error, FakeOpenAI, RateLimit, Reply, Stall
from tests.fakes.slack import FakeSlack
from tests.reliability.conftest import mention


async def _ask(
    make_settings: SettingsFactory, fake_slack: FakeSlack, until: str, **settings: str
) -> tuple[str, float]:
    """Mention a bot run with ``settings`` and wait for its first call to ``until``; the bot is
    stopped then. The message's ts, and how long the wait took."""
    bot = await start_bot(make_settings(**settings))
    try:
        started = time.monotonic()
        ts = await mention(bot, "can you help?")
        await fake_slack.wait_for_calls(until, 1)
        return ts, time.monotonic() - started
    finally:
        await bot.close()


async def test_rate_limit_twice_then_success_waits_as_asked_and_answers_once(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(RateLimit(retry_after=1), RateLimit(retry_after=1), Reply("Done."))
    ts, elapsed = await _ask(make_settings, fake_slack, "chat.stopStream")
    assert elapsed >= 2.0
    assert len(fake_openai.chat_requests()) == 3
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == ["Done."]


async def test_server_errors_are_retried_until_success(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(*[Error(500, None)] * 2, Reply("Recovered."))
    ts, _ = await _ask(make_settings, fake_slack, "chat.stopStream")
    assert len(fake_openai.chat_requests()) == 3
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == ["Recovered."]


async def test_bad_credentials_are_not_retried_and_the_user_is_told_what_to_fix(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    ts, _ = await _ask(make_settings, fake_slack, "chat.postMessage", OPENAI_API_KEY="sk-wrong")
    assert len(fake_openai.chat_requests()) == 1
    [notice] = fake_slack.thread("C0001", ts)
    assert "OPENAI_API_KEY" in notice.visible_text()
    assert "reference: `ref-" in notice.visible_text()


async def test_stalled_stream_is_abandoned_after_the_idle_timeout_and_the_user_told(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Stall("The beginning of an answer"))
    ts, elapsed = await _ask(
        make_settings, fake_slack, "chat.postMessage", OPENAI_STREAM_IDLE_TIMEOUT="0.5"
    )
    assert 0.5 <= elapsed < 3
    partial, notice = fake_slack.thread("C0001", ts)
    assert partial.visible_text().startswith("The beginning of an answer")
    assert "interrupted" in partial.visible_text()
    assert "reference: `ref-" in notice.visible_text()


async def test_slack_rate_limit_on_post_message_is_retried_by_the_sdk(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_slack.remove_method("chat.startStream")  # the chat.postMessage + chat.update path
    fake_slack.rate_limit("chat.postMessage", retry_after=1)
    fake_openai.script_chat(Reply("Posted after a pause."))
    ts, _ = await _ask(make_settings, fake_slack, "chat.update")
    first, retried = fake_slack.calls_to("chat.postMessage")  # refused with 429, then sent
    assert first.args == retried.args
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == ["Posted after a pause."]
