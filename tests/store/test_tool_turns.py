"""Tool rounds stored as turns: recorded once however often a takeover stores them, read back
in order, part of later history, and never mistaken for the answer itself. Confirmation
questions: decided once, by their requester only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.confirmations_repo import APPROVED, DENIED, EXPIRED, ConfirmationRepository
from bot.store.conversations_repo import (
    ConversationRepository,
    MessageRepository,
    NewConversation,
    TurnsAfter,
)
from bot.store.models import Conversation, Message, TurnStatus
from bot.store.tool_turns_repo import ToolTurnRepository

CALL = {"id": "call_1", "name": "generate_image", "arguments": '{"prompt":"a cat"}'}


async def _asked(session: AsyncSession) -> tuple[Conversation, Message]:
    conversations = ConversationRepository(session)
    await conversations.ensure([NewConversation(("T1", "C1", "100.1"), None, "channel_thread")])
    conversation = await conversations.get("T1", "C1", "100.1")
    assert conversation is not None
    stored = await MessageRepository(session).add_user_turn(
        conversation,
        slack_ts="100.1",
        slack_user_id="U1",
        text="draw a cat",
        source_event_id="Ev1",
    )
    return conversation, stored.message


async def _round(repo: ToolTurnRepository, turn: Message) -> None:
    await repo.add_calls(
        turn, round_number=1, text="", calls=[CALL], model="gpt-4o-mini", token_count=9
    )
    await repo.add_result(
        turn,
        round_number=1,
        index=0,
        call_id="call_1",
        text="posted",
        status=TurnStatus.COMPLETE,
        token_count=3,
    )


async def test_a_round_stored_twice_is_one_round_read_back_in_order(session: AsyncSession) -> None:
    _conversation, turn = await _asked(session)
    repo = ToolTurnRepository(session)
    await _round(repo, turn)
    await _round(repo, turn)  # a takeover storing the same round again changes nothing

    stored = await repo.rounds_for(turn)
    assert [(m.role, m.tool_call_id, m.text) for m in stored] == [
        ("assistant", None, ""),
        ("tool", "call_1", "posted"),
    ]
    assert stored[0].tool_calls is not None and '"call_1"' in stored[0].tool_calls


async def test_tool_rounds_are_history_for_the_next_turn_but_not_the_answer(
    session: AsyncSession,
) -> None:
    conversation, turn = await _asked(session)
    await _round(ToolTurnRepository(session), turn)
    messages = MessageRepository(session)
    assert await messages.answer_to(turn) is None
    answer = await messages.add_assistant_turn(
        turn,
        slack_ts="100.2",
        text="Here it is.",
        status=TurnStatus.COMPLETE,
        model="gpt-4o-mini",
        token_count=4,
    )
    found = await messages.answer_to(turn)
    assert found is not None and found.id == answer
    follow = await messages.add_user_turn(
        conversation, slack_ts="100.3", slack_user_id="U1", text="again", source_event_id="Ev2"
    )
    history = await messages.history_before(follow.message)
    assert [m.role for m in history.turns] == ["user", "assistant", "tool", "assistant"]
    assert history.with_files == frozenset()
    # A takeover's look at the thread sees the Slack messages only (tool turns' ts are names).
    after = await messages.turns_after(("T1", "C1", "100.1"), "100.1")
    assert after == TurnsAfter(next_user_ts="100.3", answer_ts=frozenset({"100.2"}))


async def test_a_confirmation_is_decided_once_and_only_by_its_requester(
    session: AsyncSession,
) -> None:
    repo = ConfirmationRepository(session)
    await repo.add(key="k1", team_id="T1", user_id="U1")
    assert await repo.decide("k1", "U2", APPROVED) is False  # someone else's click
    assert await repo.decide("k1", "U1", DENIED) is True
    assert await repo.decide("k1", "U1", APPROVED) is False  # decided already
    assert await repo.close("k1") == DENIED
    assert await repo.requester("k1") is None


async def test_an_undecided_confirmation_closes_as_expired(session: AsyncSession) -> None:
    repo = ConfirmationRepository(session)
    await repo.add(key="k2", team_id="T1", user_id="U1")
    assert await repo.close("k2") == EXPIRED
    assert await repo.decide("k2", "U1", APPROVED) is False
