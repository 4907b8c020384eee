"""OpenAI's wire format as the fake server speaks it: error objects, validation, SSE framing."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

MODEL_ID = "gpt-4o-mini"
MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# The categories OpenAI's omni models also judge from images.
_IMAGE_CATEGORIES = frozenset(
    {
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
        "sexual",
        "violence",
        "violence/graphic",
    }
)


def error_response(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """OpenAI's ``{"error": {message, type, param, code}}`` object with ``status``."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def rate_limit_response(retry_after: float, retry_after_ms: int | None) -> web.Response:
    seconds = f"{retry_after:g}"
    headers = {"retry-after": seconds, "x-ratelimit-reset-requests": f"{seconds}s"}
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    return error_response(
        429,
        f"Rate limit reached for requests. Please try again in {seconds}s.",
        type_="requests",
        code="rate_limit_exceeded",
        headers=headers,
    )


def text_of(content: object) -> str:
    """A message's text, whether ``content`` is a string or a list of content parts."""
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return str(content or "")


def validate_chat(body: dict[str, Any]) -> web.Response | None:
    if not body.get("model"):
        return error_response(400, "you must provide a model parameter", param="model")
    messages = body.get("messages")
    if messages is None:
        return error_response(
            400,
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    if not isinstance(messages, list) or not messages:
        return error_response(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            param="messages",
            code="empty_array",
        )
    return None


def validate_images(body: dict[str, Any]) -> web.Response | None:
    if not body.get("prompt"):
        return error_response(
            400,
            "Missing required parameter: 'prompt'.",
            param="prompt",
            code="missing_required_parameter",
        )
    n = body.get("n", 1)
    if not isinstance(n, int) or n < 1:
        return _bad_n(n, "below minimum", "integer_below_min_value")
    if n > 10:
        return _bad_n(n, "above maximum", "integer_above_max_value")
    return None


def _bad_n(n: object, bound: str, code: str) -> web.Response:
    message = f"Invalid 'n': integer {bound} value. Expected a value between 1 and 10, got {n}."
    return error_response(400, message, param="n", code=code)


def completion_usage(
    messages: list[dict[str, Any]],
    answer: str,
    *,
    chars_per_token: float = 4.0,
    message_tokens: int = 0,
) -> dict[str, int]:
    """Rough token counts (4 characters a token unless a server model says otherwise, plus
    ``message_tokens`` of framing per message), enough for budget and usage bookkeeping."""
    characters = sum(len(text_of(m.get("content"))) for m in messages)
    prompt = max(1, int(characters / chars_per_token) + message_tokens * len(messages))
    completion = max(1, int(len(answer) / chars_per_token))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(
    completion_id: str,
    body: dict[str, Any],
    text: str,
    *,
    finish_reason: str = "stop",
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` object."""
    message = {"role": "assistant", "content": text, "refusal": None}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": usage or completion_usage(body["messages"], text),
    }


class ChatStream:
    """Builds the SSE events of one streamed completion exactly as OpenAI frames them."""

    def __init__(
        self,
        completion_id: str,
        body: dict[str, Any],
        *,
        finish_reason: str = "stop",
        usage: dict[str, int] | None = None,
        send_usage: bool = True,
    ) -> None:
        self._finish_reason = finish_reason
        self._usage = usage
        self._base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
        }
        options = body.get("stream_options") or {}
        self._include_usage = send_usage and bool(options.get("include_usage"))
        self._messages: list[dict[str, Any]] = body["messages"]

    def events(self, text: str, chunk_chars: int, *, finished: bool) -> list[bytes]:
        """Role chunk, content chunks (the last says how it finished), usage, ``[DONE]``."""
        size = max(1, chunk_chars)
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
        deltas += [{"content": piece} for piece in pieces]
        if not finished:
            return [self._chunk(delta, None) for delta in deltas]
        if not pieces:
            deltas.append({})
        events = [self._chunk(delta, None) for delta in deltas[:-1]]
        events.append(self._chunk(deltas[-1], self._finish_reason))
        if self._include_usage:
            usage = self._usage or completion_usage(self._messages, text)
            events.append(_sse({**self._base, "choices": [], "usage": usage}))
        return [*events, b"data: [DONE]\n\n"]

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        extra = {"usage": None} if self._include_usage else {}
        return _sse({**self._base, "choices": [choice], **extra})


def models_list() -> dict[str, Any]:
    model = {"id": MODEL_ID, "object": "model", "created": 1700000000, "owned_by": "openai"}
    return {"object": "list", "data": [model]}


def validate_moderation(body: dict[str, Any]) -> web.Response | None:
    """``CreateModerationRequest``: ``input`` is a string, strings, or multimodal parts; images
    only for the omni models."""
    inputs = body.get("input")
    if inputs is None:
        return error_response(
            400,
            "Missing required parameter: 'input'.",
            param="input",
            code="missing_required_parameter",
        )
    if isinstance(inputs, str) or (
        isinstance(inputs, list) and all(isinstance(i, str) for i in inputs)
    ):
        return None
    if not isinstance(inputs, list) or not all(_valid_part(part) for part in inputs):
        return error_response(400, "Invalid value for 'input'.", param="input")
    model = str(body.get("model") or "omni-moderation-latest")
    if not model.startswith("omni-") and any(p["type"] == "image_url" for p in inputs):
        return error_response(400, f"Model {model} does not support image inputs.", param="input")
    return None


def _valid_part(part: object) -> bool:
    if not isinstance(part, dict):
        return False
    if part.get("type") == "text":
        return isinstance(part.get("text"), str)
    image = part.get("image_url")
    return part.get("type") == "image_url" and isinstance(image, dict) and bool(image.get("url"))


def moderation_inputs(body: dict[str, Any]) -> list[tuple[str, int]]:
    """What each result classifies: (text, image count). A multimodal input is one result."""
    inputs = body["input"]
    if isinstance(inputs, str):
        return [(inputs, 0)]
    if all(isinstance(i, str) for i in inputs):
        return [(i, 0) for i in inputs]
    text = " ".join(p["text"] for p in inputs if p["type"] == "text")
    return [(text, sum(1 for p in inputs if p["type"] == "image_url"))]


def moderation(
    body: dict[str, Any], moderation_id: str, flagged: list[tuple[str, ...]]
) -> dict[str, Any]:
    """A ``CreateModerationResponse``; ``flagged`` holds each result's flagged categories."""
    results = []
    for (_, images), categories in zip(moderation_inputs(body), flagged, strict=True):
        applied = ["text", "image"] if images else ["text"]
        results.append(
            {
                "flagged": bool(categories),
                "categories": {c: c in categories for c in MODERATION_CATEGORIES},
                "category_scores": {
                    c: 0.93 if c in categories else 0.0001 for c in MODERATION_CATEGORIES
                },
                "category_applied_input_types": {
                    c: applied if c in _IMAGE_CATEGORIES else ["text"]
                    for c in MODERATION_CATEGORIES
                },
            }
        )
    return {
        "id": moderation_id,
        "model": body.get("model", "omni-moderation-latest"),
        "results": results,
    }


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()
