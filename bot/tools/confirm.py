"""Asking the requesting user before a tool marked for confirmation runs (Approve / Deny).

Only the requester's click counts; anyone else's is answered with a note and ignored. A
question nobody answers within ``timeout`` counts as Deny. Questions wait in this process:
a click that reaches another replica finds nothing to answer (the asker is told to retry)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.errors import BotError, describe_error
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
    UNKNOWN = "unknown"  # answered already, timed out, or asked by another process


@dataclass
class _Question:
    user_id: str
    decision: asyncio.Future[bool]


class Confirmations:
    def __init__(self, prompts: ConfirmationPrompts, *, timeout: float) -> None:
        self._prompts = prompts
        self._timeout = timeout
        self._open: dict[str, _Question] = {}

    async def ask(self, context: ToolContext, what: str) -> bool:
        """True once the requester approves; False on Deny or silence."""
        confirmation_id = secrets.token_hex(8)
        question = _Question(context.user_id, asyncio.get_running_loop().create_future())
        self._open[confirmation_id] = question
        try:
            ts = await self._prompts.ask(context, confirmation_id, what)
            try:
                async with asyncio.timeout(self._timeout):
                    approved = await question.decision
            except TimeoutError:
                approved = False
        except BotError as exc:  # the question could not be shown: nobody approved
            log.warning("could not ask for confirmation: %s", describe_error(exc))
            return False
        finally:
            del self._open[confirmation_id]
        try:
            await self._prompts.settle(context, ts, what, approved)
        except BotError as exc:
            log.warning("could not show the confirmation's outcome: %s", describe_error(exc))
        return approved

    def requester(self, confirmation_id: str) -> str | None:
        question = self._open.get(confirmation_id)
        return question.user_id if question is not None else None

    def answer(self, confirmation_id: str, user_id: str, *, approved: bool) -> Answer:
        question = self._open.get(confirmation_id)
        if question is None or question.decision.done():
            return Answer.UNKNOWN
        if user_id != question.user_id:
            return Answer.NOT_YOURS
        question.decision.set_result(approved)
        return Answer.TAKEN
