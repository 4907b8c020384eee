"""Issue 7: what an operator watches — /healthz, /readyz (database and migrations), /metrics."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body, event_body, mention_event, new_ts
from tests.sqlite_lock import write_lock_held


async def _samples(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await bot.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_healthz_and_readyz_on_a_migrated_database(bot: RunningBot) -> None:
    assert (await bot.http.get("/healthz")).json() == {"status": "ok"}
    ready = await bot.http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_reads_are_answered_while_another_connection_holds_the_write_lock(
    bot: RunningBot, sqlite_url: str
) -> None:
    """Issue 11, defect 10: readiness and ``/ai-settings show`` only read, so a long write
    elsewhere (SQLite has one writer at a time) does not hold them up."""
    with write_lock_held(sqlite_url):
        ready = await bot.http.get("/readyz")
        shown = await bot.post(
            command_body("/ai-settings", "show"), content_type="application/x-www-form-urlencoded"
        )
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert (shown.status_code, shown.json()["text"].count("(default)")) == (200, 2)


async def test_readyz_fails_when_the_database_is_unreachable(
    make_settings: SettingsFactory,
) -> None:
    bot = await start_bot(make_settings(DATABASE_URL="postgresql://nobody@127.0.0.1:1/gone"))
    try:
        assert (await bot.http.get("/healthz")).status_code == 200
        ready = await bot.http.get("/readyz")
    finally:
        await bot.close()
    assert (ready.status_code, ready.json()) == (503, {"status": "database unreachable"})


async def test_readyz_fails_until_migrations_are_applied(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    empty = f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}"
    bot = await start_bot(make_settings(DATABASE_URL=empty))
    try:
        ready = await bot.http.get("/readyz")
    finally:
        await bot.close()
    assert (ready.status_code, ready.json()) == (503, {"status": "migrations pending"})


async def test_metrics_move_after_a_conversation(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    before = await _samples(bot)
    assert before[("slackbot_deliveries_received_total", ())] == 0
    fake_slack.remove_method("chat.startStream")  # counted as a Slack error, then the fallback
    fake_openai.script_chat(Error(503, "server_overloaded"), Reply("Counted."))
    body = event_body(mention_event("count me", ts=new_ts()), event_id="EvCOUNT")
    assert (await bot.post(body)).status_code == 200
    assert (await bot.post(body, headers={"X-Slack-Retry-Num": "1"})).status_code == 200
    await fake_slack.wait_for_calls("chat.update", 1)
    await bot.server.services.inbox.stop(time.monotonic() + 5)  # returns once the answer is done

    after = await _samples(bot)
    assert after[("slackbot_deliveries_received_total", ())] == 2
    assert after[("slackbot_deliveries_duplicate_total", ())] == 1
    assert after[("slackbot_answers_total", (("outcome", "answered"),))] == 1
    assert ("slackbot_answers_total", (("outcome", "failed"),)) not in after
    assert after[("slackbot_ack_seconds_count", ())] == 2
    assert after[("slackbot_answer_seconds_count", ())] == 1
    by_model = (("model", "gpt-4o-mini"),)
    assert after[("slackbot_model_tokens_total", (("direction", "in"), *by_model))] > 0
    assert after[("slackbot_model_tokens_total", (("direction", "out"), *by_model))] > 0
    assert after[("slackbot_model_cost_usd_total", by_model)] > 0
    assert after[("slackbot_openai_errors_total", (("code", "server_overloaded"),))] == 1
    assert after[("slackbot_slack_errors_total", (("code", "unknown_method"),))] == 1
    assert after[("slackbot_answers_in_flight", ())] == 0
    label_values = {value for _, labels in after for _, value in labels}
    assert not [v for v in label_values if "U0USER" in v or "count me" in v], "no user data"


async def test_each_bot_counts_only_its_own_work(make_settings: SettingsFactory) -> None:
    first, second = await start_bot(make_settings()), await start_bot(make_settings())
    try:
        first.server.services.metrics.images_generated(2)
        first_images = (await _samples(first))[("slackbot_images_generated_total", ())]
        second_images = (await _samples(second))[("slackbot_images_generated_total", ())]
    finally:
        await first.close()
        await second.close()
    assert (first_images, second_images) == (2, 0)
