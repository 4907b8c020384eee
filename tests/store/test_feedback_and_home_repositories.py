"""Feedback votes and what the App Home reads, on each kind of database: one vote per user per
answer (a later one replaces it, its comment with it), the channels' own settings of one team,
and whether the bot has talked in a channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.channel_settings_repo import ChannelSettingsRepository
from bot.store.conversations_repo import ConversationRepository, NewConversation
from bot.store.feedback_repo import FeedbackRepository
from bot.store.models import Feedback

ANSWER = "1700000000.000200"


async def _votes(session: AsyncSession) -> list[tuple[str, str, str | None]]:
    rows = await session.execute(
        select(Feedback.user_id, Feedback.value, Feedback.comment).order_by(Feedback.user_id)
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_one_vote_per_user_per_answer_the_later_one_with_its_comment_wins(
    session: AsyncSession,
) -> None:
    votes = FeedbackRepository(session)
    where = {"team_id": "T0001", "channel_id": "C0001", "message_ts": ANSWER}
    await votes.record(**where, user_id="U0ANN", value="up")
    await votes.record(**where, user_id="U0BEN", value="down", comment="Wrong date.")
    await votes.record(**where, user_id="U0ANN", value="down", comment="Too long.")
    assert await _votes(session) == [
        ("U0ANN", "down", "Too long."),
        ("U0BEN", "down", "Wrong date."),
    ]

    await votes.record(**where, user_id="U0BEN", value="up")  # a new vote drops the old comment
    assert await _votes(session) == [("U0ANN", "down", "Too long."), ("U0BEN", "up", None)]


async def test_channel_settings_of_one_team_and_where_the_bot_has_talked(
    session: AsyncSession,
) -> None:
    settings = ChannelSettingsRepository(session)
    await settings.update("T0001", "C0B", updated_by="U0A", model="gpt-4o")
    await settings.update("T0001", "C0A", updated_by="U0A", system_prompt="Be brief.")
    await settings.update("T0002", "C0Z", updated_by="U0Z", model="other")
    rows = await settings.for_team("T0001")
    assert [(r.channel_id, r.model, r.system_prompt) for r in rows] == [
        ("C0A", None, "Be brief."),
        ("C0B", "gpt-4o", None),
    ]

    conversations = ConversationRepository(session)
    await conversations.ensure(
        [NewConversation(("T0001", "C0TALK", ANSWER), None, "channel_thread")]
    )
    assert await conversations.talked_in("T0001", "C0TALK")
    assert not await conversations.talked_in("T0001", "C0QUIET")
    assert not await conversations.talked_in("T0002", "C0TALK")  # another workspace's channel
