"""Image URLs the model server returns: fetched without redirects, only as images, and never
from a non-public address unless the model server itself is there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.errors import ModelError, ModelStatusError
from bot.openai_api import OpenAIClient
from tests.fakes.image_host import PAGE_PATH, PNG_PATH, REDIRECT_PATH, ImageHost
from tests.fakes.openai import FakeOpenAI, ImageReply
from tests.fakes.png import PNG_SIGNATURE
from tests.openai_api import connected_client


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as openai:
        yield openai


async def _generate_from(fake: FakeOpenAI, url: str) -> bytes:
    fake.script_images(ImageReply(url=url))
    async with connected_client(fake) as client:
        [image] = await client.generate_images("a fox", model="dall-e-2")
    return image.data


async def test_a_private_address_that_is_not_the_model_server_is_refused(
    fake: FakeOpenAI,
) -> None:
    async with ImageHost("127.0.0.2") as private:
        with pytest.raises(ModelError) as raised:
            await _generate_from(fake, private.url(PNG_PATH))
    assert raised.value.code == "image_address_refused"
    assert not raised.value.retryable
    assert private.paths == []  # refused before connecting


async def test_the_model_servers_own_host_is_allowed_on_any_port(fake: FakeOpenAI) -> None:
    async with ImageHost("127.0.0.1") as beside:
        data = await _generate_from(fake, beside.url(PNG_PATH))
    assert data == beside.png


async def test_a_model_server_named_localhost_may_serve_from_its_address(
    fake: FakeOpenAI,
) -> None:
    """Ollama at http://localhost:11434 answering with 127.0.0.1 URLs keeps working."""
    fake.script_images(ImageReply(as_url=True))  # the fake names itself 127.0.0.1 in its URLs
    client = OpenAIClient(fake.base_url.replace("127.0.0.1", "localhost"), fake.api_key)
    try:
        [image] = await client.generate_images("a fox", model="dall-e-2")
    finally:
        await client.aclose()
    assert image.data.startswith(PNG_SIGNATURE)
    assert fake.requests[-1].path == "/files/img-1.png"


async def test_a_redirect_is_not_followed(fake: FakeOpenAI) -> None:
    async with ImageHost() as host:
        with pytest.raises(ModelStatusError) as raised:
            await _generate_from(fake, host.url(REDIRECT_PATH))
    assert raised.value.status == 302
    assert host.paths == [REDIRECT_PATH]


async def test_a_body_that_is_not_an_image_is_refused(fake: FakeOpenAI) -> None:
    async with ImageHost() as host:
        with pytest.raises(ModelError) as raised:
            await _generate_from(fake, host.url(PAGE_PATH))
    assert raised.value.code == "not_an_image"
    assert host.paths == [PAGE_PATH]
