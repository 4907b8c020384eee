"""Issue 15, the App Home tab through the real app: ``app_home_opened`` (home) →
``views.publish`` with how to use the bot and the models in use; given a usage summary, the
viewer's own usage; for workspace admins (``users.info``) also the workspace's totals and the
channels' own settings.

The usage summary here is a small one over the bot's own stored turns (real rows the bot wrote
while answering), standing in for the usage ledger until that lands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from bot.app import BotServer
from bot.config import Settings
from bot.home.usage import UsageTotals
from bot.store.channel_settings_repo import ChannelSettingsRepository
from bot.store.models import Message
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event


class StoredTurnsUsage:
    """Answers and tokens counted from the ``messages`` table (each answer a reply to a turn)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _totals(self, team_id: str, user_id: str | None) -> UsageTotals:
        asked = select(Message.id).where(Message.team_id == team_id, Message.role == "user")
        if user_id is not None:
            asked = asked.where(Message.slack_user_id == user_id)
        async with AsyncSession(self._engine) as session:
            prompt = await session.scalar(
                select(func.coalesce(func.sum(Message.token_count), 0)).where(Message.id.in_(asked))
            )
            answers, completion = (
                await session.execute(
                    select(func.count(), func.coalesce(func.sum(Message.token_count), 0)).where(
                        Message.reply_to_id.in_(asked)
                    )
                )
            ).one()
        return UsageTotals(int(answers), int(prompt or 0), int(completion), images=0)

    async def for_user(self, team_id: str, user_id: str) -> UsageTotals:
        return await self._totals(team_id, user_id)

    async def for_workspace(self, team_id: str) -> UsageTotals:
        return await self._totals(team_id, None)


async def _start_with_usage(settings: Settings, usage: StoredTurnsUsage) -> RunningBot:
    server = BotServer(settings, usage=usage)
    await server.start(host="127.0.0.1", port=0)
    return RunningBot(server)


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
    fake_slack.make_admin("U0ADMIN")
    fake_openai.script_chat(Reply("One."), Reply("Two."), Reply("Three."))
    asking = await start_bot(make_settings())
    try:
        for user, text in (("U0MEMBER", "first?"), ("U0MEMBER", "second?"), ("U0ADMIN", "third?")):
            await asking.post(event_body(mention_event(text, user=user)))
        await fake_slack.wait_for_calls("chat.stopStream", 3)
    finally:
        await asking.close()  # a graceful stop: every answer is stored
    engine = create_async_engine(sqlite_url)
    async with AsyncSession(engine) as session, session.begin():
        await ChannelSettingsRepository(session).update(
            "T0001", "C0SET", updated_by="U0ADMIN", model="gpt-4o", system_prompt="Be brief."
        )
    usage = StoredTurnsUsage(engine)
    member_usage = await usage.for_user("T0001", "U0MEMBER")
    assert (member_usage.answers, (await usage.for_workspace("T0001")).answers) == (2, 3)
    bot = await _start_with_usage(make_settings(), usage)
    try:
        member = _sections(await _open_home(bot, fake_slack, "U0MEMBER"))
        admin = _sections(await _open_home(bot, fake_slack, "U0ADMIN"))
    finally:
        await bot.close()
        await engine.dispose()

    assert set(member) == {"home_how_to", "home_models", "home_usage_own"}
    assert "*Answers:* 2" in member["home_usage_own"]
    tokens = member_usage.prompt_tokens + member_usage.completion_tokens
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


async def test_without_a_usage_summary_the_home_tab_has_no_usage_sections(
    make_settings: SettingsFactory, fake_slack: FakeSlack
) -> None:
    fake_slack.make_admin("U0ADMIN")
    bot = await start_bot(make_settings())
    try:
        admin = _sections(await _open_home(bot, fake_slack, "U0ADMIN"))
    finally:
        await bot.close()
    assert set(admin) == {"home_how_to", "home_models", "home_channel_settings"}
    assert "every channel uses the defaults" in admin["home_channel_settings"]
