"""Refusals and channel settings at the repository level, on each database: a refusal is found
again only for the same person, thread and code; a reset keeps who did it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.channel_settings_repo import ChannelSettingsRepository
from bot.store.models import PolicyRefusal
from bot.store.policy_refusals_repo import PolicyRefusalRepository

WHERE = {"team_id": "T0001", "channel_id": "C0001", "thread_ts": "1700000000.000100"}


async def test_a_refusal_is_found_for_the_same_person_thread_and_code_only(
    session: AsyncSession,
) -> None:
    refusals = PolicyRefusalRepository(session)
    await refusals.add(**WHERE, user_id="U0ONE", kind="answer", code="user_not_allowed")
    await refusals.add(
        **WHERE, user_id="U0ONE", kind="answer", code="input_flagged", categories=("hate", "sexual")
    )
    assert await refusals.refused_before(**WHERE, user_id="U0ONE", code="user_not_allowed")
    assert not await refusals.refused_before(**WHERE, user_id="U0TWO", code="user_not_allowed")
    other_thread = {**WHERE, "thread_ts": "1700000000.000200"}
    assert not await refusals.refused_before(
        **other_thread, user_id="U0ONE", code="user_not_allowed"
    )
    other_team = {**WHERE, "team_id": "T0002"}
    assert not await refusals.refused_before(**other_team, user_id="U0ONE", code="user_not_allowed")
    flagged = await session.scalar(
        select(PolicyRefusal).where(PolicyRefusal.code == "input_flagged")
    )
    assert flagged is not None and flagged.categories == "hate sexual"


async def test_a_reset_clears_the_values_and_keeps_who_changed_them(session: AsyncSession) -> None:
    settings = ChannelSettingsRepository(session)
    await settings.update(
        "T0001", "C0001", updated_by="U0ADMIN", model="gpt-4.1", system_prompt="Hi"
    )
    await settings.reset("T0001", "C0001", updated_by="U0OWNER")
    row = await settings.get("T0001", "C0001")
    assert row is not None
    assert (row.model, row.system_prompt, row.updated_by) == (None, None, "U0OWNER")
    assert row.updated_at is not None
