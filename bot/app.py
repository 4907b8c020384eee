"""Builds the process: clients, store, inbox, Bolt app, and the HTTP server that fronts them."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.listeners import oauth, register_listeners
from bot.listeners.events.fast_intake import FastMessageIntake, app_bot_user
from bot.reference import new_reference_id
from bot.services import Services, open_services
from bot.slack_requests import BytesSignatureVerifier, parse_delivery
from bot.store.db import is_sqlite
from bot.store.loop_thread import LoopRunner, LoopThread
from bot.store.schema import SCHEMA_HEAD, database_revision
from bot.usage.ledger import Clock, utc_now

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_bolt_app(services: Services) -> AsyncApp:
    settings = services.settings
    installs = services.installations
    app = AsyncApp(
        client=services.slack,
        # Bolt's loggers copy this one's level (WARNING, see logging_setup) instead of the root's:
        # at INFO Bolt logs request bodies, the body of every bad-signature request included.
        logger=logging.getLogger("slack_bolt"),
        signing_secret=settings.slack_signing_secret or None,
        # Listeners only record the delivery; Slack is acknowledged once it is durable.
        process_before_response=True,
        request_verification_enabled=not settings.socket_mode,
        **(oauth.bolt_options(installs) if installs else {}),
    )
    register_listeners(app, services)
    return app


class BotServer:
    """The running bot: an HTTP server (events in HTTP mode; health and metrics always),
    Socket Mode when an app token is configured, and the inbox's workers.

    On PostgreSQL the HTTP server is a front on an event loop of its own thread, so reading,
    verifying and recording a delivery (intake's engine lives there, ``Inbox.intake_loop``)
    and acknowledging it never waits its turn behind answers on the bot's loop; its work is
    started on the bot's loop without the acknowledgement waiting for it, and what needs the
    bot's clients (Bolt's dispatch, install pages, readiness) is handed to the bot's loop. On
    SQLite the recording runs on the bot's loop behind its write gate, and so does the server:
    a front there only adds hops between the loops (measured: ack p99 with 100 at once 110 →
    195 ms, with 1,000 at once 1.2 → 1.7 s).
    """

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
        self.settings = settings
        self._clock = clock
        self._stack = AsyncExitStack()
        self._services: Services | None = None
        # Socket Mode has no signing secret and no events route to verify.
        self._verifier = (
            None if settings.socket_mode else BytesSignatureVerifier(settings.slack_signing_secret)
        )
        # SQLite records on the bot's loop, so a front there would only add hops between them.
        self._front = None if is_sqlite(settings.database_url) else LoopThread("http-front")
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.port: int | None = None

    @property
    def services(self) -> Services:
        assert self._services is not None, "the server has not started"
        return self._services

    def web_app(self) -> web.Application:
        app = web.Application()
        if not self.settings.socket_mode:
            app.router.add_post(EVENTS_PATH, self._slack_events)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self.services.metrics.handler)
        installs = self.services.installations
        if installs is not None:  # served on PORT in Socket Mode too: Slack's browser needs them
            flow = oauth.build_oauth_flow(self.settings, installs)
            oauth.InstallPages(flow, self._bot_loop.run).add_routes(app)
        return app

    async def start(self, host: str = "0.0.0.0", port: int | None = None) -> None:
        self._bot_loop = LoopRunner(asyncio.get_running_loop())
        self._http: LoopRunner = self._front or self._bot_loop
        if self._front is not None:
            self._front.start()
            self._stack.push_async_callback(self._front.stop)  # last: intake's engine is there
        self._services = await self._stack.enter_async_context(
            open_services(self.settings, self._clock, self._front)
        )
        self.bolt = build_bolt_app(self.services)
        installs = self.services.installations
        self._record = (self.services.inbox.intake_loop or self._bot_loop).run
        bot_user_of = (
            oauth.bot_user_of(installs.authorizer)
            if installs
            else app_bot_user(self.services.slack)
        )
        self._fast = FastMessageIntake(self.services.intake, bot_user_of, self._bot_loop.run)
        await self.services.inbox.start()
        self.services.retention.start()
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._http.run(
            lambda: self._serve(host, self.settings.port if port is None else port)
        )
        if self.settings.socket_mode:
            # The SDK retries a refused app token quietly forever; ask once so a bad token fails
            # start-up with Slack's reason instead.
            await self.services.slack.apps_connections_open(app_token=self.settings.slack_app_token)
            self._socket = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        mode = "Socket Mode" if self.settings.socket_mode else f"HTTP mode on {EVENTS_PATH}"
        if installs is not None:
            mode += f", OAuth installs at {oauth.INSTALL_PATH}"
        log.info("bot started (%s), listening on port %s", mode, self.port)

    async def _serve(self, host: str, port: int) -> None:
        """On the front's loop: the HTTP server starts listening."""
        assert self._runner is not None
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        server = self._site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        """Stop taking deliveries; in-flight answers and background work share one grace
        period; then everything is closed."""
        deadline = time.monotonic() + self.settings.shutdown_grace_seconds
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._site is not None:
            await self._http.run(self._site.stop)
        if self._services is not None:
            await self._services.inbox.stop(deadline)
            await self._services.tasks.drain(deadline)
        if self._runner is not None:
            await self._http.run(self._runner.cleanup)
        await self._stack.aclose()

    async def _slack_events(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            return await self._dispatch(request)
        finally:
            self.services.metrics.acknowledged(time.perf_counter() - started)

    async def _dispatch(self, request: web.Request) -> web.Response:
        """Verify, then parse: nothing of an unsigned request is decoded, stored or logged."""
        assert self._verifier is not None, "the events route exists only in HTTP mode"
        body = await request.read()
        if not self._verifier.is_valid_request(body, request.headers):
            return web.json_response({"error": "invalid signature"}, status=401)
        bolt_request = parse_delivery(body, request.query_string, request.headers)
        if bolt_request is None:
            log.warning("malformed request body refused", extra={"bytes": len(body)})
            return web.json_response({"error": "malformed request body"}, status=400)
        try:
            if self._fast.handles(bolt_request.body):
                await self._record(lambda: self._fast.accept(bolt_request.body))
                return web.Response(status=200)
            response = await self._bot_loop.run(lambda: self.bolt.async_dispatch(bolt_request))
            return await to_aiohttp_response(response)
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
            revision = await self._bot_loop.run(lambda: database_revision(self.services.engine))
        except Exception as exc:
            log.warning("database not reachable: %s", type(exc).__name__)
            return web.json_response({"status": "database unreachable"}, status=503)
        if revision != SCHEMA_HEAD:
            log.warning("database at migration %s, code expects %s", revision, SCHEMA_HEAD)
            return web.json_response({"status": "migrations pending"}, status=503)
        return web.json_response({"status": "ready"})
