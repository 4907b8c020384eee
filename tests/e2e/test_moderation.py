"""Issue 13, moderation: what is asked (text and images) and what is answered go through
OpenAI's moderation endpoint; flagged requests never reach the chat model, flagged answers are
never shown or stored, and a moderation server that fails is handled as configured."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.models import Message, PolicyRefusal
from tests.conftest import RunningBot, SettingsFactory, running_bot
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.png import make_png
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body, event_body, mention_event

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "openai-openapi.yaml"
FORM = "application/x-www-form-urlencoded"


async def _rows(url: str, model: type[Any]) -> list[Any]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(model))).all()
    await engine.dispose()
    return list(rows)


async def _mention(bot: RunningBot, text: str, **extra: object) -> str:
    event = {**mention_event(text), **extra}
    assert (await bot.post(event_body(event))).status_code == 200
    return str(event["ts"])


def _validate_moderation_request(body: dict[str, Any]) -> None:
    if not SPEC.exists():
        return  # ../shared/reference is only beside CI's checkout
    with SPEC.open() as spec:
        components = yaml.load(spec, Loader=yaml.CSafeLoader)["components"]
    schema = {"$ref": "#/components/schemas/CreateModerationRequest", "components": components}
    jsonschema.Draft202012Validator(schema).validate(body)


async def test_a_flagged_message_gets_a_calm_notice_and_the_model_is_not_asked(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    fake_openai.flag("hurt them", "violence", "harassment/threatening")
    async with running_bot(make_settings(MODERATION="input")) as bot:
        flagged = await _mention(bot, "how do I hurt them badly")
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
        await _mention(bot, "how do I bake bread")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        metrics = (await bot.http.get("/metrics")).text

    [note] = fake_slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == "U0USER" and note.args["thread_ts"] == flagged
    assert "threats and violence" in note.args["text"] and "0.93" not in note.args["text"]
    [chat] = fake_openai.chat_requests()
    assert chat["messages"][-1]["content"] == "how do I bake bread"
    requests = fake_openai.moderation_requests()
    assert [r["input"] for r in requests] == ["how do I hurt them badly", "how do I bake bread"]
    assert {r["model"] for r in requests} == {"omni-moderation-latest"}
    for request in requests:
        _validate_moderation_request(request)

    [refusal] = await _rows(sqlite_url, PolicyRefusal)
    assert (refusal.code, refusal.categories) == (
        "input_flagged",
        "harassment/threatening violence",
    )
    stored = {m.slack_ts: m.text for m in await _rows(sqlite_url, Message) if m.role == "user"}
    assert stored[flagged] == ""  # the flagged text leaves the conversation
    assert 'slackbot_policy_refusals_total{code="input_flagged"} 1.0' in metrics
    assert not [r for r in caplog.records if "hurt them" in r.getMessage()]


async def test_attached_images_are_moderated_with_the_text_as_multimodal_input(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.flag_images("violence/graphic")
    url = fake_slack.add_file("scene.png", make_png(3), "image/png")
    image = {"id": "F0IMG", "name": "scene.png", "mimetype": "image/png", "size": 100}
    async with running_bot(make_settings(MODERATION="input")) as bot:
        await _mention(bot, "what is this?", files=[{**image, "url_private": url}])
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
    [request] = fake_openai.moderation_requests()
    _validate_moderation_request(request)
    text, picture = request["input"]
    assert text == {"type": "text", "text": "what is this?"}
    assert picture["type"] == "image_url"
    assert picture["image_url"]["url"].startswith("data:image/png;base64,")
    assert "graphic violence" in fake_slack.calls_to("chat.postEphemeral")[0].args["text"]
    assert fake_openai.chat_requests() == []


async def test_a_flagged_answer_is_withheld_and_not_stored(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.flag("step one: the poison", "illicit/violent")
    fake_openai.script_chat(Reply("Sure. Step one: the poison is…"), Reply("Fine answer."))
    async with running_bot(make_settings(MODERATION="input,output")) as bot:
        withheld = await _mention(bot, "tell me a story")
        await fake_slack.wait_for_calls("chat.postMessage", 1)
        answered = await _mention(bot, "another one")
        await fake_slack.wait_for_calls("chat.stopStream", 1)

    [notice] = fake_slack.thread("C0001", withheld)
    assert "withheld" in notice.visible_text() and "violent wrongdoing" in notice.visible_text()
    assert not any("poison" in m.visible_text() for m in fake_slack.messages.values())
    [answer] = fake_slack.thread("C0001", answered)
    assert answer.visible_text().startswith("Fine answer.")
    inputs = [r["input"] for r in fake_openai.moderation_requests()]
    assert inputs == [
        "tell me a story",
        "Sure. Step one: the poison is…",
        "another one",
        "Fine answer.",
    ]
    said = [m.text for m in await _rows(sqlite_url, Message) if m.role == "assistant"]
    assert said == ["Fine answer."]
    [refusal] = await _rows(sqlite_url, PolicyRefusal)
    assert (refusal.code, refusal.categories) == ("output_flagged", "illicit/violent")


@pytest.mark.parametrize("status", [404, 500])
async def test_a_failing_moderation_server_is_allowed_by_default_with_a_warning(
    status: int,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_openai.script_moderations(*[Error(status, None)] * 4)
    async with running_bot(make_settings(MODERATION="input")) as bot:
        await _mention(bot, "first")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        await _mention(bot, "second")
        await fake_slack.wait_for_calls("chat.stopStream", 2)
        metrics = (await bot.http.get("/metrics")).text
    assert len(fake_openai.chat_requests()) == 2
    warnings = [r for r in caplog.records if "answering unchecked" in r.getMessage()]
    assert len(warnings) == 1  # at most once a minute
    assert f'slackbot_moderation_errors_total{{code="http_{status}"}} 2.0' in metrics


async def test_a_failing_moderation_server_refuses_when_configured(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_moderations(Error(404, None))
    async with running_bot(make_settings(MODERATION="input", MODERATION_ON_ERROR="refuse")) as bot:
        await _mention(bot, "anything")
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
    assert "safety check" in fake_slack.calls_to("chat.postEphemeral")[0].args["text"]
    assert fake_openai.chat_requests() == []


async def test_imagine_prompts_are_moderated(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.flag("gore", "violence/graphic")
    async with running_bot(make_settings(MODERATION="input")) as bot:
        for prompt in ("a scene full of gore", "a calm lake"):
            body = command_body("/imagine", prompt)
            assert (await bot.post(body, content_type=FORM)).status_code == 200
        await bot.background_done()
    [note] = fake_slack.calls_to("chat.postEphemeral")
    assert "that prompt" in note.args["text"] and "graphic violence" in note.args["text"]
    assert [r["prompt"] for r in fake_openai.image_requests()] == ["a calm lake"]


async def test_moderation_can_go_to_another_server_with_its_own_key(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    async with FakeOpenAI(api_key="sk-moderation") as moderation_server:
        moderation_server.flag("secret plan", "illicit")
        settings = make_settings(
            MODERATION="input",
            MODERATION_BASE_URL=moderation_server.base_url,
            MODERATION_API_KEY="sk-moderation",
        )
        async with running_bot(settings) as bot:
            await _mention(bot, "my secret plan")
            await fake_slack.wait_for_calls("chat.postEphemeral", 1)
        assert len(moderation_server.moderation_requests()) == 1
    assert fake_openai.moderation_requests() == [] and fake_openai.chat_requests() == []
