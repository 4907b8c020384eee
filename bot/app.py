"""Builds the process: clients, store, inbox, Bolt app, and the HTTP server that fronts them."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.conversations.catch_up import CatchUp
from bot.conversations.channel_settings import ChannelSettingsService
from bot.conversations.edits import TurnEdits
from bot.conversations.locks_pg import thread_locks_for
from bot.conversations.service import INBOX_KIND, AnswerPolicy, ConversationService
from bot.conversations.tokens import TokenCounter
from bot.conversations.vision import ImageInputs
from bot.images.service import ImageService
from bot.inbox import Inbox
from bot.listeners import register_listeners
from bot.metrics import Metrics, SlackErrorCounter
from bot.migrate import database_revision, head_revision
from bot.openai_api.client import OpenAIClient
from bot.openai_api.retry import RetryPolicy
from bot.reference import new_reference_id
from bot.services import Services
from bot.slack_input import SlackFileDownloader, SlackThreadReader
from bot.slack_output.files import SlackFiles
from bot.slack_output.streaming import SlackReplies
from bot.slack_output.user_notes import UserNotes
from bot.store.db import create_engine, create_session_factory

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_slack_client(settings: Settings, metrics: Metrics) -> AsyncWebClient:
    """One client with one connection pool (call inside the event loop; close its session).

    No retry on Slack 5xx: Slack may have done what a postMessage or appendStream asked before
    failing, and a retry would then double a reply or a chunk. Rate limits are retried as asked."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=aiohttp.ClientSession(),
        retry_handlers=[
            SlackErrorCounter(metrics),  # first: it sees every response, then lets others retry
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_services(settings: Settings) -> Services:
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    metrics = Metrics()
    slack = build_slack_client(settings, metrics)
    openai = OpenAIClient(
        settings.openai_base_url,
        settings.openai_api_key,
        connect_timeout=settings.openai_connect_timeout,
        read_timeout=settings.openai_read_timeout,
        stream_idle_timeout=settings.openai_stream_idle_timeout,
        retry=RetryPolicy(max_total=settings.openai_max_retry_seconds),
        on_error=metrics.openai_error,
    )
    replies = SlackReplies(slack)
    inbox = Inbox(
        sessions,
        lease_seconds=settings.inbox_lease_seconds,
        concurrency=settings.worker_concurrency,
        metrics=metrics,
    )
    counter = TokenCounter()
    downloads = SlackFileDownloader(settings.slack_bot_token, settings.slack_api_url)
    conversations = ConversationService(
        sessions=sessions,
        openai=openai,
        replies=replies,
        counter=counter,
        policy=AnswerPolicy(
            model=settings.openai_model,
            system_prompt=settings.system_prompt,
            default_context_tokens=settings.model_context_tokens,
            answer_max_tokens=settings.answer_max_tokens,
        ),
        catch_up=CatchUp(sessions, SlackThreadReader(slack), counter),
        images_in=ImageInputs(downloads, settings.vision_models.split(",")),
        locks=thread_locks_for(engine),
        metrics=metrics,
    )
    inbox.register(INBOX_KIND, conversations.handle)
    images = ImageService(
        sessions=sessions,
        openai=openai,
        files=SlackFiles(slack),
        notes=UserNotes(slack),
        model=settings.openai_image_model,
        metrics=metrics,
    )
    return Services(
        settings,
        engine,
        sessions,
        slack,
        openai,
        replies,
        inbox,
        conversations,
        metrics,
        images=images,
        downloads=downloads,
        edits=TurnEdits(sessions),
        channel_settings=ChannelSettingsService(
            sessions,
            openai,
            default_model=settings.openai_model,
            default_prompt=settings.system_prompt,
        ),
    )


def build_bolt_app(services: Services) -> AsyncApp:
    settings = services.settings
    app = AsyncApp(
        client=services.slack,
        signing_secret=settings.slack_signing_secret or None,
        # Listeners only record the delivery; Slack is acknowledged once it is durable.
        process_before_response=True,
        request_verification_enabled=not settings.socket_mode,
    )
    register_listeners(app, services)
    return app


class BotServer:
    """The running bot: an HTTP server (events in HTTP mode; health and metrics always),
    Socket Mode when an app token is configured, and the inbox's workers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services = build_services(settings)
        self.bolt = build_bolt_app(self.services)
        # Socket Mode has no signing secret and no events route to verify.
        self._verifier = (
            None if settings.socket_mode else SignatureVerifier(settings.slack_signing_secret)
        )
        self._schema_head = head_revision()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.port: int | None = None

    def web_app(self) -> web.Application:
        app = web.Application()
        if not self.settings.socket_mode:
            app.router.add_post(EVENTS_PATH, self._slack_events)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self.services.metrics.handler)
        return app

    async def start(self, host: str = "0.0.0.0", port: int | None = None) -> None:
        # Load the tokenizer before the first message instead of during it.
        await asyncio.to_thread(self.services.conversations.warm_up, self.settings.openai_model)
        await self.services.inbox.start()
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, self.settings.port if port is None else port)
        await self._site.start()
        server = self._site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        if self.settings.socket_mode:
            # The SDK retries a refused app token quietly forever; ask once so a bad token fails
            # start-up with Slack's reason instead.
            await self.services.slack.apps_connections_open(app_token=self.settings.slack_app_token)
            self._socket = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        mode = "Socket Mode" if self.settings.socket_mode else f"HTTP mode on {EVENTS_PATH}"
        log.info("bot started (%s), listening on port %s", mode, self.port)

    async def stop(self) -> None:
        """Stop taking deliveries, let in-flight answers finish within the grace period."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._site is not None:
            await self._site.stop()
        await self.services.inbox.stop(self.settings.shutdown_grace_seconds)
        await self.services.images.drain(self.settings.shutdown_grace_seconds)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.services.aclose()

    async def _slack_events(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            return await self._dispatch(request)
        finally:
            self.services.metrics.acknowledged(time.perf_counter() - started)

    async def _dispatch(self, request: web.Request) -> web.Response:
        body = await request.text()
        headers: dict[str, Any] = dict(request.headers)
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception:
            assert self._verifier is not None, "the events route exists only in HTTP mode"
            if not self._verifier.is_valid_request(body, headers):
                return web.json_response({"error": "invalid signature"}, status=401)
            log.warning("unparsable request body refused", extra={"bytes": len(body)})
            return web.json_response({"error": "malformed request body"}, status=400)
        try:
            return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))
        except Exception:
            reference_id = new_reference_id()
            log.exception("request failed", extra={"reference_id": reference_id})
            return web.json_response(
                {"error": "internal error", "reference": reference_id}, status=500
            )

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        try:
            revision = await database_revision(self.services.engine)
        except Exception as exc:
            log.warning("database not reachable: %s", type(exc).__name__)
            return web.json_response({"status": "database unreachable"}, status=503)
        if revision != self._schema_head:
            log.warning("database at migration %s, code expects %s", revision, self._schema_head)
            return web.json_response({"status": "migrations pending"}, status=503)
        return web.json_response({"status": "ready"})
