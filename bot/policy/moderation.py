"""Moderation of what is asked (``MODERATION=input``) and of what the model answers
(``input,output``), with OpenAI's moderation endpoint.

A flagged request is refused with a calm notice naming the categories in plain words (never
the scores). A moderation server that fails, or lacks the endpoint (many self-hosted servers),
is ``MODERATION_ON_ERROR``: ``allow`` answers anyway and warns in the log at most once a
minute, ``refuse`` declines. Either way it is counted. Nothing here logs the text."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.errors import ModelError, describe_error
from bot.metrics import Metrics
from bot.openai_api.moderations import ModerationResult
from bot.policy.decision import Refusal
from bot.policy.rules import PolicyRequest, RequestKind

log = logging.getLogger(__name__)

WARNING_INTERVAL_SECONDS = 60.0

_PLAIN_WORDS = {
    "harassment": "harassment",
    "harassment/threatening": "threats",
    "hate": "hate",
    "hate/threatening": "hateful threats",
    "illicit": "help with wrongdoing",
    "illicit/violent": "help with violent wrongdoing",
    "self-harm": "self-harm",
    "self-harm/intent": "self-harm",
    "self-harm/instructions": "self-harm",
    "sexual": "sexual content",
    "sexual/minors": "sexual content involving minors",
    "violence": "violence",
    "violence/graphic": "graphic violence",
}
UNAVAILABLE = Refusal(
    "moderation_unavailable",
    "Sorry, I can't take requests right now: the safety check they go through is not "
    "answering. Please try again in a little while.",
    private=True,
)


@dataclass(frozen=True, slots=True)
class ModerationRefusal(Refusal):
    """A refusal by moderation, with the flagged categories (stored; never the text)."""

    categories: tuple[str, ...] = ()


def plain_categories(categories: Sequence[str]) -> str:
    """``["violence/graphic", "harassment"]`` → "harassment and graphic violence"."""
    words = list(dict.fromkeys(_PLAIN_WORDS.get(c, c.replace("/", " ")) for c in categories))
    words.sort()
    if not words:
        return "content it does not allow"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


class Moderator(Protocol):
    async def moderate(
        self, text: str, *, model: str, images: Sequence[str] = ()
    ) -> ModerationResult: ...


@dataclass(frozen=True)
class ModerationSettings:
    model: str
    check_input: bool
    check_output: bool
    refuse_on_error: bool


class ModerationRule:
    """A policy rule (the request's text and images) and the check of an answer."""

    def __init__(
        self,
        moderator: Moderator,
        settings: ModerationSettings,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._moderator = moderator
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._quiet_until = float("-inf")

    @property
    def checks_output(self) -> bool:
        return self._settings.check_output

    async def check(self, request: PolicyRequest) -> Refusal | None:
        if not self._settings.check_input or not (request.text or request.images):
            return None
        asked = "prompt" if request.kind is RequestKind.IMAGE else "message"
        return await self._moderated(request.text, request.images, "input_flagged", asked)

    async def check_answer(self, text: str) -> Refusal | None:
        """For ``input,output``: whether the model's answer may be shown."""
        if not self._settings.check_output or not text:
            return None
        return await self._moderated(text, (), "output_flagged", "answer")

    async def _moderated(
        self, text: str, images: Sequence[str], code: str, what: str
    ) -> Refusal | None:
        try:
            result = await self._moderator.moderate(text, model=self._settings.model, images=images)
        except ModelError as exc:
            return self._unavailable(exc)
        if not result.flagged:
            return None
        if what == "answer":
            notice = (
                "_I wrote an answer, but it was withheld: the safety check found "
                f"{plain_categories(result.categories)} in it. Try asking differently._"
            )
        else:
            notice = (
                f"I can't help with that {what}: the safety check found "
                f"{plain_categories(result.categories)} in it. "
                "If that seems wrong, try rephrasing."
            )
        return ModerationRefusal(
            code, notice, private=what != "answer", categories=result.categories
        )

    def _unavailable(self, error: ModelError) -> Refusal | None:
        self._metrics.moderation_error(error)
        if self._settings.refuse_on_error:
            log.warning("moderation failed; refusing: %s", describe_error(error))
            return UNAVAILABLE
        now = self._clock()
        if now >= self._quiet_until:
            self._quiet_until = now + WARNING_INTERVAL_SECONDS
            log.warning(
                "moderation failed; answering unchecked (MODERATION_ON_ERROR=allow, this "
                "warning at most once a minute): %s",
                describe_error(error),
            )
        return None
