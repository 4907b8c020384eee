"""Running one answer: the model's stream written into Slack as it comes, and the outcome
reported as a value (what to store, and what went wrong if anything)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.conversations.budget import ContextBudget, FittedPrompt
from bot.conversations.notices import (
    DROPPED_FOOTNOTE,
    EMPTY_ANSWER_NOTICE,
    INTERRUPTED_MARK,
    LENGTH_CUT_MARK,
    history_capped_footnote,
)
from bot.conversations.progress import TaskState
from bot.conversations.prompt import Prompt, PromptBuilder
from bot.conversations.tool_loop import AnswerBound, ToolLoop
from bot.conversations.windows import (
    MAX_COMPLETION_TOKENS,
    MAX_TOKENS,
    ModelLimits,
    ModelWindows,
    ignored_bound,
)
from bot.conversations.work_steps import RETRYING
from bot.errors import (
    BotError,
    ModelContextTooLong,
    ModelError,
    ModelParameterRejected,
    ModelRateLimited,
    ModelStreamInterrupted,
)
from bot.openai_api.chat import Usage
from bot.policy.decision import Refusal
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
    usage: Usage | None = None
    """What the server reported for the call that gave the answer (None: it reported nothing)."""
    sent: FittedPrompt | None = None
    """The prompt that call sent (None: none was), for the estimate when the server reported
    nothing; counted exactly only then (``PromptBuilder.count_sent``)."""
    refusal: Refusal | None = None
    """The answer was withheld (output moderation); nothing was shown or is stored."""

    @property
    def completion_tokens(self) -> int | None:
        return self.usage.completion_tokens if self.usage is not None else None


class AnswerCheck(Protocol):
    """Whether a whole answer may be shown (``MODERATION=input,output``)."""

    @property
    def checks_output(self) -> bool: ...

    async def check_answer(self, text: str) -> Refusal | None: ...


class _HeldAnswer:
    """Collects an answer that may be shown only once it is checked."""

    def __init__(self) -> None:
        self.text = ""

    async def append(self, delta: str) -> None:
        self.text += delta


MAX_REFITS = 2
"""Refits after "context length exceeded", each sized by the server's own figures."""


@dataclass(frozen=True, slots=True)
class _Streamed:
    text: str
    """The last round's text: the answer as stored (earlier rounds' text is in their turns)."""
    usage: Usage | None
    finish_reason: str | None


@dataclass(slots=True)
class _Sent:
    """The prompt last sent, kept for the outcome even when the call failed."""

    fitted: FittedPrompt | None = None


class AnswerRunner:
    def __init__(
        self,
        *,
        prompts: PromptBuilder,
        loop: ToolLoop,
        windows: ModelWindows,
        answer_check: AnswerCheck | None = None,
    ) -> None:
        self._loop = loop
        self._prompts = prompts
        self._windows = windows
        self._check = answer_check if answer_check and answer_check.checks_output else None

    async def run(
        self, prompt: Prompt, reply: StreamingReply, asker: ToolContext | None = None
    ) -> Outcome:
        """Stream the answer into ``reply``, running the tools the model calls on behalf of
        ``asker`` (no tools without one). The model failing, or Slack refusing part of the
        answer, is an outcome; anything else is raised. An answer that must be checked first
        is held back until the model is done, then shown whole, or withheld."""
        sent = _Sent()
        try:
            sink = _HeldAnswer() if self._check is not None else reply
            fitted, budget, streamed = await self._fitted_stream(prompt, sink, reply, sent, asker)
            if self._check is not None:
                refusal = await self._check.check_answer(sink.text)
                if refusal is not None:
                    await reply.finish()
                    return Outcome(
                        TurnStatus.FAILED,
                        "",
                        usage=streamed.usage,
                        sent=sent.fitted,
                        refusal=refusal,
                    )
                await reply.append(sink.text)
            answer = streamed.text
            if not reply.text:  # the model said nothing: say so, where its answer would have been
                await reply.append(EMPTY_ANSWER_NOTICE)
            if streamed.finish_reason == "length":
                await reply.append(f"\n\n{LENGTH_CUT_MARK}")
            if fitted.history_capped and budget.history_limit is not None:
                await reply.append(f"\n\n{history_capped_footnote(budget.history_limit)}")
            elif fitted.dropped:
                await reply.append(f"\n\n{DROPPED_FOOTNOTE}")
            await reply.finish()
            return Outcome(TurnStatus.COMPLETE, answer, usage=streamed.usage, sent=sent.fitted)
        except BotError as exc:
            partial = exc.partial_text if isinstance(exc, ModelStreamInterrupted) else ""
            shown = partial or reply.text
            await close_interrupted(reply)
            status = TurnStatus.INTERRUPTED if shown else TurnStatus.FAILED
            return Outcome(status, shown, error=exc, sent=sent.fitted)

    async def prompt_tokens(self, prompt: Prompt) -> int:
        """What the answer will send, as our budget counts it (0 when nothing fits: the answer
        fails before the model is asked). Exact: a bound, up to ~4 times the count for English,
        would hold that much of the asker's budget and refuse their next message too early."""
        limits = await self._windows.limits(prompt.model)
        try:
            fitted = await self._prompts.fit(prompt, self._prompts.budget(limits))
        except ModelContextTooLong:
            return 0
        return await self._prompts.count_sent(prompt.model, fitted)

    async def _fitted_stream(
        self,
        prompt: Prompt,
        reply: StreamingReply | _HeldAnswer,
        progress: StreamingReply,
        sent: _Sent,
        asker: ToolContext | None,
    ) -> tuple[FittedPrompt, ContextBudget, _Streamed]:
        """Fit and stream with the answer bounded. When the server says the prompt does not
        fit, learn its window and count from the error and refit, at most ``MAX_REFITS``
        times; a server that refuses ``max_completion_tokens`` is asked again with
        ``max_tokens``, and one that ignored it gets ``max_tokens`` from the next answer on."""
        model = prompt.model
        limits = await self._windows.limits(model)
        refits = 0
        while True:
            budget = self._prompts.budget(limits)
            fitted = await self._prompts.fit(prompt, budget)
            bound = budget.reserve_for_answer
            sent.fitted = fitted
            try:
                streamed = await self._stream(prompt, fitted, bound, limits, reply, progress, asker)
            except ModelParameterRejected as exc:
                if exc.param != limits.answer_bound or exc.param == MAX_TOKENS or reply.text:
                    raise
                log.warning("the model server refuses %s; bounding with max_tokens", exc.param)
                limits = await self._windows.use_max_tokens(model, limits)
                continue
            except ModelContextTooLong as exc:
                if reply.text or refits == MAX_REFITS:
                    raise
                refits += 1
                # The ratio of the server's count to ours needs ours exact.
                counted = await self._prompts.count_sent(model, fitted)
                log.warning(
                    "context length exceeded; refitting with the server's figures",
                    extra={
                        "model": model,
                        "server_window": exc.window,
                        "server_prompt_tokens": exc.prompt_tokens,
                        "our_prompt_tokens": counted,
                    },
                )
                limits = await self._windows.learn(model, limits, exc, counted)
                continue
            produced = streamed.usage.completion_tokens if streamed.usage else None
            if produced is None:  # the server sent no usage: our count, in its tokens
                produced = round(
                    await self._prompts.count_answer(model, reply.text) * limits.token_ratio
                )
            if streamed.finish_reason != "length" and ignored_bound(limits, bound, produced):
                log.warning("the model server ignored max_completion_tokens; using max_tokens")
                await self._windows.use_max_tokens(model, limits)
            return fitted, budget, streamed

    async def _stream(
        self,
        prompt: Prompt,
        fitted: FittedPrompt,
        bound: int,
        limits: ModelLimits,
        reply: StreamingReply | _HeldAnswer,
        progress: StreamingReply,
        asker: ToolContext | None,
    ) -> _Streamed:
        waited = False

        async def on_retry(error: ModelError, seconds: float) -> None:
            """A rate limit shows as a step of work: the wait is the service's, not ours."""
            nonlocal waited
            if isinstance(error, ModelRateLimited):
                waited = True
                await progress.task(
                    RETRYING.at(TaskState.IN_PROGRESS, f"Trying again in {seconds:.0f}s")
                )

        async def on_output() -> None:
            nonlocal waited
            if waited:
                waited = False
                await progress.task(RETRYING.at(TaskState.COMPLETE))

        bounded = AnswerBound(
            max_completion_tokens=bound if limits.answer_bound == MAX_COMPLETION_TOKENS else None,
            max_tokens=bound if limits.answer_bound == MAX_TOKENS else None,
        )
        try:
            result = await self._loop.answer(
                fitted.messages,
                prompt.turn,
                prompt.model,
                reply,
                progress,
                asker,
                bound=bounded,
                on_retry=on_retry,
                on_output=on_output,
                resume=not prompt.fresh,
            )
        except ModelError:
            if waited:
                await progress.task(RETRYING.at(TaskState.ERROR, "Still busy"))
            raise
        return _Streamed(result.text, result.usage, result.finish_reason)


async def close_interrupted(reply: StreamingReply) -> None:
    """Keep what was shown, marked as cut off; a Slack that refuses even that is logged."""
    try:
        await reply.interrupt(INTERRUPTED_MARK)
    except BotError as exc:
        log.warning("could not mark the answer interrupted: %s", type(exc).__name__)
