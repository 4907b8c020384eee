"""Issue 2 end to end: signed events into the real app in HTTP mode, fake Slack and fake OpenAI
on loopback, assertions on what reached each of them."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.conversations.notices import EMPTY_ANSWER_NOTICE
from bot.store.models import InboxItem, Message
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import reading, stored
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts
from tests.references import without_reference

SYSTEM = {"role": "system"}


def _roles_and_texts(request: dict[str, object]) -> list[tuple[str, str]]:
    messages = request["messages"]
    assert isinstance(messages, list)
    return [(m["role"], m["content"]) for m in messages]


async def _mention(bot: RunningBot, text: str, **kwargs: object) -> str:
    ts = str(kwargs.pop("ts", None) or new_ts())
    response = await bot.post(event_body(mention_event(text, ts=ts, **kwargs)))  # type: ignore[arg-type]
    assert response.status_code == 200
    return ts


async def test_mention_is_answered_in_a_thread_under_it(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Use **pytest** fixtures.", chunk_chars=4))
    ts = await _mention(bot, "how do I test this?")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [answer] = fake_slack.thread("C0001", ts)
    assert answer.visible_text().startswith("Use **pytest** fixtures.")
    start = fake_slack.calls_to("chat.startStream")[0].args
    assert (start["channel"], start["thread_ts"]) == ("C0001", ts)
    assert (start["recipient_user_id"], start["recipient_team_id"]) == ("U0USER", "T0001")
    [request] = fake_openai.chat_requests()
    assert request["model"] == "gpt-4o-mini"
    assert request["stream"] is True
    roles = _roles_and_texts(request)
    assert roles[0][0] == "system"
    assert roles[1:] == [("user", "how do I test this?")]


async def test_follow_up_in_thread_needs_no_mention_and_sends_history(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("First answer."), Reply("Second answer."))
    ts = await _mention(bot, "first question")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    reply = message_event("and a follow-up", thread_ts=ts)
    assert (await bot.post(event_body(reply))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 2)

    second = fake_openai.chat_requests()[1]
    assert _roles_and_texts(second)[1:] == [
        ("user", "first question"),
        ("assistant", "First answer."),
        ("user", "and a follow-up"),
    ]
    answers = fake_slack.thread("C0001", ts)
    assert [a.visible_text() for a in answers] == ["First answer.", "Second answer."]


async def test_direct_message_is_answered_in_its_thread_and_continues(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Hello there."), Reply("Sure."))
    ts = new_ts()
    dm = message_event("hi bot", channel="D0001", channel_type="im", ts=ts)
    assert (await bot.post(event_body(dm))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert fake_slack.calls_to("chat.startStream")[0].args["thread_ts"] == ts

    follow = message_event("more please", channel="D0001", channel_type="im", thread_ts=ts)
    assert (await bot.post(event_body(follow))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    assert [a.visible_text() for a in fake_slack.thread("D0001", ts)] == ["Hello there.", "Sure."]
    assert _roles_and_texts(fake_openai.chat_requests()[1])[1:] == [
        ("user", "hi bot"),
        ("assistant", "Hello there."),
        ("user", "more please"),
    ]


async def test_retried_delivery_of_one_event_is_answered_once(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    ts = new_ts()
    body = event_body(mention_event("once please", ts=ts), event_id="EvSAME")
    assert (await bot.post(body)).status_code == 200
    retry = await bot.post(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    await _sentinel(bot, fake_slack, ts, expected_answers=2)
    assert len(fake_openai.chat_requests()) == 2  # the original and the sentinel, no third


async def _sentinel(
    bot: RunningBot, fake_slack: FakeSlack, ts: str, *, expected_answers: int
) -> None:
    """A later message in the same thread: once it is answered, everything before it was handled
    (turns in one thread are processed in order), so "nothing else happened" can be asserted."""
    await bot.post(event_body(message_event("sentinel", thread_ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", expected_answers)


async def test_thread_reply_that_mentions_the_bot_arrives_twice_and_is_answered_once(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = await _mention(bot, "start")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    ts = new_ts()
    as_mention = mention_event("question", ts=ts, thread_ts=root)
    as_message = message_event("<@U0BOT> question", ts=ts, thread_ts=root)
    assert (await bot.post(event_body(as_mention))).status_code == 200
    assert (await bot.post(event_body(as_message))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    await _sentinel(bot, fake_slack, root, expected_answers=3)
    assert len(fake_openai.chat_requests()) == 3
    assert len(fake_slack.thread("C0001", root)) == 3


async def test_bots_edits_joins_and_top_level_chatter_never_trigger_an_answer(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = await _mention(bot, "start")
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    ignored = [
        message_event("I am the bot", user="U0BOT", thread_ts=root, bot_id="B0BOT"),
        message_event(
            "another bot", user="U0OTHER", thread_ts=root, bot_id="B0OTHER", subtype="bot_message"
        ),
        message_event("edited", thread_ts=root, subtype="message_changed"),
        message_event("", thread_ts=root, subtype="channel_join"),
        message_event("top-level chatter without a mention"),
        message_event("reply in a thread the bot is not part of", thread_ts=new_ts()),
    ]
    for event in ignored:
        assert (await bot.post(event_body(event))).status_code == 200
    await _sentinel(bot, fake_slack, root, expected_answers=2)
    assert len(fake_openai.chat_requests()) == 2


async def test_bad_signature_is_refused_and_nothing_is_stored(
    bot: RunningBot, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    body = event_body(mention_event("sneaky"))
    response = await bot.post(body, secret="not-the-secret")
    assert response.status_code == 401
    async with reading(sqlite_url) as connection:
        assert await connection.scalar(select(func.count()).select_from(InboxItem)) == 0
        assert await connection.scalar(select(func.count()).select_from(Message)) == 0
    assert fake_openai.chat_requests() == []


async def test_malformed_body_with_a_valid_signature_gets_400_and_the_app_stays_up(
    bot: RunningBot,
) -> None:
    response = await bot.post("{not json")
    assert response.status_code == 400
    assert (await bot.http.get("/healthz")).status_code == 200


async def test_model_server_error_gives_a_friendly_message_with_a_reference(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(*[Error(500, None, "The server had an error")] * 6)
    bot = await start_bot(make_settings(OPENAI_MAX_RETRY_SECONDS="0.6"))
    try:
        ts = await _mention(bot, "will this fail?")
        await fake_slack.wait_for_calls("chat.postMessage", 1)
    finally:
        await bot.close()
    [notice] = fake_slack.thread("C0001", ts)
    text = notice.visible_text()
    assert "couldn't answer" in text
    assert "reference: `ref-" in text
    assert "500" not in without_reference(text) and "Traceback" not in text


async def test_history_survives_a_restart_on_the_same_database(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    settings = make_settings()
    fake_openai.script_chat(Reply("Remembered."), Reply("Still here."))
    first = await start_bot(settings)
    try:
        root = await _mention(first, "remember the number 42")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await first.close()

    second = await start_bot(settings)
    try:
        await second.post(event_body(message_event("what was the number?", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 2)
    finally:
        await second.close()
    assert _roles_and_texts(fake_openai.chat_requests()[1])[1:] == [
        ("user", "remember the number 42"),
        ("assistant", "Remembered."),
        ("user", "what was the number?"),
    ]
    assert fake_slack.calls_to("conversations.replies") == []


async def test_a_bare_mention_gets_one_friendly_hint_and_no_model_call(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    ts = await _mention(bot, "")
    await fake_slack.wait_for_calls("chat.postMessage", 1)
    [hint] = fake_slack.thread("C0001", ts)
    assert "Ask me anything" in hint.visible_text()
    await _sentinel(bot, fake_slack, ts, expected_answers=1)
    assert len(fake_slack.thread("C0001", ts)) == 2  # the hint and the sentinel's answer, no repeat
    assert len(fake_openai.chat_requests()) == 1


async def test_a_bare_mention_in_a_busy_thread_is_answered_once_from_the_discussion(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = await _mention(bot, "what is a monad?")
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    ts = new_ts()
    await bot.post(event_body(mention_event("", ts=ts, thread_ts=root)))
    await bot.post(event_body(message_event("<@U0BOT>", ts=ts, thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    await _sentinel(bot, fake_slack, root, expected_answers=3)
    second = fake_openai.chat_requests()[1]
    assert _roles_and_texts(second)[-1][1].startswith("(I was mentioned in this thread")
    assert len(fake_openai.chat_requests()) == 3
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_slack_refusing_the_stream_midway_closes_it_and_tells_the_user(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("word " * 40, chunk_chars=5, delay_s=0.03))
    fake_slack.fail("chat.appendStream", "is_archived")
    ts = await _mention(bot, "long answer please")
    await fake_slack.wait_for_calls("chat.postMessage", 1)
    [partial, notice] = fake_slack.thread("C0001", ts)
    assert not partial.streaming
    assert "interrupted" in partial.visible_text()
    assert "reference: `ref-" in notice.visible_text()


async def test_an_empty_model_answer_is_said_in_its_place_and_kept_out_of_history(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(Reply(""), Reply("Second answer."))
    ts = await _mention(bot, "first question")
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    [empty] = fake_slack.thread("C0001", ts)
    assert empty.visible_text() == EMPTY_ANSWER_NOTICE

    await bot.post(event_body(message_event("and a follow-up", thread_ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    assert _roles_and_texts(fake_openai.chat_requests()[1])[1:] == [
        ("user", "first question"),
        ("user", "and a follow-up"),
    ]
    answers = [m for m in await stored(sqlite_url, Message) if m.role == "assistant"]
    assert (answers[0].slack_ts, answers[0].text) == (empty.ts, "")  # answered: not asked again
