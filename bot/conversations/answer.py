"""Running one answer: the model's stream written into Slack as it comes, and the outcome
reported as a value (what to store, and what went wrong if anything)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from bot.conversations.notices import DROPPED_FOOTNOTE, INTERRUPTED_MARK
from bot.conversations.prompt import Prompt, PromptBuilder
from bot.errors import BotError, ModelContextTooLong, ModelStreamInterrupted
from bot.openai_api.chat import ChatMessage, Usage
from bot.openai_api.client import OpenAIClient
from bot.slack_output.streaming import StreamingReply
from bot.store.models import TurnStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: TurnStatus
    text: str
    """The answer as stored: the whole text, or what was shown before it broke."""
    error: BotError | None = None
    usage: Usage | None = None
    """What the server reported for the call that gave the answer (None: it reported nothing)."""
    sent_tokens: int = 0
    """Our count of the prompt that call sent: the estimate when the server reported nothing."""

    @property
    def completion_tokens(self) -> int | None:
        return self.usage.completion_tokens if self.usage is not None else None


class AnswerRunner:
    def __init__(self, *, openai: OpenAIClient, prompts: PromptBuilder) -> None:
        self._openai = openai
        self._prompts = prompts

    async def run(self, prompt: Prompt, reply: StreamingReply) -> Outcome:
        """Stream the answer into ``reply``. The model failing, or Slack refusing part of the
        answer, is an outcome; anything else is raised."""
        sent = 0
        try:
            fitted = self._prompts.fit(prompt)
            try:
                sent = fitted.prompt_tokens
                usage = await self._stream(fitted.messages, prompt.model, reply)
            except ModelContextTooLong:
                if reply.text:
                    raise
                log.warning("context length exceeded; retrying once with a tighter budget")
                fitted = self._prompts.fit(prompt, tight=True)
                sent = fitted.prompt_tokens
                usage = await self._stream(fitted.messages, prompt.model, reply)
            answer = reply.text
            if fitted.dropped:
                await reply.append(f"\n\n{DROPPED_FOOTNOTE}")
            await reply.finish()
            return Outcome(TurnStatus.COMPLETE, answer, usage=usage, sent_tokens=sent)
        except BotError as exc:
            partial = exc.partial_text if isinstance(exc, ModelStreamInterrupted) else ""
            shown = partial or reply.text
            await close_interrupted(reply)
            status = TurnStatus.INTERRUPTED if shown else TurnStatus.FAILED
            return Outcome(status, shown, error=exc, sent_tokens=sent)

    async def _stream(
        self, messages: list[ChatMessage], model: str, reply: StreamingReply
    ) -> Usage | None:
        usage: Usage | None = None
        async with contextlib.aclosing(self._openai.stream_chat(messages, model=model)) as deltas:
            async for delta in deltas:
                if delta.text:
                    await reply.append(delta.text)
                usage = delta.usage or usage
        return usage


async def close_interrupted(reply: StreamingReply) -> None:
    """Keep what was shown, marked as cut off; a Slack that refuses even that is logged."""
    try:
        await reply.interrupt(INTERRUPTED_MARK)
    except BotError as exc:
        log.warning("could not mark the answer interrupted: %s", type(exc).__name__)
