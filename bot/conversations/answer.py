"""Running one answer: the model's stream written into Slack as it comes, and the outcome
reported as a value (what to store, and what went wrong if anything)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.conversations.notices import DROPPED_FOOTNOTE, INTERRUPTED_MARK
from bot.conversations.prompt import Prompt, PromptBuilder
from bot.conversations.tool_loop import ToolLoop
from bot.errors import BotError, ModelContextTooLong, ModelStreamInterrupted
from bot.slack_output.streaming import StreamingReply
from bot.store.models import TurnStatus
from bot.tools.base import ToolContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: TurnStatus
    text: str
    """The answer as stored: the whole text, or what was shown before it broke."""
    error: BotError | None = None
    completion_tokens: int | None = None


class AnswerRunner:
    def __init__(self, *, prompts: PromptBuilder, loop: ToolLoop) -> None:
        self._prompts = prompts
        self._loop = loop

    async def run(
        self, prompt: Prompt, reply: StreamingReply, asker: ToolContext | None = None
    ) -> Outcome:
        """Stream the answer into ``reply``, running the tools the model calls on behalf of
        ``asker`` (no tools without one). The model failing, or Slack refusing part of the
        answer, is an outcome; anything else is raised."""
        try:
            fitted = self._prompts.fit(prompt)
            try:
                result = await self._loop.answer(
                    fitted.messages, prompt.turn, prompt.model, reply, asker
                )
            except ModelContextTooLong:
                if reply.text:
                    raise
                log.warning("context length exceeded; retrying once with a tighter budget")
                fitted = self._prompts.fit(prompt, tight=True)
                result = await self._loop.answer(
                    fitted.messages, prompt.turn, prompt.model, reply, asker
                )
            if fitted.dropped:
                await reply.append(f"\n\n{DROPPED_FOOTNOTE}")
            await reply.finish()
            return Outcome(
                TurnStatus.COMPLETE, result.text, completion_tokens=result.completion_tokens
            )
        except BotError as exc:
            partial = exc.partial_text if isinstance(exc, ModelStreamInterrupted) else ""
            shown = partial or reply.text
            await close_interrupted(reply)
            status = TurnStatus.INTERRUPTED if shown else TurnStatus.FAILED
            return Outcome(status, shown, error=exc)


async def close_interrupted(reply: StreamingReply) -> None:
    """Keep what was shown, marked as cut off; a Slack that refuses even that is logged."""
    try:
        await reply.interrupt(INTERRUPTED_MARK)
    except BotError as exc:
        log.warning("could not mark the answer interrupted: %s", type(exc).__name__)
