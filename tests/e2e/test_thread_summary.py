"""Issue 16, thread summaries: the "Summarize thread" message shortcut into the real app, the
thread read once from the fake Slack, summarized by the fake OpenAI, shown privately with a
"Share in thread" button that posts it; threads the bot may not read are explained. Summaries
follow the access rules and the budgets, and their calls are in the usage ledger."""

from __future__ import annotations

from typing import Any

import pytest

from bot.store.models import PolicyRefusal, UsageRecord
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import block_actions_body, message_shortcut_body, new_ts

FORM = "application/x-www-form-urlencoded"
SUMMARY = "**Summary**\nShip Friday.\n\n**Decisions**\n- Ship Friday\n\n**Open questions**\nNone"


def _thread(slack: FakeSlack, channel: str = "C0001", replies: int = 3) -> list[dict[str, Any]]:
    root = new_ts()
    messages = [{"type": "message", "user": "U0ALICE", "text": "Shall we ship Friday?", "ts": root}]
    for i in range(replies):
        user = "U0BOB" if i % 2 == 0 else "U0ALICE"
        said = {"type": "message", "user": user, "text": f"reply {i}", "ts": new_ts()}
        messages.append({**said, "thread_ts": root})
    slack.add_thread(channel, messages)
    return messages


async def _shortcut(bot: RunningBot, message: dict[str, Any], **where: str) -> None:
    response = await bot.post(
        message_shortcut_body("summarize_thread", message, **where), content_type=FORM
    )
    assert response.status_code == 200 and response.text == ""  # acknowledged, work goes on
    await bot.background_done()


def _ephemerals(slack: FakeSlack) -> list[dict[str, Any]]:
    return [call.args for call in slack.calls_to("chat.postEphemeral")]


def _share_id(ephemeral: dict[str, Any]) -> str:
    [actions] = [b for b in ephemeral["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert button["text"]["text"] == "Share in thread"
    return str(button["value"])


async def test_the_shortcut_reads_the_thread_once_and_shows_a_private_summary_to_share(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    thread = _thread(fake_slack)
    fake_openai.script_chat(Reply(SUMMARY))
    await _shortcut(bot, thread[2])  # used on a reply: the person is looking at the thread

    [read] = fake_slack.calls_to("conversations.replies")
    assert read.args["channel"] == "C0001" and read.args["ts"] == thread[0]["ts"]
    [request] = fake_openai.chat_requests()
    assert "stream" not in request and request["max_completion_tokens"] == 1200
    system, transcript = request["messages"]
    assert "Decisions" in system["content"] and "Open questions" in system["content"]
    assert transcript["content"].endswith(
        "u0alice: Shall we ship Friday?\n\nu0bob: reply 0\n\nu0alice: reply 1\n\nu0bob: reply 2"
    )
    working, summary = _ephemerals(fake_slack)
    assert working["user"] == "U0USER" and "Summarizing this thread" in working["text"]
    assert summary["user"] == "U0USER" and summary["thread_ts"] == thread[0]["ts"]
    shown = "\n".join(b["text"]["text"] for b in summary["blocks"] if b["type"] == "section")
    assert "*Decisions*" in shown and "• Ship Friday" in shown
    assert fake_slack.calls_to("chat.postMessage") == []  # nothing public yet

    share = block_actions_body(
        "thread_summary_share", _share_id(summary), message_ts=new_ts(), ephemeral=True
    )
    assert (await bot.post(share, content_type=FORM)).status_code == 200
    await bot.background_done()
    [posted] = fake_slack.thread("C0001", thread[0]["ts"])
    assert posted.thread_ts == thread[0]["ts"]
    assert "Ship Friday" in "\n".join(str(b.get("text")) for b in posted.blocks or [])
    assert not any(b["type"] == "actions" for b in posted.blocks or [])

    # A second click shares nothing more.
    await bot.post(share, content_type=FORM)
    await bot.background_done()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert "already in the thread" in _ephemerals(fake_slack)[-1]["text"]
    assert len(fake_slack.calls_to("conversations.replies")) == 1


async def test_only_the_person_who_asked_may_share_the_summary(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    thread = _thread(fake_slack)
    fake_openai.script_chat(Reply(SUMMARY))
    await _shortcut(bot, thread[0])  # used on the thread's first message, in the channel
    summary = _ephemerals(fake_slack)[-1]
    assert "thread_ts" not in summary  # shown where the person is: the channel
    share = block_actions_body("thread_summary_share", _share_id(summary), user_id="U0MALLORY")
    await bot.post(share, content_type=FORM)
    await bot.background_done()
    assert fake_slack.calls_to("chat.postMessage") == []
    last = _ephemerals(fake_slack)[-1]
    assert last["user"] == "U0MALLORY" and "Only the person who asked" in last["text"]


@pytest.mark.parametrize(
    ("channel", "explained"),
    [
        ("C0OUT", "not a member of this channel. Invite me with `/invite @AI Assistant`"),
        ("G0SECRET", "it is in a private channel or a direct message I'm not part of"),
    ],
)
async def test_a_conversation_the_bot_is_not_in_is_explained_in_a_dm(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, channel: str, explained: str
) -> None:
    thread = _thread(fake_slack, channel)
    fake_slack.set_not_in_channel(channel)
    await _shortcut(bot, thread[0], channel_id=channel)
    assert fake_openai.chat_requests() == []
    [dm] = fake_slack.calls_to("chat.postMessage")  # it cannot post in the channel either
    assert dm.args["channel"] == "D0USER" and explained in dm.args["text"]


async def test_a_missing_scope_is_explained(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    public = _thread(fake_slack)
    fake_slack.fail("conversations.replies", "missing_scope")
    await _shortcut(bot, public[0])
    assert "reinstalling the app" in _ephemerals(fake_slack)[-1]["text"]
    assert fake_openai.chat_requests() == []


async def test_a_message_without_replies_and_a_failing_model_are_told_plainly(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    [alone] = _thread(fake_slack, replies=0)
    await _shortcut(bot, alone)
    assert "no replies yet" in _ephemerals(fake_slack)[-1]["text"]

    thread = _thread(fake_slack)
    fake_openai.script_chat(Error(400, "invalid_request_error", message="secret detail"))
    await _shortcut(bot, thread[0])
    told = _ephemerals(fake_slack)[-1]["text"]
    assert "reference: `ref-" in told and "secret detail" not in told


async def test_an_empty_summary_is_not_shown_as_one(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    thread = _thread(fake_slack)
    fake_openai.script_chat(Reply("  "))
    await _shortcut(bot, thread[0])
    told = _ephemerals(fake_slack)[-1]
    assert "blocks" not in told and "reference: `ref-" in told["text"]


async def test_a_summary_is_in_the_usage_ledger_of_the_person_who_asked(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    thread = _thread(fake_slack)
    fake_openai.script_chat(Reply(SUMMARY))
    await _shortcut(bot, thread[0])
    [row] = await stored(sqlite_url, UsageRecord)
    assert (row.kind, row.team_id, row.user_id, row.channel_id) == (
        "chat",
        "T0001",
        "U0USER",
        "C0001",
    )
    assert row.prompt_tokens > 0 and row.completion_tokens > 0 and not row.estimated


async def test_the_access_rules_and_the_budgets_refuse_a_summary_privately(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    bot = await start_bot(make_settings(BLOCKED_USERS="U0BANNED", USER_DAILY_TOKENS="1"))
    try:
        thread = _thread(fake_slack)
        await _shortcut(bot, thread[2], user_id="U0BANNED")
        [refused] = _ephemerals(fake_slack)
        assert refused["user"] == "U0BANNED" and "can't use me" in refused["text"]
        assert refused["thread_ts"] == thread[0]["ts"]  # where they are looking, to them alone
        assert fake_slack.calls_to("conversations.replies") == []  # refused before reading

        fake_openai.script_chat(Reply(SUMMARY))
        await _shortcut(bot, thread[0])  # within budget: summarized, and the ledger passes 1
        await _shortcut(bot, thread[0])
        over = _ephemerals(fake_slack)[-1]
        assert over["user"] == "U0USER" and "daily allowance" in over["text"]
        assert len(fake_openai.chat_requests()) == 1
        assert fake_slack.calls_to("chat.postMessage") == []  # never in public
    finally:
        await bot.close()
    refusals = await stored(sqlite_url, PolicyRefusal)
    assert [(r.user_id, r.kind) for r in refusals] == [
        ("U0BANNED", "summary"),
        ("U0USER", "summary"),
    ]
