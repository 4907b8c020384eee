"""Chat completions: the request body, streamed deltas and the non-streaming result.

A stream is retried only until its first text arrived; after that a break cannot be hidden
from the reader, so it surfaces as ``ModelStreamInterrupted`` with the text so far."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

from bot.errors import ModelError, ModelStreamInterrupted

from ._transport import ApiConnection, error_from_response, malformed_response
from .retry import RetryPolicy, RetryWait, with_retries

_PATH = "/chat/completions"


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImageURL(TypedDict):
    url: str  # an https URL or a ``data:image/png;base64,...`` URL
    detail: NotRequired[Literal["auto", "low", "high"]]


class ImagePart(TypedDict):
    type: Literal["image_url"]
    image_url: ImageURL


ContentPart = TextPart | ImagePart


class ChatMessage(TypedDict):
    """One chat message, the same type for the domain (history, budget) and the wire."""

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[ContentPart]
    name: NotRequired[str]


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class ChatDelta:
    """A piece of streamed text; the last delta of a stream has ``done`` set and carries the
    ``finish_reason`` and, when the server reported it, the ``usage``."""

    text: str
    done: bool = False
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class ChatResult:
    text: str
    finish_reason: str | None
    usage: Usage | None


def chat_body(
    messages: Sequence[ChatMessage],
    *,
    model: str,
    stream: bool,
    max_completion_tokens: int | None,
    temperature: float | None,
    extra: Mapping[str, Any] | None,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """A ``CreateChatCompletionRequest``; ``extra`` adds fields we do not model (it cannot
    override the ones we set). ``max_tokens`` is the deprecated bound, for servers that take
    no ``max_completion_tokens``."""
    body: dict[str, Any] = {**(extra or {}), "model": model, "messages": list(messages)}
    if max_completion_tokens is not None:
        body["max_completion_tokens"] = max_completion_tokens
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if temperature is not None:
        body["temperature"] = temperature
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


async def complete_chat(api: ApiConnection, retry: RetryPolicy, body: dict[str, Any]) -> ChatResult:
    payload = await with_retries(
        retry, lambda: api.request_json("POST", _PATH, body), label="chat completion"
    )
    try:
        choice = payload["choices"][0]
        text = choice["message"].get("content") or ""
        finish_reason = choice.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise malformed_response("chat completion without choices") from exc
    return ChatResult(text, finish_reason, _usage(payload))


async def stream_chat(
    api: ApiConnection, retry: RetryPolicy, body: dict[str, Any], on_wait: RetryWait | None = None
) -> AsyncGenerator[ChatDelta, None]:
    started = await with_retries(
        retry, lambda: _start(api, body), label="chat stream", on_wait=on_wait
    )
    async with started.stack:
        tally = _Tally()
        deltas = started.all_deltas()
        started.stack.push_async_callback(deltas.aclose)
        try:
            async for delta in deltas:
                tally.add(delta)
                if delta.text:
                    yield ChatDelta(delta.text)
        except ModelError as exc:
            raise ModelStreamInterrupted(
                f"model stream broke after some text: {exc}", partial_text=tally.text()
            ) from exc
        yield ChatDelta("", done=True, finish_reason=tally.finish_reason, usage=tally.usage)


@dataclass(slots=True)
class _Started:
    """An open stream that has produced its first text; ``events`` is None when the stream
    already ended without any."""

    stack: AsyncExitStack
    head: list[ChatDelta]
    events: AsyncIterator[ChatDelta] | None

    async def all_deltas(self) -> AsyncGenerator[ChatDelta, None]:
        for delta in self.head:
            yield delta
        if self.events is not None:
            async for delta in self.events:
                yield delta


async def _start(api: ApiConnection, body: dict[str, Any]) -> _Started:
    stack = AsyncExitStack()
    try:
        events = _deltas(await stack.enter_async_context(api.stream_events(_PATH, body)))
        stack.push_async_callback(events.aclose)
        head: list[ChatDelta] = []
        async for delta in events:
            head.append(delta)
            if delta.text:
                return _Started(stack, head, events)
        return _Started(stack, head, None)
    except BaseException:
        await stack.aclose()
        raise


async def _deltas(events: AsyncIterator[str]) -> AsyncGenerator[ChatDelta, None]:
    """Parsed chunks up to ``[DONE]``. Servers that skip ``[DONE]`` still send a
    ``finish_reason``; a stream that ends with neither was cut."""
    finished = False
    async for data in events:
        delta = _parse_event(data)
        if delta is None:
            return
        finished = finished or delta.finish_reason is not None
        yield delta
    if not finished:
        raise malformed_response("stream ended before it finished")


class _Tally:
    """What a stream said so far: its text, how it finished and what it cost."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None

    def add(self, delta: ChatDelta) -> None:
        self._parts.append(delta.text)
        self.finish_reason = delta.finish_reason or self.finish_reason
        self.usage = delta.usage or self.usage

    def text(self) -> str:
        return "".join(self._parts)


def _parse_event(data: str) -> ChatDelta | None:
    """One ``CreateChatCompletionStreamResponse`` chunk; None for the ``[DONE]`` sentinel."""
    if data.strip() == "[DONE]":
        return None
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise malformed_response("stream chunk is not JSON") from exc
    if not isinstance(chunk, dict):
        raise malformed_response("stream chunk is not an object")
    if "error" in chunk:
        # An error reported inside a 200 stream: the server failed mid-way.
        raise error_from_response(500, {}, data.encode())
    choices = chunk.get("choices") or []
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    reason = choice.get("finish_reason")
    return ChatDelta(
        text if isinstance(text, str) else "",
        finish_reason=reason if isinstance(reason, str) else None,
        usage=_usage(chunk),
    )


def _usage(payload: Mapping[str, Any]) -> Usage | None:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt, completion)
