"""Edits and deletes at the repository level: exactly the stored copies of one Slack message
change (its user turns, its recorded inbox deliveries), nothing of another channel or kind."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.values import IncomingFile, IncomingMessage
from bot.inbox import Delivery
from bot.store.conversations_repo import (
    ConversationRepository,
    MessageRepository,
    NewConversation,
)
from bot.store.inbox_repo import InboxRepository
from bot.store.models import InboxItem, Message, TurnStatus

TS = "1700000000.000100"


async def _turn(session: AsyncSession, channel: str, text: str) -> None:
    """A user turn at ``TS`` in ``channel``, and its answer."""
    conversations = ConversationRepository(session)
    await conversations.ensure([NewConversation(("T0001", channel, TS), None, "channel_thread")])
    conversation = await conversations.get("T0001", channel, TS)
    assert conversation is not None
    messages = MessageRepository(session)
    turn = await messages.add_user_turn(
        conversation,
        slack_ts=TS,
        slack_user_id="U0USER",
        text=text,
        source_event_id=f"Ev{channel}",
        token_count=7,
        author_name="Ada",
    )
    await messages.add_assistant_turn(
        turn.message,
        slack_ts="1700000000.000200",
        text="answer",
        status=TurnStatus.COMPLETE,
        model="m",
        token_count=1,
    )


async def _texts(session: AsyncSession) -> set[tuple[str, str, str, int | None, str | None]]:
    rows = await session.execute(
        select(
            Message.team_id, Message.role, Message.text, Message.token_count, Message.author_name
        )
    )
    return {tuple(row) for row in rows.all()}  # type: ignore[misc]


async def test_erase_blanks_only_that_messages_user_turns(session: AsyncSession) -> None:
    await _turn(session, "C0001", "my password is hunter2")
    await _turn(session, "C0002", "same ts, other channel")

    erased = await MessageRepository(session).erase("T0001", "C0001", TS)

    assert erased == 1
    texts = await _texts(session)
    assert ("T0001", "user", "", None, None) in texts
    assert ("T0001", "user", "same ts, other channel", 7, "Ada") in texts
    assert not any("hunter2" in row[2] for row in texts)


async def test_apply_edit_replaces_text_and_forgets_the_token_count(
    session: AsyncSession,
) -> None:
    await _turn(session, "C0001", "what is 1+1?")

    edited = await MessageRepository(session).apply_edit("T0001", "C0001", TS, "what is 2+2?")
    missing = await MessageRepository(session).apply_edit("T0002", "C0001", TS, "other team")

    assert (edited, missing) == (1, 0)
    texts = await _texts(session)
    assert ("T0001", "user", "what is 2+2?", None, "Ada") in texts
    assert ("T0001", "assistant", "answer", 1, None) in texts


def _delivery(event_id: str, channel: str, ts: str, text: str) -> Delivery:
    files = (IncomingFile("F1", "secret.png", "image/png", 3, "https://files/secret.png"),)
    message = IncomingMessage(
        event_id=event_id,
        team_id="T0001",
        enterprise_id=None,
        channel_id=channel,
        is_dm=False,
        user_id="U0USER",
        text=text,
        ts=ts,
        thread_ts=TS,
        mentioned=True,
        files=files,
    )
    return Delivery(event_id, "T0001", "message", message.to_payload(), text, channel, ts)


async def _deliveries(session: AsyncSession, *rows: Delivery) -> None:
    await InboxRepository(session).add_many([(delivery, None, None) for delivery in rows])


async def _recorded(session: AsyncSession) -> dict[str, tuple[str, str]]:
    rows = await session.execute(select(InboxItem.event_id, InboxItem.text, InboxItem.payload))
    return {event_id: (text, payload) for event_id, text, payload in rows.all()}


async def test_erasing_a_message_blanks_every_recorded_delivery_of_it(
    session: AsyncSession,
) -> None:
    reply_ts = "1700000000.000300"  # a reply in the thread: its thread_ts is TS, its ts not
    await _deliveries(
        session,
        _delivery("EvMention", "C0001", TS, "hunter2"),
        _delivery("EvMessage", "C0001", TS, "hunter2"),
        _delivery("EvReply", "C0001", reply_ts, "keep me"),
        _delivery("EvOther", "C0002", TS, "other channel"),
        Delivery("EvImage", "T0001", "image", "{}", "a cat", "C0001", TS),
    )

    erased = await InboxRepository(session).erase("message", "T0001", "C0001", TS)

    assert erased == 2
    recorded = await _recorded(session)
    for event_id in ("EvMention", "EvMessage"):
        assert recorded[event_id] == ("", "")  # neither the text nor the files' names are kept
    assert recorded["EvReply"][0] == "keep me"
    assert recorded["EvOther"][0] == "other channel"
    assert recorded["EvImage"][0] == "a cat"


async def test_editing_a_message_rewrites_its_recorded_text_and_keeps_its_files(
    session: AsyncSession,
) -> None:
    await _deliveries(session, _delivery("EvMention", "C0001", TS, "1+1"))

    edited = await InboxRepository(session).set_text("message", "T0001", "C0001", TS, "2+2")

    text, payload = (await _recorded(session))["EvMention"]
    message = IncomingMessage.from_payload(payload, text)
    assert (edited, message.text, len(message.files)) == (1, "2+2", 1)
