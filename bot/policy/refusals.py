"""What happens to a refusal: recorded (code, and moderation's categories; never the text),
counted, and told to the person, through one function whichever rule refused.

A private refusal (access, budgets) is told once per thread per person: the earlier refusals
are in the store, and turns of one thread run one at a time (the thread lock), so replicas
agree. A moderation refusal is about one message, so each one is told."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import BotError, describe_error
from bot.metrics import Metrics
from bot.policy.decision import Refusal
from bot.policy.moderation import ModerationRefusal
from bot.policy.rules import RequestKind
from bot.store.policy_refusals_repo import PolicyRefusalRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asker:
    """Who was refused, where: ``thread_ts`` is None outside a thread (/imagine)."""

    kind: RequestKind
    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None = None


class RefusalOutput(Protocol):
    async def deliver(
        self, *, channel: str, thread_ts: str | None, user_id: str, refusal: Refusal
    ) -> None:
        """In the thread, or to the person alone when ``refusal.private``."""


class RefusalDesk:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        output: RefusalOutput,
        metrics: Metrics,
    ) -> None:
        self._sessions = sessions
        self._output = output
        self._metrics = metrics

    async def refuse(self, asker: Asker, refusal: Refusal) -> None:
        """Record, count and (unless told already in this thread) tell. Never raises for
        Slack refusing the note: the refusal stands either way."""
        if not await self.record(asker, refusal):
            return
        try:
            await self._output.deliver(
                channel=asker.channel_id,
                thread_ts=asker.thread_ts,
                user_id=asker.user_id,
                refusal=refusal,
            )
        except BotError as exc:
            log.warning("could not tell about a refusal: %s", describe_error(exc))

    async def record(self, asker: Asker, refusal: Refusal) -> bool:
        """Store and count the refusal; whether the person is still to be told of it."""
        categories = refusal.categories if isinstance(refusal, ModerationRefusal) else ()
        self._metrics.policy_refused(refusal.code)
        log.info(
            "request refused by policy",
            extra={"code": refusal.code, "categories": " ".join(categories)},
        )
        thread = asker.thread_ts or ""
        async with self._sessions.begin() as session:
            refusals = PolicyRefusalRepository(session)
            told = not isinstance(refusal, ModerationRefusal) and bool(thread)
            told = told and await refusals.refused_before(
                team_id=asker.team_id,
                channel_id=asker.channel_id,
                thread_ts=thread,
                user_id=asker.user_id,
                code=refusal.code,
            )
            await refusals.add(
                team_id=asker.team_id,
                channel_id=asker.channel_id,
                thread_ts=thread,
                user_id=asker.user_id,
                kind=asker.kind,
                code=refusal.code,
                categories=categories,
            )
        return not told
