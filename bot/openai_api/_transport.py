"""The one place that speaks HTTP to the model server and turns ``httpx`` failures and error
responses into :mod:`bot.errors`. The API key lives only in request headers here: it never
reaches an exception message or a log line."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, NamedTuple

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient
from httpx_sse import ServerSentEvent, aconnect_sse

from bot.errors import (
    DownloadRefused,
    ModelContextTooLong,
    ModelError,
    ModelParameterRejected,
    ModelRateLimited,
    ModelRefused,
    ModelStatusError,
    ModelTimeout,
    ModelUnavailable,
)
from bot.http_download import fetch_image

from .error_reading import context_figures, is_context_error, rejected_parameter
from .image_hosts import refuse_private_address
from .retry_after import retry_after_seconds

_AZURE_HOST_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com")
_REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked", "content_filter"})
_MAX_MESSAGE_CHARS = 300
_USER_AGENT = "slack-openai-bot"
ANSWER_BOUND_PARAMS = ("max_completion_tokens", "max_tokens")
"""The request fields that bound an answer's length: OpenAI's current one, then the older one."""

ErrorHook = Callable[[ModelError], None]
"""Told about every error the model server caused, retried or not (metrics count them)."""


def ignore_error(_error: ModelError) -> None:
    """The default :data:`ErrorHook`: nobody is counting."""


def malformed_response(what: str) -> ModelStatusError:
    """A 2xx answer we cannot use is treated like a bad gateway: worth one more try."""
    return ModelStatusError(
        f"model server sent a malformed response: {what}", status=502, code="malformed_response"
    )


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, *, secret: str = ""
) -> ModelError:
    """Classify an HTTP error answer; the body may be OpenAI's error object, another
    compatible server's variant, or not JSON at all."""
    error = _parse_error_body(body)
    message, code, kind = error.message, error.code, error.kind
    if secret:
        message = message.replace(secret, "***")
    label = code or kind or "error"
    text = f"model server answered {status} ({label}): {_shorten(message)}"
    if code in _REFUSAL_CODES or kind in _REFUSAL_CODES:
        return ModelRefused(text, status=status, code=code)
    if is_context_error(status, code, kind, message):
        figures = context_figures(message, error.fields)
        return ModelContextTooLong(
            text,
            status=status,
            code=code,
            window=figures.window,
            prompt_tokens=figures.prompt_tokens,
        )
    rejected = rejected_parameter(status, error.param, message, ANSWER_BOUND_PARAMS)
    if rejected is not None:
        return ModelParameterRejected(text, param=rejected, status=status, code=code)
    if status == 429 and code != "insufficient_quota":
        return ModelRateLimited(text, retry_after=retry_after_seconds(headers), code=code)
    if status == 408:
        return ModelTimeout(text, status=status, code=code)
    return ModelStatusError(text, status=status, code=code)


class _ErrorBody(NamedTuple):
    message: str
    code: str | None = None
    kind: str | None = None
    param: str | None = None
    fields: Mapping[str, Any] = {}


def _parse_error_body(body: bytes) -> _ErrorBody:
    """The whole message (figures may sit past what a log line keeps), code, type, param and
    the error object itself, from ``{"error": {...}}``, a top-level error object (vLLM) or plain
    text."""
    try:
        payload = json.loads(body)
    except ValueError:
        return _ErrorBody(body.decode("utf-8", "replace").strip() or "no details")
    if not isinstance(payload, dict):
        return _ErrorBody(str(payload))
    error = payload.get("error", payload)
    if isinstance(error, str):
        return _ErrorBody(error)
    if not isinstance(error, dict):
        return _ErrorBody("no details")
    message = error.get("message")
    return _ErrorBody(
        message if isinstance(message, str) else "no details",
        _str_field(error, "code"),
        _str_field(error, "type"),
        _str_field(error, "param"),
        error,
    )


def _str_field(error: Mapping[str, Any], name: str) -> str | None:
    value = error.get(name)
    return value if isinstance(value, str) else None


def _download_refused(refusal: DownloadRefused, what: str) -> ModelError:
    """A refused image download; an error status of the image host is retried like the API's."""
    message = f"image download refused on {what}: {refusal}"
    if refusal.status is not None:
        return ModelStatusError(message, status=refusal.status, code=refusal.code)
    return ModelError(message, code=refusal.code)


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


@contextmanager
def _converting_errors(what: str, on_error: ErrorHook) -> Iterator[None]:
    """Map ``httpx`` exceptions (and aiohttp's, which its transport lets through when it has no
    httpx class for them); ``what`` is a method and path, never a full URL (it could carry
    credentials)."""
    try:
        yield
    except (httpx.HTTPError, aiohttp.ClientError) as exc:
        error = _converted(exc, what)
        on_error(error)
        raise error from exc


def _converted(exc: httpx.HTTPError | aiohttp.ClientError, what: str) -> ModelError:
    # The transport's own aiohttp exception says more than the httpx class it was given (a
    # refused connection arrives as httpx.ConnectTimeout).
    cause = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
    if isinstance(cause, aiohttp.ClientError):
        timed_out = isinstance(cause, TimeoutError)
        # ClientResponseError: a response aiohttp could not parse (a garbled status line or
        # header, a proxy's refusal), what httpx calls a protocol or proxy error.
        unreachable = isinstance(
            cause,
            aiohttp.ClientConnectionError
            | aiohttp.ClientPayloadError
            | aiohttp.ClientResponseError,
        )
        name = type(cause).__name__
    else:
        timed_out = isinstance(exc, httpx.TimeoutException)
        unreachable = isinstance(
            exc, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError
        )
        name = type(exc).__name__
    if timed_out:
        return ModelTimeout(f"model server timed out ({name}) on {what}")
    if unreachable:
        return ModelUnavailable(f"model server unreachable ({name}) on {what}")
    return ModelError(f"cannot talk to the model server ({name}) on {what}")


def _auth_headers(base_url: httpx.URL, api_key: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api_key}"}
    if base_url.host.endswith(_AZURE_HOST_SUFFIXES):
        headers["api-key"] = api_key
    return headers


class ApiConnection:
    """One long-lived ``httpx.AsyncClient`` bound to a base URL. Auth and the caller's default
    headers go only to the API, never to image download hosts.

    Its requests travel over aiohttp (``httpx-aiohttp``'s transport) rather than httpcore: a
    streamed answer is one network read per token, and aiohttp's C parser reads one for about
    half the CPU of httpcore, anyio and h11 together."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        stream_idle_timeout: float,
        max_connections: int,
        default_headers: Mapping[str, str] | None,
        transport: httpx.AsyncBaseTransport | None,
        on_error: ErrorHook = ignore_error,
    ) -> None:
        url = httpx.URL(base_url)
        self._secret = api_key
        self._on_error = on_error
        self._idle_timeout = stream_idle_timeout
        self._stream_timeout = httpx.Timeout(stream_idle_timeout, connect=connect_timeout)
        self._api_headers = {**(default_headers or {}), **_auth_headers(url, api_key)}
        # A query in the base URL (Azure's ``?api-version=``) goes with every API call.
        self._api_params = url.params
        self._http = HttpxAiohttpClient(
            base_url=url.copy_with(query=None),
            headers={"User-Agent": _USER_AGENT},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request_json(self, method: str, path: str, body: Any = None) -> Any:
        what = f"{method} {path}"
        with _converting_errors(what, self._on_error):
            response = await self._http.request(
                method,
                path.lstrip("/"),
                json=body,
                params=self._api_params,
                headers=self._api_headers,
            )
        self._raise_for_status(response)
        try:
            return response.json()
        except ValueError as exc:
            raise malformed_response(f"{what} did not return JSON") from exc

    @asynccontextmanager
    async def stream_events(self, path: str, body: Any) -> AsyncIterator[AsyncIterator[str]]:
        """Open an SSE stream and yield an iterator over each event's ``data``. Every read, the
        one of the headers included, is bounded by the stream idle timeout: the connection's
        own read timer, re-armed as bytes arrive, rather than a timer of ours per event."""
        what = f"POST {path}"
        with _converting_errors(what, self._on_error):
            async with aconnect_sse(
                self._http,
                "POST",
                path.lstrip("/"),
                json=body,
                params=self._api_params,
                headers=dict(self._api_headers),  # aconnect_sse adds to the dict it is given
                timeout=self._stream_timeout,
            ) as source:
                if source.response.is_error:
                    await source.response.aread()
                    self._raise_for_status(source.response)
                events = source.aiter_sse()
                data = self._event_data(events, what)
                try:
                    yield data
                finally:
                    await data.aclose()
                    await events.aclose()

    async def _event_data(
        self, events: AsyncGenerator[ServerSentEvent, None], what: str
    ) -> AsyncGenerator[str, None]:
        # Entered once per stream, not per event: nothing the reader does is thrown in here.
        with _converting_errors(what, self._on_error):
            try:
                async for event in events:
                    yield event.data
            except httpx.ReadTimeout as exc:
                idle = ModelTimeout(f"model stream idle for over {self._idle_timeout:g}s on {what}")
                self._on_error(idle)
                raise idle from exc

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """GET an image URL the server returned: without our credentials, following no
        redirect, only ``image/*``, at most ``max_bytes``, and never from a non-public address
        unless the model server itself is there."""
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https"):
            raise malformed_response(f"image URL scheme {parsed.scheme!r} is not http(s)")
        what = f"GET {parsed.host}{parsed.path}"  # never the query: it may be a signed token
        with _converting_errors(what, self._on_error):
            try:
                await refuse_private_address(parsed, self._http.base_url.host)
                return await fetch_image(self._http, parsed, max_bytes=max_bytes)
            except DownloadRefused as exc:
                error = _download_refused(exc, what)
                self._on_error(error)
                raise error from exc

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.is_error:
            error = error_from_response(
                response.status_code, response.headers, response.content, secret=self._secret
            )
            self._on_error(error)
            raise error
