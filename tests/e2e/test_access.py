"""Issue 13, who may use the bot: allow and block lists (user groups expanded and cached),
allowed channels, Slack Connect users; a refused person gets one ephemeral note per thread and
the model is never asked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.models import PolicyRefusal
from tests.conftest import RunningBot, SettingsFactory, running_bot, start_bot
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body, event_body, mention_event, message_event

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def restricted(
    make_settings: SettingsFactory, fake_slack: FakeSlack
) -> AsyncIterator[RunningBot]:
    """Only the group S0TEAM (U0MEMBER, U0BANNED) and U0SOLO, but never U0BANNED; in C0001 and
    C0002 only."""
    fake_slack.add_usergroup("S0TEAM", ["U0MEMBER", "U0BANNED"])
    bot = await start_bot(
        make_settings(
            ALLOWED_USERS="S0TEAM,U0SOLO",
            BLOCKED_USERS="U0BANNED",
            ALLOWED_CHANNELS="C0001,C0002",
        )
    )
    yield bot
    await bot.close()


async def _mention(bot: RunningBot, text: str, **kwargs: str) -> str:
    event = mention_event(text, **kwargs)
    assert (await bot.post(event_body(event))).status_code == 200
    return str(event["ts"])


async def test_a_group_member_is_answered_and_the_group_is_asked_for_once(
    restricted: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    await _mention(restricted, "first", user="U0MEMBER")
    await _mention(restricted, "second", user="U0MEMBER", channel="C0002")
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    assert len(fake_openai.chat_requests()) == 2
    [expansion] = fake_slack.calls_to("usergroups.users.list")  # cached, not per message
    assert expansion.args["usergroup"] == "S0TEAM"
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_a_non_member_gets_one_ephemeral_note_per_thread_and_no_answer(
    restricted: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    root = await _mention(restricted, "let me in", user="U0STRANGER")
    await fake_slack.wait_for_calls("chat.postEphemeral", 1)
    follow = message_event("please?", user="U0STRANGER", thread_ts=root)
    await restricted.post(event_body(follow))
    # A member's message after it in the same thread: once answered, the stranger's was handled.
    await restricted.post(event_body(message_event("hi", user="U0MEMBER", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [note] = fake_slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == "U0STRANGER" and note.args["channel"] == "C0001"
    assert note.args["thread_ts"] == root
    assert "only available to some people" in note.args["text"]
    [request] = fake_openai.chat_requests()
    assert [m["content"] for m in request["messages"][1:]] == ["hi"]  # nothing of the stranger's
    assert [m.thread_ts for m in fake_slack.messages.values()] == [root]  # one reply: the member's

    engine = create_async_engine(sqlite_url)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(PolicyRefusal))).all()
    await engine.dispose()
    assert [(r.user_id, r.code, r.thread_ts) for r in rows] == [
        ("U0STRANGER", "user_not_allowed", root)
    ] * 2
    metrics = (await restricted.http.get("/metrics")).text
    assert 'slackbot_policy_refusals_total{code="user_not_allowed"} 2.0' in metrics


async def test_blocked_wins_over_allowed_and_channels_outside_the_list_are_refused(
    restricted: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    await _mention(restricted, "hello", user="U0BANNED")  # in S0TEAM, but blocked
    await _mention(restricted, "hello", user="U0SOLO", channel="C0003")
    await fake_slack.wait_for_calls("chat.postEphemeral", 2)
    await _mention(restricted, "hello", user="U0SOLO")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    notes = {c.args["user"]: c.args["text"] for c in fake_slack.calls_to("chat.postEphemeral")}
    assert "can't use me in this workspace" in notes["U0BANNED"]
    assert "don't answer in this channel" in notes["U0SOLO"]
    assert len(fake_openai.chat_requests()) == 1


async def test_dms_follow_the_user_lists_and_imagine_the_same_rules(
    restricted: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    dm = message_event("hi", user="U0SOLO", channel="D0SOLO", channel_type="im")
    await restricted.post(event_body(dm))
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    acks = {}
    for user in ("U0STRANGER", "U0MEMBER"):
        body = command_body("/imagine", "a red fox", user_id=user)
        response = await restricted.post(body, content_type=FORM)
        assert response.status_code == 200
        acks[user] = response.json()
    await restricted.background_done()
    # The refusal is the acknowledgement itself, shown to that person alone.
    assert acks["U0STRANGER"]["response_type"] == "ephemeral"
    assert "only available to some people" in acks["U0STRANGER"]["text"]
    assert "only available" not in acks["U0MEMBER"]["text"]
    assert fake_slack.calls_to("chat.postEphemeral") == []
    assert len(fake_openai.image_requests()) == 1  # the member's
    assert len(fake_slack.uploads) == 1


async def test_a_slack_connect_user_is_refused_by_default(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    guest = {**mention_event("hi from elsewhere", user="U0GUEST"), "user_team": "T0OTHER"}
    await bot.post(event_body(guest))
    await fake_slack.wait_for_calls("chat.postEphemeral", 1)
    await _mention(bot, "hi from home")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [note] = fake_slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == "U0GUEST" and "other organisations" in note.args["text"]
    [request] = fake_openai.chat_requests()
    assert request["messages"][-1]["content"] == "hi from home"


async def test_a_slack_connect_user_is_answered_when_external_users_are_allowed(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    async with running_bot(make_settings(EXTERNAL_USERS="allow")) as bot:
        guest = {**mention_event("hi from elsewhere", user="U0GUEST"), "user_team": "T0OTHER"}
        await bot.post(event_body(guest))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    start = fake_slack.calls_to("chat.startStream")[0].args
    assert (start["recipient_user_id"], start["recipient_team_id"]) == ("U0GUEST", "T0OTHER")
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_a_group_slack_will_not_expand_refuses_its_members_without_a_crash(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    async with running_bot(
        make_settings(ALLOWED_USERS="S0GONE")
    ) as bot:  # no such group: no_such_subteam
        await _mention(bot, "hello")
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
    assert fake_openai.chat_requests() == []
