from __future__ import annotations

import pytest

from bot.errors import ModelError, ModelRefused
from bot.openai_api import images
from tests.fakes.openai import Error, FakeOpenAI, ImageReply, RateLimit
from tests.fakes.png import PNG_SIGNATURE
from tests.openai_api import connected_client


async def test_gpt_image_models_return_base64_images() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_images(ImageReply(revised_prompt="A red fox, watercolour"))
        result = await client.generate_images(
            "a fox",
            model="gpt-image-1",
            n=2,
            size="1024x1024",
            quality="low",
            extra={"output_format": "png"},
        )

    assert len(result) == 2
    assert all(image.data.startswith(PNG_SIGNATURE) for image in result)
    assert result[0].data != result[1].data
    assert {image.revised_prompt for image in result} == {"A red fox, watercolour"}
    assert fake.image_requests() == [
        {
            "model": "gpt-image-1",
            "prompt": "a fox",
            "n": 2,
            "size": "1024x1024",
            "quality": "low",
            "output_format": "png",
        }
    ]


async def test_dall_e_models_are_asked_for_base64() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_images(ImageReply(revised_prompt=None))
        [image] = await client.generate_images("a fox", model="dall-e-3")

    assert image.revised_prompt is None
    assert image.data.startswith(PNG_SIGNATURE)
    assert fake.image_requests() == [
        {"model": "dall-e-3", "prompt": "a fox", "n": 1, "response_format": "b64_json"}
    ]


async def test_url_answers_are_downloaded_without_our_credentials() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_images(ImageReply(as_url=True))
        [image] = await client.generate_images("a fox", model="dall-e-2")

    assert image.data.startswith(PNG_SIGNATURE)
    download = fake.requests[-1]
    assert (download.method, download.path) == ("GET", "/files/img-1.png")
    assert "Authorization" not in download.headers


async def test_downloads_over_the_size_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 16)
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_images(ImageReply(as_url=True))
        with pytest.raises(ModelError) as raised:
            await client.generate_images("a fox", model="dall-e-2")
    assert raised.value.code == "image_too_large"


async def test_rate_limit_and_server_error_are_retried() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_images(RateLimit(retry_after_ms=20), Error(500, None), ImageReply())
        [image] = await client.generate_images("a fox", model="gpt-image-1")
    assert image.data.startswith(PNG_SIGNATURE)
    assert len(fake.image_requests()) == 3


@pytest.mark.parametrize("code", ["content_policy_violation", "moderation_blocked"])
async def test_content_policy_refusal(code: str) -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_images(Error(400, code, type="image_generation_user_error"))
        with pytest.raises(ModelRefused) as raised:
            await client.generate_images("something disallowed", model="gpt-image-1")
    assert raised.value.code == code
    assert len(fake.image_requests()) == 1
