"""Asking the requesting user before a tool marked for confirmation runs (Approve / Deny).

Only the requester's click counts; anyone else's is answered with a note and ignored. The
question lives in the database, so a click that reaches another replica decides it too: the
asking process is woken at once by a click it receives itself and looks in the store every
``poll_seconds`` for one another replica received. Unanswered within ``timeout``: Deny."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import BotError, describe_error
from bot.store.confirmations_repo import APPROVED, DENIED, ConfirmationRepository
from bot.store.db import read_only_session
from bot.tools.base import ToolContext

log = logging.getLogger(__name__)


class ConfirmationPrompts(Protocol):
    """Where the question is shown (Slack buttons in the thread)."""

    async def ask(self, context: ToolContext, confirmation_id: str, what: str) -> str:
        """Show the question; returns the message ts."""

    async def settle(self, context: ToolContext, ts: str, what: str, approved: bool) -> None:
        """Replace the buttons by the decision."""


class Answer(StrEnum):
    TAKEN = "taken"
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"  # answered already, timed out, or never asked


class Confirmations:
    def __init__(
        self,
        prompts: ConfirmationPrompts,
        sessions: async_sessionmaker[AsyncSession],
        *,
        timeout: float,
        poll_seconds: float = 1.0,
    ) -> None:
        self._prompts = prompts
        self._sessions = sessions
        self._timeout = timeout
        self._poll = poll_seconds
        self._woken: dict[str, asyncio.Event] = {}

    async def ask(self, context: ToolContext, what: str) -> bool:
        """True once the requester approves; False on Deny or silence."""
        key = secrets.token_hex(8)
        async with self._sessions.begin() as session:
            await ConfirmationRepository(session).add(
                key=key, team_id=context.team_id, user_id=context.user_id
            )
        self._woken[key] = asyncio.Event()
        ts: str | None = None
        try:
            ts = await self._prompts.ask(context, key, what)
            await self._decided(key)
        except BotError as exc:  # the question could not be shown: nobody approved
            log.warning("could not ask for confirmation: %s", describe_error(exc))
        finally:
            del self._woken[key]
            async with self._sessions.begin() as session:
                approved = await ConfirmationRepository(session).close(key) == APPROVED
        if ts is not None:
            try:
                await self._prompts.settle(context, ts, what, approved)
            except BotError as exc:
                log.warning("could not show the confirmation's outcome: %s", describe_error(exc))
        return approved

    async def _decided(self, key: str) -> None:
        """Return once the question is decided or its time is up."""
        deadline = time.monotonic() + self._timeout
        while (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self._poll, left)):
                    await self._woken[key].wait()
                return
            async with read_only_session(self._sessions) as session:
                found = await ConfirmationRepository(session).requester(key)
            if found is None or found[1] is not None:
                return

    async def answer(self, key: str, user_id: str, *, approved: bool) -> tuple[Answer, str | None]:
        """Record a click; the outcome, and who the question is for (None if unknown)."""
        async with self._sessions.begin() as session:
            repo = ConfirmationRepository(session)
            found = await repo.requester(key)
            if found is None or found[1] is not None:
                return Answer.UNKNOWN, None
            requester = found[0]
            if user_id != requester:
                return Answer.NOT_YOURS, requester
            taken = await repo.decide(key, user_id, APPROVED if approved else DENIED)
        if not taken:
            return Answer.UNKNOWN, requester
        woken = self._woken.get(key)
        if woken is not None:
            woken.set()
        return Answer.TAKEN, requester
