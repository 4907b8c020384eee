"""Issue 3 end to end: signed ``/imagine`` commands into the real app in HTTP mode, the fake
OpenAI images endpoint serving real PNGs, and the fake Slack's real upload flow
(files.getUploadURLExternal → POST bytes → files.completeUploadExternal)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.store.models import ImageRequest, ImageStatus
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes.openai import IMAGES_PATH, Error, FakeOpenAI, Hold, ImageReply, RateLimit
from tests.fakes.png import PNG_SIGNATURE
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body
from tests.references import without_reference

FORM = "application/x-www-form-urlencoded"
PROMPT = "a lighthouse at dawn, oil painting"


class RecordingOpenAI(FakeOpenAI):
    """The fake OpenAI, also keeping every PNG it served so tests can compare bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.served: list[bytes] = []

    def _image_item(self, behaviour: ImageReply) -> dict[str, str]:
        item = super()._image_item(behaviour)
        if "b64_json" in item:
            self.served.append(base64.b64decode(item["b64_json"]))
        return item


@pytest.fixture
async def fake_openai() -> AsyncIterator[RecordingOpenAI]:
    async with RecordingOpenAI() as openai:
        yield openai


@pytest.fixture
async def bot(make_settings: SettingsFactory) -> AsyncIterator[RunningBot]:
    running = await start_bot(make_settings(OPENAI_MAX_RETRY_SECONDS="0.6"))
    yield running
    await running.close()


async def _imagine(bot: RunningBot, text: str, channel_id: str = "C0001") -> str:
    """Send ``/imagine text``; the ephemeral text of the acknowledgement."""
    response = await bot.post(
        command_body("/imagine", text, channel_id=channel_id), content_type=FORM
    )
    assert response.status_code == 200
    body = response.json()
    assert body.get("response_type") == "ephemeral"
    return str(body["text"])


async def _settled(bot: RunningBot, fake_slack: FakeSlack, method: str) -> None:
    """Wait for the last Slack call of a request, then for its bookkeeping to finish."""
    await fake_slack.wait_for_calls(method, 1)
    await bot.background_done()


async def _rows(database_url: str) -> list[ImageRequest]:
    return await stored(database_url, ImageRequest)


def _ephemeral(fake_slack: FakeSlack) -> dict[str, Any]:
    [note] = fake_slack.calls_to("chat.postEphemeral")
    return note.args


async def test_image_is_posted_in_the_channel_as_a_png_file_naming_who_asked_and_the_prompt(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: RecordingOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_images(ImageReply(revised_prompt="A lighthouse glowing at sunrise"))
    ack = await _imagine(bot, f"{PROMPT} --landscape --quality high")
    assert ack.startswith(":art: Generating your image for “a lighthouse at dawn, oil painting”")
    await _settled(bot, fake_slack, "files.completeUploadExternal")

    [request] = fake_openai.image_requests()
    assert request == {
        "model": "gpt-image-1",
        "prompt": PROMPT,
        "n": 1,
        "size": "1536x1024",
        "quality": "high",
    }
    [upload] = fake_slack.uploads
    [png] = fake_openai.served
    assert upload.data == png and png.startswith(PNG_SIGNATURE)
    assert (upload.channel_id, upload.shared) == ("C0001", True)
    assert upload.filename == "a-lighthouse-at-dawn-oil-painting.png"
    assert upload.title == PROMPT
    assert upload.initial_comment == (
        f"<@U0USER> asked for “{PROMPT}”\n_Revised prompt:_ “A lighthouse glowing at sunrise”"
    )
    [row] = await _rows(sqlite_url)
    assert (row.team_id, row.channel_id, row.user_id, row.prompt) == (
        "T0001",
        "C0001",
        "U0USER",
        PROMPT,
    )
    assert json.loads(row.options) == {"n": 1, "size": "1536x1024", "quality": "high"}
    assert (row.model, row.status, row.delivered_to, row.error) == (
        "gpt-image-1",
        ImageStatus.DELIVERED,
        "C0001",
        None,
    )
    assert json.loads(row.slack_file_ids) == [upload.file_id]
    assert fake_slack.calls_to("chat.postEphemeral") == []
    metrics = (await bot.http.get("/metrics")).text
    assert "slackbot_images_generated_total 1.0" in metrics


async def test_several_images_are_shared_together_in_one_message(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: RecordingOpenAI, sqlite_url: str
) -> None:
    ack = await _imagine(bot, "two foxes --n 2 --transparent")
    assert "Generating 2 images" in ack
    await _settled(bot, fake_slack, "files.completeUploadExternal")

    assert fake_openai.image_requests()[0]["background"] == "transparent"
    assert [u.data for u in fake_slack.uploads] == fake_openai.served
    assert [u.filename for u in fake_slack.uploads] == ["two-foxes-1.png", "two-foxes-2.png"]
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert len(complete.args["files"]) == 2
    [row] = await _rows(sqlite_url)
    assert json.loads(row.slack_file_ids) == [u.file_id for u in fake_slack.uploads]


async def test_acknowledgement_returns_while_the_model_is_still_working(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: RecordingOpenAI
) -> None:
    fake_openai.script_images(Hold())
    ack = await _imagine(bot, PROMPT)
    assert "Generating" in ack
    await fake_openai.wait_for_requests(IMAGES_PATH, 1)
    assert fake_slack.uploads == []  # answered while the model holds the request

    fake_openai.release()
    await _settled(bot, fake_slack, "files.completeUploadExternal")
    assert fake_slack.uploads[0].data == fake_openai.served[0]


async def test_dall_e_is_asked_for_base64_and_a_url_only_answer_is_downloaded(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: RecordingOpenAI
) -> None:
    fake_openai.script_images(ImageReply(as_url=True, revised_prompt=None))
    bot = await start_bot(make_settings(OPENAI_IMAGE_MODEL="dall-e-3"))
    try:
        await _imagine(bot, "a red kite --style natural")
        await _settled(bot, fake_slack, "files.completeUploadExternal")
    finally:
        await bot.close()
    [request] = fake_openai.image_requests()
    assert (request["response_format"], request["style"]) == ("b64_json", "natural")
    [upload] = fake_slack.uploads
    [url] = [r.path for r in fake_openai.requests if r.path.startswith("/files/")]
    async with httpx.AsyncClient() as http:
        served = (await http.get(fake_openai.base_url.removesuffix("/v1") + url)).content
    assert upload.data == served and served.startswith(PNG_SIGNATURE)
    assert upload.initial_comment == "<@U0USER> asked for “a red kite”"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", "*Create an image with gpt-image-1:*"),
        ("help", "*Create an image with gpt-image-1:*"),
        (
            "a cat --bogus 3",
            ":warning: Unknown option --bogus\n\n*Create an image with gpt-image-1:*",
        ),
        ("a cat --size 640x480", ":warning: Size 640x480 is not supported by gpt-image-1; choose"),
        ("--square", ":warning: The prompt is empty"),
        (
            "x" * 32_001,
            ":warning: The prompt is 32,001 characters long; the limit for gpt-image-1 is 32,000",
        ),
    ],
    ids=["empty", "help", "unknown-option", "bad-size", "options-only", "too-long"],
)
async def test_help_and_bad_input_are_answered_in_the_ack_and_nothing_reaches_the_model(
    bot: RunningBot,
    fake_slack: FakeSlack,
    fake_openai: RecordingOpenAI,
    sqlite_url: str,
    text: str,
    shown: str,
) -> None:
    ack = await _imagine(bot, text)
    assert ack.startswith(shown)
    if shown.startswith(":warning:") and "prompt is" not in shown:
        assert "*Options*" in ack  # the usage follows what was wrong
    # A valid command afterwards is handled alone: the bad one started no work at all.
    await _imagine(bot, "sentinel")
    await _settled(bot, fake_slack, "files.completeUploadExternal")
    assert [r["prompt"] for r in fake_openai.image_requests()] == ["sentinel"]
    assert [row.prompt for row in await _rows(sqlite_url)] == ["sentinel"]


async def test_policy_refusal_is_explained_privately_and_recorded_as_declined(
    bot: RunningBot,
    fake_slack: FakeSlack,
    fake_openai: RecordingOpenAI,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_openai.script_images(
        Error(400, "content_policy_violation", "Your request was rejected by the safety system.")
    )
    with caplog.at_level(logging.INFO, logger="bot"):
        await _imagine(bot, "something not allowed")
        await _settled(bot, fake_slack, "chat.postEphemeral")

    note = _ephemeral(fake_slack)
    assert (note["channel"], note["user"]) == ("C0001", "U0USER")
    assert "was declined" in note["text"] and "content policy" in note["text"]
    assert "safety system" not in note["text"]
    assert len(fake_openai.image_requests()) == 1  # a refusal is never retried
    assert fake_slack.uploads == []
    [row] = await _rows(sqlite_url)
    assert (row.status, row.error) == (
        ImageStatus.DECLINED,
        "ModelRefused: 400 content_policy_violation",
    )
    assert json.loads(row.slack_file_ids) == []
    # The log says what the row says, under the id the user was given; never the server's text.
    [logged] = [r for r in caplog.records if r.name == "bot.images.service"]
    assert (
        logged.getMessage() == "image request declined: ModelRefused: 400 content_policy_violation"
    )
    assert logged.reference_id == row.reference_id  # type: ignore[attr-defined]
    assert "safety system" not in caplog.text


async def test_rate_limit_is_retried_honouring_retry_after_then_delivered(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: RecordingOpenAI,
    sqlite_url: str,
) -> None:
    fake_openai.script_images(RateLimit(retry_after=0.8), ImageReply())
    bot = await start_bot(make_settings(OPENAI_MAX_RETRY_SECONDS="3"))
    try:
        started = time.monotonic()
        await _imagine(bot, PROMPT)
        await _settled(bot, fake_slack, "files.completeUploadExternal")
        elapsed = time.monotonic() - started
    finally:
        await bot.close()
    assert elapsed >= 0.8  # the server's Retry-After, not the shorter default backoff
    assert len(fake_openai.image_requests()) == 2
    assert fake_slack.uploads[0].data == fake_openai.served[0]
    assert fake_slack.calls_to("chat.postEphemeral") == []
    [row] = await _rows(sqlite_url)
    assert row.status == ImageStatus.DELIVERED


@pytest.mark.parametrize(
    ("failure", "says", "error"),
    [
        (RateLimit(retry_after=0.2), "busy right now", "ModelRateLimited: 429 rate_limit_exceeded"),
        (Error(500, None, "The server had an error"), "had a problem", "ModelStatusError: 500"),
    ],
    ids=["rate-limited", "server-error"],
)
async def test_model_failures_after_retries_give_a_friendly_message_with_a_reference(
    bot: RunningBot,
    fake_slack: FakeSlack,
    fake_openai: RecordingOpenAI,
    sqlite_url: str,
    failure: RateLimit | Error,
    says: str,
    error: str,
) -> None:
    fake_openai.script_images(*[failure] * 6)
    await _imagine(bot, PROMPT)
    await _settled(bot, fake_slack, "chat.postEphemeral")

    assert len(fake_openai.image_requests()) > 1  # retried before giving up
    [row] = await _rows(sqlite_url)
    text = _ephemeral(fake_slack)["text"]
    assert says in text
    assert f"(reference: `{row.reference_id}`)" in text
    shown = without_reference(text)
    assert "500" not in shown and "429" not in shown and "Traceback" not in text
    assert (row.status, row.error) == (ImageStatus.FAILED, error)
    assert fake_slack.uploads == []


@pytest.mark.parametrize(
    ("channel", "refusal", "tells"),
    [
        ("C0002", "not_in_channel", "I couldn't post in <#C0002> because I'm not a member"),
        ("D0OTHER", "channel_not_found", "I can't post in that direct message"),
    ],
)
async def test_image_goes_to_the_users_dm_when_the_bot_cannot_post_where_asked(
    bot: RunningBot,
    fake_slack: FakeSlack,
    fake_openai: RecordingOpenAI,
    sqlite_url: str,
    channel: str,
    refusal: str,
    tells: str,
) -> None:
    if refusal == "not_in_channel":
        fake_slack.set_not_in_channel(channel)
    else:
        fake_slack.fail("files.completeUploadExternal", refusal)
    await _imagine(bot, PROMPT, channel_id=channel)
    await _settled(bot, fake_slack, "files.completeUploadExternal")

    [opened] = fake_slack.calls_to("conversations.open")
    assert opened.args["users"] == "U0USER"
    delivered = [u for u in fake_slack.uploads if u.shared]
    assert [u.channel_id for u in delivered] == ["D0USER"]
    assert delivered[0].data == fake_openai.served[0]
    comment = delivered[0].initial_comment or ""
    assert comment.startswith(f":information_source: {tells}")
    assert f"<@U0USER> asked for “{PROMPT}”" in comment
    if refusal == "not_in_channel":
        assert "add me with /invite <@U0BOT>" in comment
    [row] = await _rows(sqlite_url)
    assert (row.status, row.channel_id, row.delivered_to) == (
        ImageStatus.DELIVERED,
        channel,
        "D0USER",
    )
    assert json.loads(row.slack_file_ids) == [delivered[0].file_id]
