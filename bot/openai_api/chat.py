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


class FunctionCall(TypedDict):
    name: str
    arguments: str  # JSON text, as the model wrote it


class ToolCallPart(TypedDict):
    """One call in an assistant message's ``tool_calls``."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class ChatMessage(TypedDict):
    """One chat message, the same type for the domain (history, budget) and the wire. An
    assistant message may carry ``tool_calls``; a ``tool`` message answers one by
    ``tool_call_id``."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart]
    name: NotRequired[str]
    tool_calls: NotRequired[list[ToolCallPart]]
    tool_call_id: NotRequired[str]


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A tool call the model asked for, whole (its streamed fragments joined)."""

    id: str
    name: str
    arguments: str

    def part(self) -> ToolCallPart:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True, slots=True)
class ChatDelta:
    """A piece of streamed text or reasoning (``reasoning_content``/``reasoning``, which some
    servers stream beside the answer); the last delta of a stream has ``done`` set and carries
    the ``finish_reason``, the whole ``tool_calls`` and, when the server reported it, the
    ``usage``. ``fragments`` holds a chunk's raw ``tool_calls`` pieces until they are joined."""

    text: str
    done: bool = False
    finish_reason: str | None = None
    usage: Usage | None = None
    reasoning: str = ""
    tool_calls: tuple[ToolCallRequest, ...] = ()
    fragments: tuple[dict[str, Any], ...] = ()

    @property
    def has_content(self) -> bool:
        return bool(self.text or self.reasoning or self.fragments)

    @property
    def is_plain(self) -> bool:
        """Only text or reasoning: what the reader of a stream is given before its end."""
        return not (self.done or self.finish_reason or self.usage or self.fragments)


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
    tools: Sequence[Mapping[str, Any]] = (),
    reasoning_effort: str | None = None,
) -> dict[str, Any]:
    """A ``CreateChatCompletionRequest``; ``extra`` adds fields we do not model (it cannot
    override the ones we set). ``max_tokens`` is the deprecated bound, for servers that take
    no ``max_completion_tokens``; ``tools`` are ``{"type": "function", "function": {...}}``."""
    body: dict[str, Any] = {**(extra or {}), "model": model, "messages": list(messages)}
    if tools:
        body["tools"] = list(tools)
    if reasoning_effort is not None:
        body["reasoning_effort"] = reasoning_effort
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
        try:
            for delta in started.head:
                if (shown := tally.take(delta)) is not None:
                    yield shown
            async for delta in started.rest:
                if (shown := tally.take(delta)) is not None:
                    yield shown
        except ModelError as exc:
            raise ModelStreamInterrupted(
                f"model stream broke after some text: {exc}", partial_text=tally.text()
            ) from exc
        yield ChatDelta(
            "",
            done=True,
            finish_reason=tally.finish_reason,
            usage=tally.usage,
            tool_calls=tally.tool_calls(),
        )


@dataclass(slots=True)
class _Started:
    """An open stream that has produced its first text (or ended without any): ``head`` is
    what it said up to then, ``rest`` the deltas still to come (none if it ended)."""

    stack: AsyncExitStack
    head: list[ChatDelta]
    rest: AsyncIterator[ChatDelta]


async def _start(api: ApiConnection, body: dict[str, Any]) -> _Started:
    stack = AsyncExitStack()
    try:
        events = _deltas(await stack.enter_async_context(api.stream_events(_PATH, body)))
        stack.push_async_callback(events.aclose)
        head: list[ChatDelta] = []
        async for delta in events:
            head.append(delta)
            if delta.has_content:  # past this point a retry could show or run things twice
                break
        return _Started(stack, head, events)
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
    """What a stream said so far: its text, its tool calls (joined from fragments by
    ``index``: the first fragment of a call brings its id and name, later ones more of its
    arguments), how it finished and what it cost."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._calls: dict[int, dict[str, str]] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None

    def take(self, delta: ChatDelta) -> ChatDelta | None:
        """Count ``delta`` in; return what the stream's reader is shown of it (its text and
        reasoning), or None when it has neither."""
        self._parts.append(delta.text)
        if delta.is_plain:
            return delta if delta.text or delta.reasoning else None
        for fragment in delta.fragments:
            self._add_fragment(fragment)
        self.finish_reason = delta.finish_reason or self.finish_reason
        self.usage = delta.usage or self.usage
        if delta.text or delta.reasoning:
            return ChatDelta(delta.text, reasoning=delta.reasoning)
        return None

    def _add_fragment(self, fragment: dict[str, Any]) -> None:
        index = fragment.get("index")
        call = self._calls.setdefault(
            index if isinstance(index, int) else len(self._calls),
            {"id": "", "name": "", "arguments": ""},
        )
        if isinstance(fragment.get("id"), str):
            call["id"] = fragment["id"]
        function = fragment.get("function")
        if isinstance(function, dict):
            if isinstance(function.get("name"), str):
                call["name"] += function["name"]
            if isinstance(function.get("arguments"), str):
                call["arguments"] += function["arguments"]

    def text(self) -> str:
        return "".join(self._parts)

    def tool_calls(self) -> tuple[ToolCallRequest, ...]:
        calls = [self._calls[i] for i in sorted(self._calls)]
        return tuple(
            ToolCallRequest(c["id"] or f"call_{n}", c["name"], c["arguments"] or "{}")
            for n, c in enumerate(calls)
            if c["name"]
        )


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
    delta = choice.get("delta")
    delta = delta if isinstance(delta, dict) else {}
    text = delta.get("content")
    # vLLM and DeepSeek-style servers say reasoning_content; llama.cpp and others reasoning.
    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
    fragments = delta.get("tool_calls")
    reason = choice.get("finish_reason")
    return ChatDelta(
        text if isinstance(text, str) else "",
        finish_reason=reason if isinstance(reason, str) else None,
        usage=_usage(chunk),
        reasoning=reasoning if isinstance(reasoning, str) else "",
        fragments=tuple(f for f in fragments if isinstance(f, dict))
        if isinstance(fragments, list)
        else (),
    )


def _usage(payload: Mapping[str, Any]) -> Usage | None:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt, completion)
