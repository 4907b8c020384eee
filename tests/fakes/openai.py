"""A fake OpenAI server on loopback: real JSON, real SSE, real error objects, scripted misbehaviour.

Tests script what the next chat or image request gets (``script_chat(Reply(...), RateLimit())``)
and assert on what the server received (``chat_requests()``), in order.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from tests.fakes import openai_wire as wire
from tests.fakes.loopback import Arrivals, LoopbackServer, Served
from tests.fakes.openai_servers import ModelServer
from tests.fakes.png import make_png

CHAT_PATH = "/v1/chat/completions"
IMAGES_PATH = "/v1/images/generations"
MODERATIONS_PATH = "/v1/moderations"
_MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: CIMultiDict[str]
    """As HTTP has them: names in any case."""
    json: dict[str, Any] | None
    received_at: float = field(default_factory=time.monotonic)  # once the body was read
    first_token_at: float | None = None  # time.monotonic() as a stream's first text left


@dataclass
class Reply:
    """A normal answer: streamed in ``chunk_chars`` pieces when the request asks for a stream."""

    text: str
    chunk_chars: int = 8
    delay_s: float = 0.0
    ttft_s: float = 0.0
    usage: bool = True
    """False: like servers that ignore ``stream_options``, the stream reports no usage."""
    reasoning: str = ""
    """Streamed before the text in ``reasoning_field`` deltas, as vLLM or DeepSeek do."""
    reasoning_field: str = "reasoning_content"


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class ToolCalls:
    """A streamed turn that calls tools (``finish_reason: "tool_calls"``), after ``text``."""

    calls: list[ToolCall]
    text: str = ""
    chunk_chars: int = 6


@dataclass
class Error:
    """An HTTP error carrying OpenAI's error object."""

    status: int
    code: str | None
    message: str = "Scripted error from the fake OpenAI server."
    type: str = "invalid_request_error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RateLimit:
    retry_after: float = 1.0
    retry_after_ms: int | None = None


@dataclass
class Stall:
    """Streams ``after_text`` and then nothing more; the connection stays open until stop."""

    after_text: str = ""


@dataclass
class Cut:
    """Streams ``after_text`` and, after ``pause_s`` of silence, drops the connection without
    ``[DONE]``. A drop in the same instant as the last text may cost the reader that text
    (aiohttp, under the bot's model client, discards what it buffered when the connection
    fails), so the pause keeps what these tests check exact."""

    after_text: str
    pause_s: float = 0.05


@dataclass
class ImageReply:
    """Real PNGs; ``count`` defaults to the request's ``n``; ``as_url`` serves them by URL;
    ``url`` answers with that URL instead (an image kept somewhere else)."""

    count: int | None = None
    revised_prompt: str | None = "A detailed rendering of the requested scene."
    as_url: bool = False
    url: str | None = None


@dataclass
class Hold:
    """Waits until ``FakeOpenAI.release()``, then behaves as ``then`` (default: the usual reply)."""

    then: ChatBehaviour | ImageBehaviour | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)


ChatBehaviour = Reply | ToolCalls | Error | RateLimit | Stall | Cut | Hold
ImageBehaviour = ImageReply | Error | RateLimit | Hold
ModerationBehaviour = Error | RateLimit


def _abort(request: web.Request) -> web.StreamResponse:
    """Drop the connection mid-response, as a crashed or cut-off upstream would."""
    if request.transport is not None:
        request.transport.close()
    return web.StreamResponse()


class FakeOpenAI(Served):
    """An OpenAI-compatible server on 127.0.0.1; use as ``async with FakeOpenAI() as openai``."""

    def __init__(self, api_key: str = "sk-test", server: ModelServer | None = None) -> None:
        self.api_key = api_key
        self.server = server or ModelServer()
        """The model server behind the API: window, token count, flavour (settable)."""
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self._chat_script: deque[ChatBehaviour] = deque()
        self._image_script: deque[ImageBehaviour] = deque()
        self._moderation_script: deque[ModerationBehaviour] = deque()
        self._flag_words: dict[str, tuple[str, ...]] = {}
        self._flag_images: tuple[str, ...] = ()
        self._holds: list[Hold] = []
        self._files: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._arrivals = Arrivals()
        self._stopping = asyncio.Event()
        self.refuse_tools = False
        """Answer requests with ``tools`` as a vLLM started without tool support does."""
        # Requests with images are large: aiohttp would refuse anything over 1 MiB.
        app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._server = LoopbackServer(app)

    async def start(self) -> None:
        self.base_url = f"{await self._server.start()}/v1"

    async def stop(self) -> None:
        """Stop serving; stalled and held requests are dropped rather than waited for."""
        self._stopping.set()
        self.release()
        await self._server.stop()

    def chat_requests(self) -> list[dict[str, Any]]:
        return self._bodies(CHAT_PATH)

    def image_requests(self) -> list[dict[str, Any]]:
        return self._bodies(IMAGES_PATH)

    def moderation_requests(self) -> list[dict[str, Any]]:
        return self._bodies(MODERATIONS_PATH)

    def flag(self, word: str, *categories: str) -> None:
        """Moderation flags any text containing ``word`` (case-insensitive) for ``categories``."""
        self._flag_words[word.lower()] = categories

    def flag_images(self, *categories: str) -> None:
        """Moderation flags any input carrying an image for ``categories``."""
        self._flag_images = categories

    def script_moderations(self, *behaviours: ModerationBehaviour) -> None:
        """What the next moderation requests get instead of a result (errors)."""
        self._moderation_script.extend(behaviours)

    def script_chat(self, *behaviours: ChatBehaviour) -> None:
        self._track_holds(behaviours)
        self._chat_script.extend(behaviours)

    def script_images(self, *behaviours: ImageBehaviour) -> None:
        self._track_holds(behaviours)
        self._image_script.extend(behaviours)

    def release(self) -> None:
        """Let every ``Hold`` scripted so far proceed, whether its request has arrived or not."""
        for hold in self._holds:
            hold.released.set()

    async def wait_for_requests(
        self,
        path: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the shared contract names it so
    ) -> None:
        def arrived() -> int:
            return sum(1 for r in self.requests if r.path == path)

        await self._arrivals.wait_until(
            lambda: arrived() >= count,
            timeout,
            lambda: f"expected {count} requests to {path}, got {arrived()}",
        )

    def _bodies(self, path: str) -> list[dict[str, Any]]:
        return [r.json for r in self.requests if r.path == path and r.json is not None]

    def _track_holds(self, behaviours: tuple[ChatBehaviour | ImageBehaviour, ...]) -> None:
        self._holds.extend(b for b in behaviours if isinstance(b, Hold))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        recorded = RecordedRequest(request.method, request.path, CIMultiDict(request.headers), body)
        self.requests.append(recorded)
        await self._arrivals.notify()
        if request.method == "GET" and request.path.startswith("/files/"):
            return self._serve_file(request.path.removeprefix("/files/"))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return wire.error_response(401, "Incorrect API key provided.", code="invalid_api_key")
        route = (request.method, request.path)
        if route == ("GET", "/v1/models"):
            return web.json_response(wire.models_list())
        if route not in {("POST", CHAT_PATH), ("POST", IMAGES_PATH), ("POST", MODERATIONS_PATH)}:
            return wire.error_response(404, f"Invalid URL ({request.method} {request.path})")
        if body is None:
            return wire.error_response(400, "We could not parse the JSON body of your request.")
        if request.path == CHAT_PATH:
            return await self._chat(request, body, recorded)
        if request.path == IMAGES_PATH:
            return await self._images(request, body)
        return self._moderate(body)

    def _moderate(self, body: dict[str, Any]) -> web.Response:
        invalid = wire.validate_moderation(body)
        if invalid is not None:
            return invalid
        if self._moderation_script:
            return _scripted_error(self._moderation_script.popleft())
        flagged = [self._flagged(text, images) for text, images in wire.moderation_inputs(body)]
        return web.json_response(wire.moderation(body, f"modr-fake{next(self._ids)}", flagged))

    def _flagged(self, text: str, images: int) -> tuple[str, ...]:
        found = [c for word, cs in self._flag_words.items() if word in text.lower() for c in cs]
        if images:
            found += self._flag_images
        return tuple(sorted(set(found)))

    async def _chat(
        self, request: web.Request, body: dict[str, Any], recorded: RecordedRequest
    ) -> web.StreamResponse:
        invalid = wire.validate_chat(body) or self.server.refuse(body)
        if invalid is not None:
            return invalid
        if self.refuse_tools and body.get("tools"):
            return wire.error_response(
                400,
                '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
                "to be set",
                type_="BadRequestError",
            )
        proceed, behaviour = await self._take(self._chat_script)
        if not proceed:
            return _abort(request)
        if behaviour is None:
            users = [m for m in body["messages"] if m.get("role") == "user"]
            behaviour = Reply(f"Echo: {wire.text_of(users[-1].get('content') if users else '')}")
        if isinstance(behaviour, Error | RateLimit):
            return _scripted_error(behaviour)
        if isinstance(behaviour, ToolCalls):
            return await self._call_tools(request, body, behaviour)
        if not isinstance(behaviour, Reply | Stall | Cut):
            raise TypeError(f"{behaviour!r} is not a chat behaviour")
        return await self._answer_chat(request, body, behaviour, recorded)

    async def _call_tools(
        self, request: web.Request, body: dict[str, Any], behaviour: ToolCalls
    ) -> web.StreamResponse:
        offered = {t["function"]["name"] for t in body.get("tools") or []}
        if body.get("tool_choice") == "none" or not offered:
            raise AssertionError("a tool call was scripted for a request that offers no tools")
        calls = [
            (c.id or f"call_fake{next(self._ids)}", c.name, json.dumps(c.arguments))
            for c in behaviour.calls
        ]
        stream = wire.ChatStream(f"chatcmpl-fake{next(self._ids)}", body)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
        await response.prepare(request)
        for event in stream.tool_call_events(behaviour.text, calls, behaviour.chunk_chars):
            await response.write(event)
        return response

    async def _take(
        self, script: deque[ChatBehaviour] | deque[ImageBehaviour]
    ) -> tuple[bool, ChatBehaviour | ImageBehaviour | None]:
        """The next scripted behaviour, after waiting out a Hold; False if stopping came first."""
        behaviour = script.popleft() if script else None
        if isinstance(behaviour, Hold):
            await behaviour.released.wait()
            return not self._stopping.is_set(), behaviour.then
        return True, behaviour

    async def _answer_chat(
        self,
        request: web.Request,
        body: dict[str, Any],
        behaviour: Reply | Stall | Cut,
        recorded: RecordedRequest,
    ) -> web.StreamResponse:
        reply = behaviour if isinstance(behaviour, Reply) else Reply(behaviour.after_text)
        await asyncio.sleep(reply.ttft_s)
        completion_id = f"chatcmpl-fake{next(self._ids)}"
        finished = isinstance(behaviour, Reply)
        text, finish_reason = self.server.cut(reply.text, self.server.answer_bound(body))
        usage = self.server.usage(body["messages"], text)
        if not body.get("stream"):
            if finished:
                return web.json_response(
                    wire.completion(
                        completion_id, body, text, finish_reason=finish_reason, usage=usage
                    )
                )
            return await self._stall_or_cut(request, behaviour)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
            }
        )
        await response.prepare(request)
        stream = wire.ChatStream(
            completion_id, body, finish_reason=finish_reason, usage=usage, send_usage=reply.usage
        )
        events = stream.events(text, reply.chunk_chars, finished=finished)
        if reply.reasoning:
            thinking = stream.reasoning_events(
                reply.reasoning, reply.chunk_chars, reply.reasoning_field
            )
            events = [events[0], *thinking, *events[1:]]
        try:
            # The role chunk comes first; the one after it carries the first text.
            for index, event in enumerate(events):
                await response.write(event)
                if index == 1:
                    recorded.first_token_at = time.monotonic()
                await asyncio.sleep(reply.delay_s)
        except ConnectionResetError:
            return response
        if finished:
            return response
        return await self._stall_or_cut(request, behaviour)

    async def _stall_or_cut(self, request: web.Request, behaviour: object) -> web.StreamResponse:
        if isinstance(behaviour, Stall):
            await self._stopping.wait()
        if isinstance(behaviour, Cut):
            await asyncio.sleep(behaviour.pause_s)
        return _abort(request)

    async def _images(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        invalid = wire.validate_images(body)
        if invalid is not None:
            return invalid
        proceed, behaviour = await self._take(self._image_script)
        if not proceed:
            return _abort(request)
        behaviour = behaviour or ImageReply()
        if isinstance(behaviour, Error | RateLimit):
            return _scripted_error(behaviour)
        if not isinstance(behaviour, ImageReply):
            raise TypeError(f"{behaviour!r} is not an image behaviour")
        data = [self._image_item(behaviour) for _ in range(behaviour.count or body.get("n", 1))]
        return web.json_response({"created": int(time.time()), "data": data})

    def _image_item(self, behaviour: ImageReply) -> dict[str, str]:
        png = make_png(seed=next(self._ids))
        item: dict[str, str] = {}
        if behaviour.url is not None:
            item["url"] = behaviour.url
        elif behaviour.as_url:
            name = f"img-{len(self._files) + 1}"
            self._files[name] = png
            item["url"] = f"{self._server.root_url}/files/{name}.png"
        else:
            item["b64_json"] = base64.b64encode(png).decode()
        if behaviour.revised_prompt is not None:
            item["revised_prompt"] = behaviour.revised_prompt
        return item

    def _serve_file(self, filename: str) -> web.Response:
        png = self._files.get(filename.removesuffix(".png"))
        if png is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=png, content_type="image/png")


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    if not request.can_read_body:
        return None
    try:
        parsed = json.loads(await request.read())
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _scripted_error(behaviour: Error | RateLimit) -> web.Response:
    if isinstance(behaviour, RateLimit):
        return wire.rate_limit_response(behaviour.retry_after, behaviour.retry_after_ms)
    return wire.error_response(
        behaviour.status,
        behaviour.message,
        type_=behaviour.type,
        code=behaviour.code,
        headers=behaviour.headers,
    )
