"""Issue 15, the App Home tab through the real app: ``app_home_opened`` (home) →
``views.publish`` with how to use the bot and the models in use, the viewer's own usage this
month from the usage ledger, and for workspace admins (``users.info``) also the workspace's
totals and the channels' own settings."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.store.channel_settings_repo import ChannelSettingsRepository
from bot.store.models import UsageRecord
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event


def _home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": f"D{user[1:]}", "tab": "home"}


def _sections(view: dict[str, Any]) -> dict[str, str]:
    return {b["block_id"]: b["text"]["text"] for b in view["blocks"] if b["type"] == "section"}


async def _open_home(bot: RunningBot, fake_slack: FakeSlack, user: str) -> dict[str, Any]:
    before = len(fake_slack.calls_to("views.publish"))
    await bot.post(event_body(_home_opened(user)))
    await fake_slack.wait_for_calls("views.publish", before + 1)
    call = fake_slack.calls_to("views.publish")[-1]
    assert call.args["user_id"] == user
    view: dict[str, Any] = call.args["view"]
    assert view["type"] == "home"
    return view


async def test_home_tab_shows_usage_to_each_viewer_and_the_workspace_to_admins(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_slack.set_role("U0ADMIN")
    fake_openai.script_chat(Reply("One."), Reply("Two."), Reply("Three."))
    bot = await start_bot(make_settings())
    engine = create_async_engine(sqlite_url)
    try:
        for user, text in (("U0MEMBER", "first?"), ("U0MEMBER", "second?"), ("U0ADMIN", "third?")):
            await bot.post(event_body(mention_event(text, user=user)))
        await fake_slack.wait_for_calls("chat.stopStream", 3)
        async with AsyncSession(engine) as session, session.begin():
            await ChannelSettingsRepository(session).update(
                "T0001", "C0SET", updated_by="U0ADMIN", model="gpt-4o", system_prompt="Be brief."
            )
        await _wait_for_usage_rows(engine, 3)
        async with AsyncSession(engine) as session:
            tokens = await session.scalar(
                select(func.sum(UsageRecord.prompt_tokens + UsageRecord.completion_tokens)).where(
                    UsageRecord.user_id == "U0MEMBER"
                )
            )
        member = _sections(await _open_home(bot, fake_slack, "U0MEMBER"))
        admin = _sections(await _open_home(bot, fake_slack, "U0ADMIN"))
    finally:
        await bot.close()
        await engine.dispose()

    assert set(member) == {"home_how_to", "home_models", "home_usage_own"}
    assert "*Answers:* 2" in member["home_usage_own"]
    assert tokens
    assert f"*Tokens:* {tokens:,}" in member["home_usage_own"]
    assert "`gpt-4o-mini`" in member["home_models"] and "`gpt-image-1`" in member["home_models"]
    assert "/imagine" in member["home_how_to"]

    assert set(admin) == {
        "home_how_to",
        "home_models",
        "home_usage_own",
        "home_usage_workspace",
        "home_channel_settings",
    }
    assert "*Answers:* 1" in admin["home_usage_own"]
    assert "*Answers:* 3" in admin["home_usage_workspace"]
    assert admin["home_channel_settings"] == "<#C0SET> · model `gpt-4o` · prompt “Be brief.”"
    assert [c.args["user"] for c in fake_slack.calls_to("users.info")][-2:] == [
        "U0MEMBER",
        "U0ADMIN",
    ]


async def test_a_member_without_usage_sees_none_and_no_workspace_totals(
    make_settings: SettingsFactory, fake_slack: FakeSlack
) -> None:
    fake_slack.set_role("U0ADMIN")
    bot = await start_bot(make_settings())
    try:
        member = _sections(await _open_home(bot, fake_slack, "U0MEMBER"))
        admin = _sections(await _open_home(bot, fake_slack, "U0ADMIN"))
    finally:
        await bot.close()
    assert set(member) == {"home_how_to", "home_models", "home_usage_own"}
    assert "*Answers:* 0" in member["home_usage_own"]
    assert "every channel uses the defaults" in admin["home_channel_settings"]


async def _wait_for_usage_rows(engine: Any, count: int) -> None:
    """The ledger row is written in the transaction that completes the answer, which may land
    just after Slack saw the stream stop."""
    for _ in range(200):
        async with AsyncSession(engine) as session:
            if await session.scalar(select(func.count()).select_from(UsageRecord)) == count:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} usage rows")
