"""Issue 14, usage you can see: every model call is a row of the ``usage`` table, with the
server's own figures when it reports them and our count (marked estimated) when it does not;
Prometheus shows tokens and estimated cost by model, never who."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from bot.conversations.tokens import TokenCounter
from bot.store.models import UsageRecord
from tests.conftest import SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes import openai_wire as wire
from tests.fakes.openai import CHAT_PATH, Cut, Error, FakeOpenAI, ImageReply, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body, event_body, mention_event, new_ts

FORM = "application/x-www-form-urlencoded"


async def test_a_chat_answer_is_recorded_with_the_usage_the_stream_reported(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(Reply("Paris is the capital of France."))
    bot = await start_bot(make_settings(MODEL_PRICES="gpt-4o-mini=1/2"))
    try:
        root = new_ts()
        await bot.post(event_body(mention_event("capital of France?", ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        await bot.server.services.inbox.stop(time.monotonic() + 5)  # the answer is stored
        metrics = (await bot.http.get("/metrics")).text
    finally:
        await bot.close()

    [request] = fake_openai.chat_requests()
    assert request["stream_options"] == {"include_usage": True}
    reported = wire.completion_usage(request["messages"], "Paris is the capital of France.")
    [row] = await stored(sqlite_url, UsageRecord)
    assert (row.team_id, row.user_id, row.channel_id, row.kind, row.model) == (
        "T0001",
        "U0USER",
        "C0001",
        "chat",
        "gpt-4o-mini",
    )
    assert row.conversation_id is not None
    assert (row.prompt_tokens, row.completion_tokens, row.estimated) == (
        reported["prompt_tokens"],
        reported["completion_tokens"],
        False,
    )
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    model = ("model", "gpt-4o-mini")
    assert (
        samples[("slackbot_model_tokens_total", (("direction", "in"), model))]
        == (reported["prompt_tokens"])
    )
    expected_usd = (reported["prompt_tokens"] * 1 + reported["completion_tokens"] * 2) / 1e6
    assert abs(samples[("slackbot_model_cost_usd_total", (model,))] - expected_usd) < 1e-12
    assert "U0USER" not in metrics and "capital" not in metrics


async def test_a_server_that_reports_no_usage_gets_our_own_count_marked_estimated(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    answer = "Counted by the bot itself, since the server kept quiet about usage."
    fake_openai.script_chat(Reply(answer, usage=False))
    bot = await start_bot(make_settings())
    try:
        await bot.post(event_body(mention_event("count yourself", ts=new_ts())))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        await bot.server.services.inbox.stop(time.monotonic() + 5)
    finally:
        await bot.close()

    [request] = fake_openai.chat_requests()
    counter = TokenCounter()
    [row] = await stored(sqlite_url, UsageRecord)
    assert row.estimated is True
    # What we sent and what came back, as our own tokenizer counts them.
    assert row.prompt_tokens == counter.count_messages("gpt-4o-mini", request["messages"])
    assert row.completion_tokens == counter.count_message(
        "gpt-4o-mini", {"role": "assistant", "content": answer}
    )


async def test_an_imagine_is_recorded_with_its_images_size_and_quality(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_images(ImageReply())
    bot = await start_bot(make_settings())
    try:
        body = command_body("/imagine", "two foxes --n 2 --landscape --quality low")
        assert (await bot.post(body, content_type=FORM)).status_code == 200
        await fake_slack.wait_for_calls("files.completeUploadExternal", 1)
        await bot.background_done()
    finally:
        await bot.close()

    [row] = await stored(sqlite_url, UsageRecord)
    assert (row.kind, row.model, row.user_id, row.channel_id) == (
        "image",
        "gpt-image-1",
        "U0USER",
        "C0001",
    )
    assert (row.images, row.image_size, row.image_quality) == (2, "1536x1024", "low")
    assert (row.prompt_tokens, row.completion_tokens) == (0, 0)


async def test_a_cut_stream_is_recorded_as_estimated_and_a_refused_request_not_at_all(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(
        Cut(after_text="The first half of an answer"),
        Error(400, "invalid_request_error", "Unsupported parameter."),
    )
    bot = await start_bot(make_settings())
    try:
        await bot.post(event_body(mention_event("cut me off", ts=new_ts())))
        await bot.post(event_body(mention_event("refuse me", ts=new_ts())))
        await fake_openai.wait_for_requests(CHAT_PATH, 2)
        await bot.server.services.inbox.stop(time.monotonic() + 5)
    finally:
        await bot.close()

    [row] = await stored(sqlite_url, UsageRecord)  # the refused request used nothing
    shown = TokenCounter().count_message(
        "gpt-4o-mini", {"role": "assistant", "content": "The first half of an answer"}
    )
    assert (row.estimated, row.completion_tokens) == (True, shown)
    assert row.prompt_tokens > 0
