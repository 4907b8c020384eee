"""OAuth mode at Slack's edge: Bolt's install flow over our stores (``/slack/install`` and
``/slack/oauth_redirect``, in HTTP and Socket Mode alike), and Bolt's authorize step answered by
our per-team tokens, with every listener then acting for that team."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse

from bot.config import Settings
from bot.installations import BOT_SCOPES, Installations, TeamAuthorizer, acts_for
from bot.installations import authorization_url as slack_authorization_url
from bot.listeners.events.fast_intake import BotUserOf, installation_of
from bot.reference import new_reference_id
from bot.store.loop_thread import Runner

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
_FAILED_PAGE = (
    "<html><body><h1>The installation did not complete</h1>"
    '<p>Something went wrong on our side. Please <a href="{install}">try again</a>; if it '
    "keeps failing, give your administrator this reference: <code>{reference}</code>.</p>"
    "</body></html>"
)


class InstallationAuthorize(AsyncAuthorize):
    """Bolt's authorize step: the team's (or its org's) stored bot token, refreshed if due."""

    def __init__(self, authorizer: TeamAuthorizer) -> None:
        self._authorizer = authorizer

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: Any,
    ) -> AuthorizeResult | None:
        access = await self._authorizer.access(
            enterprise_id, team_id, org_wide=bool(context.is_enterprise_install)
        )
        if access is None:
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=access.bot_token,
            bot_id=access.bot_id,
            bot_user_id=access.bot_user_id,
            bot_scopes=list(access.bot_scopes),
            user_id=user_id,
        )


async def _act_for_team(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
    """Global middleware: what a listener does in Slack carries the token authorize found
    (None for app_uninstalled / tokens_revoked, which carry no usable token)."""
    acts_for(context.bot_token)
    return await next()


def bot_user_of(authorizer: TeamAuthorizer) -> BotUserOf:
    """For the fast intake path: the bot user of the installation a delivery is for."""

    async def find(body: Mapping[str, Any]) -> str | None:
        enterprise_id, team_id, org_wide = installation_of(body)
        access = await authorizer.access(
            enterprise_id,
            team_id,
            org_wide=org_wide,
            refresh=False,  # the acknowledgement never waits for Slack; the worker refreshes
        )
        if access is None:
            log.info("delivery from a workspace without installation ignored")
            return None
        return access.bot_user_id or ""

    return find


def register(app: AsyncApp) -> None:
    app.middleware(_act_for_team)


def bolt_options(installations: Installations) -> dict[str, Any]:
    """What ``AsyncApp`` takes in OAuth mode."""
    return {"authorize": InstallationAuthorize(installations.authorizer)}


def build_oauth_flow(settings: Settings, installations: Installations) -> AsyncOAuthFlow:
    bolt_log = logging.getLogger("slack_bolt.oauth")  # at WARNING, as all of Bolt's loggers
    return AsyncOAuthFlow(
        client=installations.oauth_client,
        logger=bolt_log,
        settings=AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(BOT_SCOPES),
            redirect_uri=settings.slack_redirect_uri or None,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=slack_authorization_url(settings.slack_api_url),
            installation_store=installations.store,
            state_store=installations.states,
            logger=bolt_log,
        ),
    )


class InstallPages:
    """The two pages of an install, as aiohttp handlers: the request is read where the HTTP
    server runs, the flow runs by ``run`` (on the bot's loop, where its clients live)."""

    def __init__(self, flow: AsyncOAuthFlow, run: Runner[BoltResponse]) -> None:
        self._flow = flow
        self._run = run

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(INSTALL_PATH, self._install)
        app.router.add_get(REDIRECT_PATH, self._redirect)

    async def _install(self, request: web.Request) -> web.Response:
        return await self._page(request, self._flow.handle_installation)

    async def _redirect(self, request: web.Request) -> web.Response:
        return await self._page(request, self._flow.handle_callback)

    async def _page(
        self, request: web.Request, handle: Callable[[Any], Awaitable[BoltResponse]]
    ) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await self._run(lambda: handle(bolt_request)))
        except Exception:
            reference_id = new_reference_id()
            log.exception("install page failed", extra={"reference_id": reference_id})
            page = _FAILED_PAGE.format(install=INSTALL_PATH, reference=reference_id)
            return web.Response(status=500, text=page, content_type="text/html")
