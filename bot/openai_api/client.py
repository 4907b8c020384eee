"""The bot's one client for OpenAI and OpenAI-compatible servers (Azure OpenAI, vLLM, Ollama,
LiteLLM): build it once at start-up, share it, ``aclose()`` it at shutdown."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import httpx

from . import chat, images, moderations
from ._transport import ApiConnection, ErrorHook, ignore_error, malformed_response
from .chat import ChatDelta, ChatMessage, ChatResult
from .images import GeneratedImage
from .moderations import ModerationResult
from .retry import RetryPolicy, RetryWait, with_retries


class OpenAIClient:
    """Typed calls over one long-lived connection pool.

    ``read_timeout`` bounds each wait for bytes of a response that is not streamed; a streamed
    one may go ``stream_idle_timeout`` without a byte, its headers included (an SSE comment
    counts). A query string in ``base_url`` (Azure's ``?api-version=``) is sent with every
    call."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        stream_idle_timeout: float = 30.0,
        max_connections: int = 1000,
        retry: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_error: ErrorHook = ignore_error,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._api = ApiConnection(
            base_url,
            api_key,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            stream_idle_timeout=stream_idle_timeout,
            max_connections=max_connections,
            default_headers=default_headers,
            transport=transport,
            on_error=on_error,
        )

    async def aclose(self) -> None:
        await self._api.aclose()

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_completion_tokens: int | None = None,
        temperature: float | None = None,
        extra: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        on_retry: RetryWait | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        reasoning_effort: str | None = None,
    ) -> AsyncGenerator[ChatDelta, None]:
        """Text and reasoning deltas as they arrive, then one ``done`` delta with finish
        reason, the tool calls asked for, and usage. ``max_tokens`` is for servers that refuse
        (or ignore) ``max_completion_tokens``; ``on_retry`` hears of each wait before the
        stream is tried again."""
        body = chat.chat_body(
            messages,
            model=model,
            stream=True,
            max_completion_tokens=max_completion_tokens,
            temperature=temperature,
            extra=extra,
            max_tokens=max_tokens,
            tools=tools,
            reasoning_effort=reasoning_effort,
        )
        return chat.stream_chat(self._api, self._retry, body, on_retry)

    async def complete_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_completion_tokens: int | None = None,
        temperature: float | None = None,
        extra: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> ChatResult:
        """One answer, not streamed; ``max_tokens`` bounds it on servers that do not take
        ``max_completion_tokens``."""
        body = chat.chat_body(
            messages,
            model=model,
            stream=False,
            max_completion_tokens=max_completion_tokens,
            temperature=temperature,
            extra=extra,
            max_tokens=max_tokens,
        )
        return await chat.complete_chat(self._api, self._retry, body)

    async def generate_images(
        self,
        prompt: str,
        *,
        model: str,
        n: int = 1,
        size: str | None = None,
        quality: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> list[GeneratedImage]:
        body = images.image_body(prompt, model=model, n=n, size=size, quality=quality, extra=extra)
        return await images.generate_images(self._api, self._retry, body)

    async def moderate(
        self, text: str, *, model: str, images: Sequence[str] = ()
    ) -> ModerationResult:
        """Classify ``text`` and ``images`` (URLs, ``data:`` included) with ``model``."""
        body = moderations.moderation_body(text, images, model=model)
        return await moderations.moderate(self._api, self._retry, body)

    async def list_models(self) -> list[str]:
        payload = await with_retries(
            self._retry, lambda: self._api.request_json("GET", "/models"), label="list models"
        )
        items = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise malformed_response("model list without data")
        return [
            item["id"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]
