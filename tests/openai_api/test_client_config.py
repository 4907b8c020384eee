"""How the client addresses servers it is configured for. Azure needs its own host name, so
these use httpx's in-process transport instead of the loopback fake."""

from __future__ import annotations

import httpx
import pytest

from bot.openai_api import OpenAIClient


async def _list_models_via(base_url: str) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": [{"id": "my-deployment"}]})

    client = OpenAIClient(base_url, "azure-key", transport=httpx.MockTransport(handler))
    try:
        assert await client.list_models() == ["my-deployment"]
    finally:
        await client.aclose()
    [request] = seen
    return request


async def test_azure_gets_api_key_header_and_keeps_api_version() -> None:
    request = await _list_models_via("https://res.openai.azure.com/openai/v1?api-version=preview")
    assert str(request.url) == "https://res.openai.azure.com/openai/v1/models?api-version=preview"
    assert request.headers["api-key"] == "azure-key"
    assert request.headers["Authorization"] == "Bearer azure-key"


@pytest.mark.parametrize(
    "base_url", ["http://llm.internal:8000/v1", "http://llm.internal:8000/v1/"]
)
async def test_other_servers_get_bearer_only(base_url: str) -> None:
    request = await _list_models_via(base_url)
    assert str(request.url) == "http://llm.internal:8000/v1/models"
    assert "api-key" not in request.headers
    assert request.headers["Authorization"] == "Bearer azure-key"


# A public address written as a literal: the download guard resolves hosts, and tests have no DNS.
BLOB_HOST = "20.60.0.1"
PNG_TYPE = {"Content-Type": "image/png"}


async def test_image_downloads_carry_no_azure_credentials_or_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == BLOB_HOST:
            return httpx.Response(200, content=b"\x89PNG image bytes", headers=PNG_TYPE)
        return httpx.Response(200, json={"data": [{"url": f"https://{BLOB_HOST}/i.png?sig=s"}]})

    client = OpenAIClient(
        "https://res.openai.azure.com/openai/v1?api-version=preview",
        "azure-key",
        default_headers={"X-Secret-Header": "x"},
        transport=httpx.MockTransport(handler),
    )
    try:
        [image] = await client.generate_images("a fox", model="dall-e-3")
    finally:
        await client.aclose()
    assert image.data == b"\x89PNG image bytes"
    generate, download = seen
    assert generate.headers["X-Secret-Header"] == "x"
    assert str(download.url) == f"https://{BLOB_HOST}/i.png?sig=s"
    assert {"api-key", "authorization", "x-secret-header"}.isdisjoint(download.headers.keys())
