"""Our request bodies against OpenAI's published schema (CI keeps the spec beside the checkout;
a fresh clone skips these)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.openai_api.chat import chat_body
from bot.openai_api.images import image_body

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "openai-openapi.yaml"


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not present")
    with SPEC.open() as spec:
        found: dict[str, Any] = yaml.load(spec, Loader=yaml.CSafeLoader)["components"]
    return found


def _validate(components: dict[str, Any], schema: str, body: dict[str, Any]) -> None:
    wrapper = {"$ref": f"#/components/schemas/{schema}", "components": components}
    jsonschema.Draft202012Validator(wrapper).validate(body)


@pytest.mark.parametrize("stream", [True, False])
def test_chat_body_matches_create_chat_completion_request(
    components: dict[str, Any], stream: bool
) -> None:
    body = chat_body(
        [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            },
            {"role": "assistant", "content": "A fox."},
        ],
        model="gpt-4o-mini",
        stream=stream,
        max_completion_tokens=500,
        temperature=0.5,
        extra={"user": "T1:U1"},
    )
    _validate(components, "CreateChatCompletionRequest", body)


def test_a_wrong_chat_body_is_caught(components: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        _validate(components, "CreateChatCompletionRequest", {"model": "gpt-4o", "messages": []})


@pytest.mark.parametrize("model", ["gpt-image-1", "dall-e-3"])
def test_image_body_matches_create_image_request(components: dict[str, Any], model: str) -> None:
    body = image_body(
        "a fox",
        model=model,
        n=1,
        size="1024x1024",
        quality="hd" if model == "dall-e-3" else "low",
        extra=None,
    )
    _validate(components, "CreateImageRequest", body)
