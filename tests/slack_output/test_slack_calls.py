"""One converter: every slack_sdk failure (a refusal, no connection, no answer) leaves the
Slack output as ``SlackDeliveryError``, never as an aiohttp or slack_sdk exception."""

from __future__ import annotations

import logging

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.files import SlackFiles, UploadFile
from bot.slack_output.retire import RETIRED_MARK, ReplyRetirer
from bot.slack_output.slack_calls import REQUEST_FAILED, call_slack
from bot.slack_output.streaming import SlackReplies
from bot.slack_output.user_notes import UserNotes
from tests.fakes.slack import FakeSlack
from tests.slack_output.slack_trouble import silent_slack_client, unreachable_client


async def test_a_refusal_carries_slacks_error_code(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", "is_archived")
    client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    with pytest.raises(SlackDeliveryError) as caught:
        await call_slack(client, "chat.postMessage", channel="C0001", text="hi")
    assert (caught.value.method, caught.value.error) == ("chat.postMessage", "is_archived")


async def test_a_refused_connection_is_a_delivery_error() -> None:
    with pytest.raises(SlackDeliveryError) as caught:
        await call_slack(unreachable_client(), "chat.postMessage", channel="C0001", text="hi")
    assert caught.value.error == REQUEST_FAILED


async def test_a_slack_that_never_answers_is_a_delivery_error() -> None:
    async with silent_slack_client() as client:
        with pytest.raises(SlackDeliveryError) as caught:
            await call_slack(client, "auth.test")
    assert caught.value.error == REQUEST_FAILED


async def test_file_uploads_and_notes_convert_connection_errors_too() -> None:
    client = unreachable_client()
    with pytest.raises(SlackDeliveryError):
        await SlackFiles(client).upload(
            channel="C0001", files=[UploadFile(b"x", "x.png", "x")], initial_comment="here"
        )
    with pytest.raises(SlackDeliveryError):
        await UserNotes(client).tell(channel="C0001", user_id="U0USER", text="for you")


async def test_notes_fall_back_to_the_dm_when_the_bot_is_not_in_the_channel(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.set_not_in_channel("C0001")
    client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    where = await UserNotes(client).tell(channel="C0001", user_id="U0USER", text="for you")
    assert where != "C0001"
    assert fake_slack.calls_to("chat.postMessage")[0].args["channel"] == where


async def test_retiring_a_reply_never_fails_the_takeover_when_slack_is_out_of_reach(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack_output.retire")
    await ReplyRetirer(SlackReplies(unreachable_client())).retire(
        channel="C0001", ts="1700000000.000200"
    )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert REQUEST_FAILED in warnings[0].getMessage()
    assert RETIRED_MARK not in caplog.text and caplog.records[0].exc_info is None


async def test_retiring_a_reply_that_slack_will_not_update_only_warns(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail("chat.update", "message_not_found")
    client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    await ReplyRetirer(SlackReplies(client)).retire(channel="C0001", ts="1700000000.000200")
    assert [r.levelno for r in caplog.records if r.name == "bot.slack_output.retire"][-1] == (
        logging.WARNING
    )
    assert "message_not_found" in caplog.text


async def test_looking_for_unrecorded_replies_asks_slack_who_the_bot_is_once(
    fake_slack: FakeSlack,
) -> None:
    client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    thread = "1700000000.000100"
    fake_slack.add_thread("C0001", [{"type": "message", "user": "U0USER", "ts": thread}])
    posted = await call_slack(
        client, "chat.postMessage", channel="C0001", thread_ts=thread, text="half an answer"
    )
    retirer = ReplyRetirer(SlackReplies(client))
    for _ in range(2):
        await retirer.retire_unrecorded(
            channel="C0001", thread_ts=thread, after_ts=thread, before_ts=None, recorded=()
        )
    assert len(fake_slack.calls_to("auth.test")) == 1
    assert [c.args["ts"] for c in fake_slack.calls_to("chat.update")] == [posted["ts"]] * 2
