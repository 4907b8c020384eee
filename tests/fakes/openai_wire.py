"""OpenAI's wire format as the fake server speaks it: error objects, validation, SSE framing."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

MODEL_ID = "gpt-4o-mini"
_MODERATION_CATEGORIES = ("harassment", "hate", "self-harm", "sexual", "violence")


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


def completion_usage(messages: list[dict[str, Any]], answer: str) -> dict[str, int]:
    """Rough token counts (4 characters a token), enough for budget and usage bookkeeping."""
    prompt = max(1, sum(len(text_of(m.get("content"))) for m in messages) // 4)
    completion = max(1, len(answer) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(completion_id: str, body: dict[str, Any], text: str) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` object."""
    message = {"role": "assistant", "content": text, "refusal": None}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": completion_usage(body["messages"], text),
    }


class ChatStream:
    """Builds the SSE events of one streamed completion exactly as OpenAI frames them."""

    def __init__(
        self, completion_id: str, body: dict[str, Any], *, send_usage: bool = True
    ) -> None:
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
        """Role chunk, content chunks (the last says ``stop`` when finished), usage, ``[DONE]``."""
        size = max(1, chunk_chars)
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
        deltas += [{"content": piece} for piece in pieces]
        if not finished:
            return [self._chunk(delta, None) for delta in deltas]
        if not pieces:
            deltas.append({})
        events = [self._chunk(delta, None) for delta in deltas[:-1]]
        events.append(self._chunk(deltas[-1], "stop"))
        if self._include_usage:
            usage = completion_usage(self._messages, text)
            events.append(_sse({**self._base, "choices": [], "usage": usage}))
        return [*events, b"data: [DONE]\n\n"]

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        extra = {"usage": None} if self._include_usage else {}
        return _sse({**self._base, "choices": [choice], **extra})


def models_list() -> dict[str, Any]:
    model = {"id": MODEL_ID, "object": "model", "created": 1700000000, "owned_by": "openai"}
    return {"object": "list", "data": [model]}


def moderation(body: dict[str, Any], moderation_id: str) -> dict[str, Any]:
    """A not-flagged result for every input."""
    inputs = body.get("input")
    result = {
        "flagged": False,
        "categories": dict.fromkeys(_MODERATION_CATEGORIES, False),
        "category_scores": dict.fromkeys(_MODERATION_CATEGORIES, 0.0001),
    }
    count = len(inputs) if isinstance(inputs, list) else 1
    return {"id": moderation_id, "model": "omni-moderation-latest", "results": [result] * count}


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()
