"""Image generation: GPT image models answer with base64; DALL·E models are asked for base64,
and a server that still answers with URLs has them downloaded (size-capped)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._transport import ApiConnection, malformed_response
from .retry import RetryPolicy, with_retries

_PATH = "/images/generations"
MAX_IMAGE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes
    revised_prompt: str | None


def image_body(
    prompt: str,
    *,
    model: str,
    n: int,
    size: str | None,
    quality: str | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A ``CreateImageRequest``; ``extra`` adds fields we do not model (``output_format``,
    ``background`` …) but cannot override the ones we set."""
    body: dict[str, Any] = {**(extra or {}), "model": model, "prompt": prompt, "n": n}
    if size is not None:
        body["size"] = size
    if quality is not None:
        body["quality"] = quality
    if model.startswith("dall-e"):
        body["response_format"] = "b64_json"
    return body


async def generate_images(
    api: ApiConnection, retry: RetryPolicy, body: dict[str, Any]
) -> list[GeneratedImage]:
    payload = await with_retries(
        retry, lambda: api.request_json("POST", _PATH, body), label="image generation"
    )
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise malformed_response("image response without data")
    return [await _image(api, retry, item) for item in items]


async def _image(api: ApiConnection, retry: RetryPolicy, item: Any) -> GeneratedImage:
    if not isinstance(item, dict):
        raise malformed_response("image entry is not an object")
    revised = item.get("revised_prompt")
    revised_prompt = revised if isinstance(revised, str) else None
    encoded, url = item.get("b64_json"), item.get("url")
    if isinstance(encoded, str):
        try:
            return GeneratedImage(base64.b64decode(encoded, validate=True), revised_prompt)
        except binascii.Error as exc:
            raise malformed_response("image b64_json is not base64") from exc
    if isinstance(url, str):
        data = await with_retries(
            retry, lambda: api.download(url, max_bytes=MAX_IMAGE_BYTES), label="image download"
        )
        return GeneratedImage(data, revised_prompt)
    raise malformed_response("image entry has neither b64_json nor url")
