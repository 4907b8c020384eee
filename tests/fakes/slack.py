"""A fake Slack Web API on loopback, for the real ``AsyncWebClient`` (``base_url=slack.api_url``).

It answers like Slack (``ok: false`` with Slack's error codes, HTTP 429 + Retry-After), records
every call in order, and keeps the messages and files the bot produced so tests can look at
what a person would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.loopback import Arrivals, LoopbackServer, Served
from tests.fakes.slack_content import FakeMessage, SlackError, ts_order
from tests.fakes.slack_files import FakeUpload
from tests.fakes.slack_workspace import Identity, SlackWorkspace

__all__ = ["FakeMessage", "FakeSlack", "FakeUpload", "SlackCall"]

# Arguments Slack takes as JSON inside a form field; recorded decoded.
_JSON_FIELDS = {"blocks", "attachments", "files", "view", "chunks", "metadata", "prompts"}
_PADDING_CHUNK = 1024 * 1024


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]


@dataclass
class _ScriptedFailure:
    error: str
    status: int
    headers: dict[str, str]


def _slack_json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


class FakeSlack(Served):
    """Slack's Web API for one workspace; use as ``async with FakeSlack() as slack``."""

    def __init__(
        self,
        token: str = "xoxb-test-token",
        team_id: str = "T0001",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
    ) -> None:
        self.token = token
        self.api_url = ""
        self.calls: list[SlackCall] = []
        self._workspace = SlackWorkspace(Identity(token, team_id, bot_user_id, bot_id))
        self.messages = self._workspace.messages
        self.uploads = self._workspace.files.uploads
        self.views = self._workspace.views
        self._failures: defaultdict[str, deque[_ScriptedFailure]] = defaultdict(deque)
        self._removed: set[str] = set()
        self._arrivals = Arrivals()
        self.downloads: list[str] = []  # file ids, in the order their downloads arrived
        self._download_gate: asyncio.Event | None = None
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/files-pri/{team_file}/{name}", self._download)
        app.router.add_get("/signin", self._signin_page)
        self._server = LoopbackServer(app)

    async def start(self) -> None:
        root = await self._server.start()
        self._workspace.files.root_url = root
        self.api_url = f"{root}/api/"

    async def stop(self) -> None:
        await self._server.stop()

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for_calls(
        self,
        method: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the shared contract names it so
    ) -> None:
        await self._arrivals.wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"expected {count} calls to {method}, got {len(self.calls_to(method))}",
        )

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        what: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - as wait_for_calls
    ) -> None:
        """Return once ``predicate()`` holds after some call; ``what`` names it on a timeout."""
        await self._arrivals.wait_until(predicate, timeout, lambda: f"expected {what}")

    def fail(
        self,
        method: str,
        error: str,
        times: int = 1,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with ``ok: false`` and ``error``."""
        failure = _ScriptedFailure(error, status, headers or {})
        self._failures[method].extend([failure] * times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        self.fail(method, "ratelimited", times, 429, {"Retry-After": str(retry_after)})

    def remove_method(self, method: str) -> None:
        """Make ``method`` unknown, like a Slack (or emulator) that lacks it."""
        self._removed.add(method)

    def set_role(self, user: str, role: str = "is_admin") -> None:
        """What users.info says of ``user``: ``is_admin``, ``is_owner`` or ``is_primary_owner``."""
        self._workspace.roles[user] = role

    def add_usergroup(self, group_id: str, members: list[str]) -> None:
        """A user group (``S…``) that usergroups.users.list expands to ``members``."""
        self._workspace.usergroups[group_id] = members

    def end_streams_after(self, calls: int) -> None:
        """End every stream after ``calls`` append/stop calls, as Slack ends a stream after a
        few minutes: later calls answer ``message_not_in_streaming_state``."""
        self._workspace.stream_lifetime = calls

    def set_not_in_channel(self, channel: str) -> None:
        self._workspace.not_in_channel.add(channel)

    def add_thread(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Seed what conversations.replies returns, grouped by each message's thread."""
        for message in messages:
            key = (channel, str(message.get("thread_ts") or message["ts"]))
            self._workspace.threads.setdefault(key, []).append(message)

    def add_file(self, name: str, data: bytes, mimetype: str, size: int | None = None) -> str:
        """Host a file someone shared; returns its ``url_private`` (needs the bot token). With
        ``size``, the file is ``data`` padded with zeros to ``size`` bytes as it is served, so a
        large file costs the test no memory."""
        padding = 0 if size is None else size - len(data)
        return self._workspace.files.add(name, data, mimetype, padding).url_private

    def hold_downloads(self) -> asyncio.Event:
        """From now on a file download, once it has arrived, waits until the event is set."""
        self._download_gate = asyncio.Event()
        return self._download_gate

    async def wait_for_downloads(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the shared contract names it so
    ) -> None:
        await self._arrivals.wait_until(
            lambda: len(self.downloads) >= count,
            timeout,
            lambda: f"expected {count} file downloads, got {len(self.downloads)}",
        )

    def thread(self, channel: str, thread_ts: str) -> list[FakeMessage]:
        """The bot's messages in one thread, oldest first."""
        found = [
            m
            for m in self.messages.values()
            if m.channel == channel and thread_ts in (m.ts, m.thread_ts)
        ]
        return sorted(found, key=lambda m: ts_order(m.ts))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = args.pop("token", None) or _bearer(request)
        response = self._answer(method, token, args)
        self.calls.append(SlackCall(method, args, dict(request.headers)))
        await self._arrivals.notify()
        return response

    def _answer(self, method: str, token: str | None, args: dict[str, Any]) -> web.Response:
        if method in self._removed or not self._workspace.knows(method):
            return _slack_json({"ok": False, "error": "unknown_method", "req_method": method})
        if token is None:
            return _slack_json({"ok": False, "error": "not_authed"})
        if token != self.token:
            return _slack_json({"ok": False, "error": "invalid_auth"})
        if self._failures[method]:
            failure = self._failures[method].popleft()
            body = {"ok": False, "error": failure.error}
            return _slack_json(body, failure.status, failure.headers)
        try:
            result = self._workspace.call(method, args)
        except SlackError as error:
            body = {"ok": False, "error": error.code}
            if error.messages:
                body["response_metadata"] = {"messages": error.messages}
            return _slack_json(body)
        return _slack_json({"ok": True, **result})

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: raw bytes (slack_sdk's files_upload_v2) or a multipart ``file``."""
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = form.get("file")
            data = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
        else:
            data = await request.read()
        if not self._workspace.files.receive(request.match_info["file_id"], data):
            return web.Response(status=404, text="Not Found")
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """Like files.slack.com: without the bot token you are sent to a sign-in page."""
        if _bearer(request) != self.token:
            raise web.HTTPFound(f"/signin?redir={request.path}")
        file_id = request.match_info["team_file"].rpartition("-")[2]
        self.downloads.append(file_id)
        await self._arrivals.notify()
        if self._download_gate is not None:
            await self._download_gate.wait()
        hosted = self._workspace.files.hosted_file(file_id)
        if hosted is None:
            return web.Response(status=404, text="Not Found")
        if not hosted.padding:
            return web.Response(body=hosted.data, content_type=hosted.mimetype)
        response = web.StreamResponse(headers={"Content-Type": hosted.mimetype})
        response.content_length = hosted.size
        await response.prepare(request)
        await response.write(hosted.data)
        zeros = bytes(_PADDING_CHUNK)
        for start in range(0, hosted.padding, _PADDING_CHUNK):
            await response.write(zeros[: min(_PADDING_CHUNK, hosted.padding - start)])
        await response.write_eof()
        return response

    async def _signin_page(self, request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body>Sign in to Slack</body></html>", content_type="text/html"
        )


def _bearer(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Query, form and JSON arguments merged, as Slack accepts all three."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            body = {}
        args.update(body if isinstance(body, dict) else {})
    elif request.can_read_body:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in _JSON_FIELDS & args.keys():
        # Undecodable values stay strings: the method answers with its invalid-format error.
        with contextlib.suppress(ValueError):
            args[name] = json.loads(args[name]) if isinstance(args[name], str) else args[name]
    return args
