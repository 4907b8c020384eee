"""``/imagine`` on a server that answers with image URLs: a URL pointing into a private network
is refused, and the person who asked gets the usual friendly failure, privately."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import RunningBot
from tests.fakes.image_host import PNG_PATH, ImageHost
from tests.fakes.openai import FakeOpenAI, ImageReply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import command_body

FORM = "application/x-www-form-urlencoded"
SIGNED_QUERY = "?sig=s3cret-signature"


async def test_an_image_url_on_a_private_address_is_refused_with_the_friendly_message(
    bot: RunningBot,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with ImageHost("127.0.0.2") as private:
        fake_openai.script_images(ImageReply(url=private.url(PNG_PATH) + SIGNED_QUERY))
        response = await bot.post(command_body("/imagine", "a fox"), content_type=FORM)
        assert response.status_code == 200
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
        await bot.background_done()

    assert private.paths == []  # never fetched
    assert fake_slack.uploads == []
    [note] = fake_slack.calls_to("chat.postEphemeral")
    assert note.args["text"].startswith(":warning: The image service had a problem")
    assert "(reference: `" in note.args["text"] and "127.0.0.2" not in note.args["text"]
    logged = [r.getMessage() for r in caplog.records]
    assert "image request failed: ModelError: image_address_refused" in logged  # by its code
    assert not any("s3cret" in line or fake_openai.api_key in line for line in logged)
