"""Issue 5, images in: attached pictures reach vision models as data-URL parts; the bot token
goes only to Slack's file host; everything else gets a short note and the text is answered."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy import select

from bot.store.models import Message
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import reading
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.png import make_png
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "openai-openapi.yaml"


def _file(name: str, mimetype: str, url: str, size: int) -> dict[str, Any]:
    return {
        "id": f"F{abs(hash(name)) % 10**8:08d}",
        "name": name,
        "mimetype": mimetype,
        "size": size,
        "url_private": url,
    }


def _with_files(event: dict[str, Any], *files: dict[str, Any]) -> dict[str, Any]:
    return {**event, "files": list(files)}


async def _mention_with(bot: RunningBot, fake_slack: FakeSlack, text: str, *files: Any) -> str:
    event = _with_files(mention_event(text), *files)
    assert (await bot.post(event_body(event))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    return str(event["ts"])


def _validate_request(body: dict[str, Any]) -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not present")
    with SPEC.open() as spec:
        components = yaml.load(spec, Loader=yaml.CSafeLoader)["components"]
    schema = {"$ref": "#/components/schemas/CreateChatCompletionRequest", "components": components}
    jsonschema.Draft202012Validator(schema).validate(body)


async def test_an_attached_png_is_sent_as_an_image_part(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    png = make_png(7)
    url = fake_slack.add_file("chart.png", png, "image/png")
    fake_openai.script_chat(Reply("A tiny chart."), Reply("Still a chart."))
    root = await _mention_with(
        bot, fake_slack, "what is this?", _file("chart.png", "image/png", url, len(png))
    )

    [request] = fake_openai.chat_requests()
    _validate_request(request)
    assert request["messages"][-1] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is this?\n[attached: chart.png]"},
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()},
            },
        ],
    }
    assert fake_slack.calls_to("chat.postMessage") == []  # nothing to note

    # The stored turn keeps the text and a note of the attachment, never the bytes.
    await bot.post(event_body(message_event("and the colour?", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    history = fake_openai.chat_requests()[1]["messages"]
    assert history[1] == {"role": "user", "content": "what is this?\n[attached: chart.png]"}
    async with reading(sqlite_url) as connection:
        texts = list(await connection.scalars(select(Message.text)))
    assert not any("base64" in text for text in texts)


async def test_the_token_never_leaves_slack_and_bad_files_get_a_note(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Answered anyway."))
    foreign = f"{fake_openai.base_url.removesuffix('/v1')}/files/stolen.png"
    huge = fake_slack.add_file("huge.png", make_png(1), "image/png")
    archive = fake_slack.add_file("spec.zip", b"PK\x03\x04", "application/zip")
    root = await _mention_with(
        bot,
        fake_slack,
        "look at these",
        _file("stolen.png", "image/png", foreign, 100),
        _file("elsewhere.png", "image/png", "https://files.example.com/x.png", 100),
        _file("huge.png", "image/png", huge, 30 * 1024 * 1024),
        _file("spec.zip", "application/zip", archive, 4),
    )

    assert not any(r.path.startswith("/files/") for r in fake_openai.requests)
    [request] = fake_openai.chat_requests()
    assert request["messages"][-1]["content"] == (
        "look at these\n[attached: stolen.png, elsewhere.png, huge.png, spec.zip]\n\n"
        "[I can't read spec.zip: I read text, Markdown, CSV, JSON, source code, PDF and Word "
        "(.docx) files.]"
    )
    # The answer opens with its "reading the files" and "looking at the attachments" cards
    # (the zip is the documents reader's: it gets a note); the note follows them.
    [answer, note] = fake_slack.thread("C0001", root)
    assert [(t["id"], t["status"]) for t in answer.tasks] == [
        ("files", "in_progress"),
        ("files", "complete"),
        ("attachments", "in_progress"),
        ("attachments", "error"),  # no image opened
    ]
    text = note.visible_text()
    assert "I can't read spec.zip" in text and "huge.png is larger than 20 MB" in text
    assert "couldn't open stolen.png" in text and "couldn't open elsewhere.png" in text
    assert answer.visible_text().startswith("Answered anyway.")


async def test_a_model_without_vision_is_sent_text_and_the_user_is_told(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    png = make_png(3)
    url = fake_slack.add_file("photo.png", png, "image/png")
    fake_openai.script_chat(Reply("Text only."))
    bot = await start_bot(make_settings(OPENAI_MODEL="gpt-3.5-turbo"))
    try:
        root = await _mention_with(
            bot, fake_slack, "see?", _file("photo.png", "image/png", url, len(png))
        )
    finally:
        await bot.close()
    [request] = fake_openai.chat_requests()
    assert request["messages"][-1]["content"] == "see?\n[attached: photo.png]"
    [note, _answer] = fake_slack.thread("C0001", root)
    assert "`gpt-3.5-turbo` can't see images" in note.visible_text()


async def test_vision_models_setting_opts_an_unknown_model_in(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    png = make_png(4)
    url = fake_slack.add_file("cat.webp", png, "image/webp")
    fake_openai.script_chat(Reply("A cat."))
    bot = await start_bot(make_settings(OPENAI_MODEL="llava-13b", VISION_MODELS="qwen-vl, llava"))
    try:
        await _mention_with(bot, fake_slack, "", _file("cat.webp", "image/webp", url, len(png)))
    finally:
        await bot.close()
    content = fake_openai.chat_requests()[0]["messages"][-1]["content"]
    assert [part["type"] for part in content] == ["text", "image_url"]
    assert content[1]["image_url"]["url"].startswith("data:image/webp;base64,")


def _data_urls(request: dict[str, Any]) -> list[str]:
    content = request["messages"][-1]["content"]
    return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]


async def test_at_most_four_images_per_message_reach_the_model_and_the_rest_are_named(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    pngs = {f"p{i}.png": make_png(20 + i) for i in range(1, 7)}
    files = [
        _file(name, "image/png", fake_slack.add_file(name, png, "image/png"), len(png))
        for name, png in pngs.items()
    ]
    fake_openai.script_chat(Reply("Four of them."))
    root = await _mention_with(bot, fake_slack, "compare these", *files)

    [request] = fake_openai.chat_requests()
    sent = list(pngs.values())[:4]
    assert _data_urls(request) == [
        f"data:image/png;base64,{base64.b64encode(p).decode()}" for p in sent
    ]
    assert len(fake_slack.downloads) == 4  # the skipped ones are not even fetched
    [_answer, note] = fake_slack.thread("C0001", root)
    assert "I look at 4 images per message at most, so I skipped p5.png, p6.png." in (
        note.visible_text()
    )


async def test_ten_images_of_20_mb_are_capped_by_count_and_by_total_bytes(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    size = 20 * 1024 * 1024
    head = make_png(5)  # each file is this PNG padded with zeros, made as it is served
    files = [
        _file(name, "image/png", fake_slack.add_file(name, head, "image/png", size=size), size)
        for name in (f"big{i}.png" for i in range(1, 11))
    ]
    fake_openai.script_chat(Reply("Looked at one."))
    root = await _mention_with(bot, fake_slack, "all of these", *files)

    [request] = fake_openai.chat_requests()
    [url] = _data_urls(request)  # 20 MB of the 32 MB per message: the next one would not fit
    encoded = url.removeprefix("data:image/png;base64,")
    assert len(encoded) == 4 * -(-size // 3)
    assert base64.b64decode(encoded[:64]).startswith(head[:48])
    assert len(fake_slack.downloads) == 1
    # The answer opens with its "reading the attachments" card; the note follows it.
    [answer, note] = fake_slack.thread("C0001", root)
    assert [t["status"] for t in answer.tasks] == ["in_progress", "complete"]
    text = note.visible_text()
    assert "I look at 4 images per message at most, so I skipped big5.png, big6.png" in text
    assert "Images may add up to 32 MB per message, so I skipped big2.png, big3.png, big4.png" in (
        text
    )
    assert answer.visible_text().startswith("Looked at one.")
