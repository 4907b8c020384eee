"""Issue 14, budgets that hold: over a limit the user gets a notice naming it and when it
resets, and the model is not called; the next UTC day (time injected) answers again."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.store.models import UsageRecord
from tests.clock import MovableClock
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes.openai import CHAT_PATH, FakeOpenAI, Hold, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import (
    command_body,
    event_body,
    mention_event,
    message_event,
    new_ts,
)

FORM = "application/x-www-form-urlencoded"
LATE_EVENING = datetime(2026, 12, 1, 23, 50, tzinfo=UTC)


async def _ask(bot: RunningBot, fake_slack: FakeSlack, text: str, root: str, posts: int) -> None:
    """A follow-up in thread ``root``; returns once the bot has written ``posts`` messages."""
    await bot.post(event_body(message_event(text, thread_ts=root)))
    await fake_slack.wait_for_calls("chat.postMessage", posts)


async def test_user_daily_tokens_answer_until_the_ledger_passes_the_limit_then_the_next_day(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_slack.remove_method("chat.startStream")  # every answer and notice is a postMessage
    fake_openai.script_chat(Reply("A" * 40), Reply("B" * 40), Reply("C" * 40))
    clock = MovableClock(LATE_EVENING)
    bot = await start_bot(make_settings(SYSTEM_PROMPT="Be brief.", USER_DAILY_TOKENS="30"), clock)
    try:
        root = new_ts()
        await bot.post(event_body(mention_event("first question", ts=root)))
        await fake_slack.wait_for_calls("chat.postMessage", 1)
        await _ask(bot, fake_slack, "second question", root, posts=2)
        await _ask(bot, fake_slack, "third question", root, posts=3)
        assert len(fake_openai.chat_requests()) == 2  # no model call for the third
        notice = fake_slack.thread("C0001", root)[-1].visible_text()

        clock.advance(timedelta(minutes=15))  # 00:05 UTC the next day
        await _ask(bot, fake_slack, "fourth question", root, posts=4)
        await bot.server.services.inbox.stop(time.monotonic() + 5)
    finally:
        await bot.close()

    assert "daily allowance of 30 tokens" in notice
    assert "resets at midnight UTC (2026-12-02 00:00 UTC, in 10 min)" in notice
    assert len(fake_openai.chat_requests()) == 3
    assert fake_slack.thread("C0001", root)[-1].visible_text().startswith("C" * 40)
    rows = await stored(sqlite_url, UsageRecord)
    assert [r.created_at.day for r in rows] == [1, 1, 2]
    first, second, _ = (r.prompt_tokens + r.completion_tokens for r in rows)
    assert first < 30 <= first + second  # the second answer took the ledger past the limit


async def test_user_daily_images_refuse_privately_until_the_next_day(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    clock = MovableClock(LATE_EVENING)
    bot = await start_bot(make_settings(USER_DAILY_IMAGES="2"), clock)
    try:
        await bot.post(command_body("/imagine", "two foxes --n 2"), content_type=FORM)
        await fake_slack.wait_for_calls("files.completeUploadExternal", 1)
        await bot.background_done()
        await bot.post(command_body("/imagine", "one more fox"), content_type=FORM)
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
        await bot.background_done()
        assert len(fake_openai.image_requests()) == 1  # no model call over the budget

        clock.advance(timedelta(hours=1))
        await bot.post(command_body("/imagine", "one more fox"), content_type=FORM)
        await fake_slack.wait_for_calls("files.completeUploadExternal", 2)
        await bot.background_done()
    finally:
        await bot.close()

    [refusal] = fake_slack.calls_to("chat.postEphemeral")
    assert refusal.args["user"] == "U0USER"
    assert "daily allowance of 2 images (0 left today, 1 asked for)" in refusal.args["text"]
    assert "2026-12-02 00:00 UTC" in refusal.args["text"]
    assert len(fake_openai.image_requests()) == 2
    assert [r.images for r in await stored(sqlite_url, UsageRecord)] == [2, 1]


async def test_workspace_monthly_usd_uses_model_prices_and_admins_can_be_exempt(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_slack.remove_method("chat.startStream")
    clock = MovableClock(datetime(2026, 12, 31, 12, 0, tzinfo=UTC))
    settings = make_settings(
        # Every token costs a dollar: the first answer spends the whole month's budget.
        MODEL_PRICES="gpt-4o-mini=1000000/1000000",
        WORKSPACE_MONTHLY_USD="5",
        ADMIN_USERS="U0ADMIN",
        BUDGET_EXEMPT_ADMINS="true",
    )
    bot = await start_bot(settings, clock)
    try:
        root = new_ts()
        await bot.post(event_body(mention_event("spend it", ts=root)))
        await fake_slack.wait_for_calls("chat.postMessage", 1)
        await bot.post(event_body(message_event("and more", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.postMessage", 2)
        await bot.post(event_body(message_event("admin here", user="U0ADMIN", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.postMessage", 3)
    finally:
        await bot.close()

    answered, refused, admin = fake_slack.thread("C0001", root)
    assert answered.visible_text().startswith("Echo: spend it")
    assert "monthly budget of $5.00 (estimated)" in refused.visible_text()
    assert "2027-01-01 00:00 UTC" in refused.visible_text()
    assert admin.visible_text().startswith("Echo: admin here")
    assert len(fake_openai.chat_requests()) == 2


async def test_workspace_monthly_tokens_count_this_calendar_month_only(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    def used(at: datetime, tokens: int, team_id: str = "T0001") -> UsageRecord:
        return UsageRecord(
            created_at=at,
            team_id=team_id,
            user_id="U0OTHER",
            kind="chat",
            model="gpt-4o-mini",
            prompt_tokens=tokens,
            completion_tokens=0,
            estimated=False,
            images=0,
        )

    engine = create_async_engine(sqlite_url)
    async with AsyncSession(engine) as session, session.begin():
        session.add_all(
            [
                used(datetime(2026, 11, 30, 23, 59, tzinfo=UTC), 5000),  # last month
                used(datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 600),  # earlier this month
                used(datetime(2026, 12, 10, tzinfo=UTC), 9000, team_id="T0THEM"),  # elsewhere
            ]
        )
    await engine.dispose()
    fake_slack.remove_method("chat.startStream")
    clock = MovableClock(datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
    bot = await start_bot(make_settings(WORKSPACE_MONTHLY_TOKENS="620"), clock)
    try:
        root = new_ts()
        await bot.post(event_body(mention_event("within budget", ts=root)))
        await fake_slack.wait_for_calls("chat.postMessage", 1)
        await _ask(bot, fake_slack, "past it now", root, posts=2)
    finally:
        await bot.close()

    answered, refused = fake_slack.thread("C0001", root)
    assert answered.visible_text().startswith("Echo: within budget")
    assert "This workspace has used its monthly allowance of 620 tokens" in refused.visible_text()
    assert "(2027-01-01 00:00 UTC)" in refused.visible_text()
    assert len(fake_openai.chat_requests()) == 1


async def test_answers_still_running_count_so_a_burst_cannot_all_start_on_the_same_figures(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_slack.remove_method("chat.startStream")
    held = Hold(Reply("Slow but sure."))
    fake_openai.script_chat(held)
    # The ledger is empty; the first answer's prompt alone is past the limit.
    bot = await start_bot(make_settings(USER_DAILY_TOKENS="20"))
    try:
        first = new_ts()
        await bot.post(event_body(mention_event("a long first question " * 5, ts=first)))
        await fake_openai.wait_for_requests(CHAT_PATH, 1)  # the first answer is under way
        burst = new_ts()
        await bot.post(event_body(mention_event("and at the same time?", ts=burst)))
        await fake_slack.wait_for_calls("chat.postMessage", 1)  # the notice
        fake_openai.release()
        await bot.server.services.inbox.stop(time.monotonic() + 5)
    finally:
        await bot.close()

    [notice] = fake_slack.thread("C0001", burst)
    assert "daily allowance of 20 tokens" in notice.visible_text()
    assert len(fake_openai.chat_requests()) == 1
    [answer] = fake_slack.thread("C0001", first)
    assert answer.visible_text().startswith("Slow but sure.")  # started within budget: finished
