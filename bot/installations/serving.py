"""Inbox work done with the token of the workspace the delivery came from."""

from __future__ import annotations

import logging

from bot.inbox import Handler, Work
from bot.installations.access import TeamAuthorizer
from bot.installations.acting import acting_for

log = logging.getLogger(__name__)


def serving_its_team(handler: Handler, authorizer: TeamAuthorizer) -> Handler:
    """``handler`` run as the delivery's workspace; a delivery from a workspace the app is no
    longer installed in is dropped (logged, never answered)."""

    async def handle(work: Work) -> None:
        access = await authorizer.access(work.enterprise_id, work.team_id)
        if access is None:
            log.info(
                "delivery dropped: the app is not installed in its workspace",
                extra={"event_id": work.event_id, "team_id": work.team_id},
            )
            return
        with acting_for(access.bot_token):
            await handler(work)

    return handle
