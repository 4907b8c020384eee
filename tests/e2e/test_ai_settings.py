"""Issue 5, per-channel behaviour: ``/ai-settings`` through the real app."""

from __future__ import annotations

from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body, event_body, mention_event

FORM = "application/x-www-form-urlencoded"


async def _command(bot: RunningBot, text: str, channel_id: str = "C0001") -> str:
    response = await bot.post(
        command_body("/ai-settings", text, channel_id=channel_id), content_type=FORM
    )
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


async def test_channel_model_and_prompt_apply_to_new_turns_in_that_channel_only(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    assert "gpt-4o-mini" in await _command(bot, "model gpt-4o-mini")
    assert "system prompt" in await _command(bot, "prompt Answer like a pirate.")
    shown = await _command(bot, "show")
    assert (
        "`gpt-4o-mini`" in shown and "Answer like a pirate." in shown and "(default)" not in shown
    )

    fake_openai.script_chat(Reply("Arr."), Reply("Hello."))
    await bot.post(event_body(mention_event("hi")))
    await bot.post(event_body(mention_event("hi", channel="C0002")))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    by_channel = {r["messages"][0]["content"]: r["model"] for r in fake_openai.chat_requests()}
    assert by_channel.pop("Answer like a pirate.") == "gpt-4o-mini"
    assert "Answer like a pirate." not in by_channel  # C0002 keeps the defaults

    assert "default" in await _command(bot, "reset")
    assert (await _command(bot, "show")).count("(default)") == 2


async def test_bad_values_are_refused_with_a_clear_message(
    bot: RunningBot, fake_openai: FakeOpenAI
) -> None:
    unknown = await _command(bot, "model gpt-nonexistent")
    assert "no model called `gpt-nonexistent`" in unknown and "`gpt-4o-mini`" in unknown
    assert "not a model name" in await _command(bot, "model ../../etc passwd")
    assert "limit is 4,000" in await _command(bot, "prompt " + "x" * 4001)
    assert "Usage" in await _command(bot, "frobnicate")
    assert (await _command(bot, "show")).count("(default)") == 2
    assert fake_openai.chat_requests() == []


async def test_a_model_is_accepted_with_a_warning_when_the_server_cannot_list_models(
    make_settings: SettingsFactory,
) -> None:
    bot = await start_bot(make_settings(OPENAI_API_KEY="sk-wrong"))  # every call answers 401
    try:
        reply = await _command(bot, "model my-azure-deployment")
    finally:
        await bot.close()
    assert "`my-azure-deployment`" in reply and "couldn't check it" in reply
