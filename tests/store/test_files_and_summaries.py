"""Attached files kept with their turn, and thread summaries shared once, on each database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.conversations_repo import (
    ConversationRepository,
    MessageRepository,
    NewConversation,
)
from bot.store.files_repo import FileText, MessageFileRepository
from bot.store.models import Message, MessageFile
from bot.store.summaries_repo import ThreadSummaryRepository

THREAD = ("T0001", "C0001", "1700000000.000100")


async def _user_turn(session: AsyncSession, ts: str) -> Message:
    conversations = ConversationRepository(session)
    await conversations.ensure([NewConversation(THREAD, None, "channel_thread")])
    conversation = await conversations.get(*THREAD)
    assert conversation is not None
    stored = await MessageRepository(session).add_user_turn(
        conversation, slack_ts=ts, slack_user_id="U0USER", text="see file", source_event_id=ts
    )
    return stored.message


def _file(file_id: str, text: str, note: str | None = None) -> FileText:
    return FileText(file_id, f"{file_id}.txt", "text/plain", text, len(text), note)


async def test_files_are_kept_once_per_turn_in_order(session: AsyncSession) -> None:
    first = await _user_turn(session, "1700000000.000100")
    second = await _user_turn(session, "1700000000.000200")
    files = MessageFileRepository(session)
    await files.add(first, [_file("F2", "two"), _file("F1", "one", "excerpt")])
    await files.add(first, [_file("F1", "changed")])  # a retried attempt stores nothing twice
    await files.add(second, [_file("F3", "three")])

    found = await files.of_turns([first, second])
    assert found[first.id] == [_file("F2", "two"), _file("F1", "one", "excerpt")]
    assert found[second.id] == [_file("F3", "three")]
    assert await files.of_turns([]) == {}
    third = await _user_turn(session, "1700000000.000300")
    history = await MessageRepository(session).history_before(third)
    assert [m.id for m in history.turns] == [first.id, second.id]
    assert history.with_files == {first.id, second.id}


async def test_a_turn_is_fresh_only_for_the_call_that_stored_it(session: AsyncSession) -> None:
    conversations = ConversationRepository(session)
    await conversations.ensure([NewConversation(THREAD, None, "channel_thread")])
    conversation = await conversations.get(*THREAD)
    assert conversation is not None
    messages = MessageRepository(session)
    turn = {"slack_ts": "1700000000.000100", "slack_user_id": "U0USER", "text": "hi"}
    first = await messages.add_user_turn(conversation, source_event_id="Ev1", **turn)
    again = await messages.add_user_turn(conversation, source_event_id="Ev1", **turn)
    other = await messages.add_user_turn(conversation, source_event_id="Ev2", **turn)
    assert (first.owned, first.fresh) == (True, True)
    assert (again.owned, again.fresh) == (True, False)  # the same delivery, tried again
    assert (other.owned, other.fresh) == (False, False)  # another delivery of the message
    assert again.message.id == first.message.id == other.message.id
    assert first.message.slack_ts == "1700000000.000100" and first.message.created_at is not None


async def test_erasing_a_message_erases_its_files_too(session: AsyncSession) -> None:
    kept = await _user_turn(session, "1700000000.000100")
    erased = await _user_turn(session, "1700000000.000200")
    files = MessageFileRepository(session)
    await files.add(kept, [_file("F1", "stays")])
    await files.add(erased, [_file("F2", "secret contents")])

    assert await MessageRepository(session).erase("T0001", "C0001", erased.slack_ts) == 1
    texts = list(await session.scalars(select(MessageFile.text)))
    assert texts == ["stays"]


async def test_a_summary_is_shared_at_most_once(session: AsyncSession) -> None:
    summaries = ThreadSummaryRepository(session)
    summary_id = await summaries.add(
        team_id="T0001",
        channel_id="C0001",
        thread_ts="1700000000.000100",
        requested_by="U0USER",
        text="**Summary**",
        model="gpt-4o-mini",
    )
    assert await summaries.get("T0002", summary_id) is None  # another workspace sees nothing
    assert await summaries.claim_sharing("T0001", summary_id)
    assert not await summaries.claim_sharing("T0001", summary_id)
    await summaries.shared("T0001", summary_id, None)  # posting failed: the claim is given back
    assert await summaries.claim_sharing("T0001", summary_id)
    await summaries.shared("T0001", summary_id, "1700000001.000100")
    assert not await summaries.claim_sharing("T0001", summary_id)
    stored = await summaries.get("T0001", summary_id)
    assert stored is not None and stored.shared_ts == "1700000001.000100"
