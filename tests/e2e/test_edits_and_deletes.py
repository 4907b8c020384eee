"""Issues 5 and 14, edits and deletes: the stored turn follows the Slack message (a deleted one
takes the bot's stored answer to it along); nothing is answered."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import InboxItem, Message
from tests.conftest import RunningBot
from tests.db_reads import reading
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts


def _changed(ts: str, thread_ts: str, new_text: str) -> dict[str, object]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": "C0001",
        "channel_type": "channel",
        "ts": new_ts(),
        "event_ts": new_ts(),
        "message": {
            "type": "message",
            "user": "U0USER",
            "text": new_text,
            "ts": ts,
            "thread_ts": thread_ts,
            "edited": {"user": "U0USER", "ts": new_ts()},
        },
        "previous_message": {"type": "message", "user": "U0USER", "text": "old", "ts": ts},
    }


def _deleted(ts: str) -> dict[str, object]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": "C0001",
        "channel_type": "channel",
        "ts": new_ts(),
        "event_ts": new_ts(),
        "deleted_ts": ts,
        "previous_message": {"type": "message", "user": "U0USER", "text": "secret", "ts": ts},
    }


async def test_an_edit_replaces_and_a_delete_erases_the_stored_turn(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(Reply("One."), Reply("Two."), Reply("Three."))
    root = new_ts()
    await bot.post(event_body(mention_event("what is 1+1?", ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    secret_ts = new_ts()
    await bot.post(
        event_body(message_event("my password is hunter2", ts=secret_ts, thread_ts=root))
    )
    await fake_slack.wait_for_calls("chat.stopStream", 2)

    edited = await bot.post(event_body(_changed(root, root, "<@U0BOT> what is 2+2?")))
    deleted = await bot.post(event_body(_deleted(secret_ts)))
    assert edited.status_code == deleted.status_code == 200

    async with reading(sqlite_url) as connection:
        rows = dict((await connection.execute(select(Message.slack_ts, Message.text))).all())
        deliveries = (
            await connection.execute(
                select(InboxItem.message_ts, InboxItem.text, InboxItem.payload)
            )
        ).all()
    assert rows[root] == "what is 2+2?"
    assert rows[secret_ts] == ""
    assert "Two." not in rows.values()  # the bot's stored answer to the deleted message
    assert "One." in rows.values()
    assert "hunter2" not in " ".join(rows.values())
    # The recorded deliveries hold the message too: the delete reaches them, and so does the edit.
    by_ts = {(ts, text) for ts, text, _ in deliveries}
    assert (secret_ts, "") in by_ts
    assert (root, "what is 2+2?") in by_ts
    assert not any(
        "hunter2" in f"{text}{payload}" or "1+1" in text for _, text, payload in deliveries
    )

    await bot.post(event_body(message_event("go on", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 3)
    third = fake_openai.chat_requests()[2]["messages"]
    assert [(m["role"], m["content"]) for m in third[1:]] == [
        ("user", "what is 2+2?"),
        ("assistant", "One."),
        ("user", "go on"),
    ]  # the deleted message's answer ("Two.") went with it
    assert len(fake_openai.chat_requests()) == 3  # the edit and the delete were not answered
