"""The one tool loop: the model's answer streamed into Slack; the tools it calls run, their
results go back to it, and it is asked again, at most ``max_rounds`` times (the last round is
told to answer without tools).

Each round is stored as turns: the assistant turn naming the calls *before* any of them runs,
each result *after* it ran. An attempt that takes over finds them: what ran is not run again,
and a call without a stored result is reported to the model as interrupted, never repeated.
Reasoning a server streams beside the answer is shown as a "Thinking" step, never as answer
text and never stored."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.progress import Progress, TaskState, TaskStep
from bot.conversations.tokens import base_model_name
from bot.conversations.tool_turns import (
    assistant_calls,
    call_records,
    result_message,
    stored_calls,
    well_formed,
)
from bot.errors import ModelStatusError
from bot.openai_api.chat import ChatMessage, ToolCallRequest, Usage
from bot.openai_api.client import OpenAIClient
from bot.openai_api.retry import RetryWait
from bot.reference import new_reference_id
from bot.store.models import Message, TurnStatus
from bot.store.tool_turns_repo import ToolTurnRepository
from bot.tools.base import Tool, ToolContext, ToolOutput, function_spec
from bot.tools.confirm import Confirmations
from bot.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

INTERRUPTED_RESULT = (
    "This tool call was interrupted (the bot restarted while it ran) and was not run again: "
    "it may or may not have taken effect. Tell the user, and do not call it again unasked."
)
_REASONING_MODELS = re.compile(r"^(o\d|gpt-5)")
_THINKING_SHOWN_CHARS = 1500
_THINKING_UPDATE_CHARS = 400
_SHORT_CHARS = 80


class AnswerText(Protocol):
    """Where the answer's text goes: the Slack reply, or a holder while it awaits its check."""

    @property
    def text(self) -> str: ...

    async def append(self, delta: str) -> None: ...


@dataclass(frozen=True, slots=True)
class AnswerBound:
    """The answer's length bound, in the field the model server honours."""

    max_completion_tokens: int | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class LoopResult:
    text: str
    """The last round's text: the answer as stored (earlier rounds' text is in their turns)."""
    usage: Usage | None
    """Summed over the rounds; None when the server reported none."""
    finish_reason: str | None
    """The last round's."""


@dataclass(frozen=True)
class _Round:
    calls: tuple[ToolCallRequest, ...]
    usage: Usage | None
    finish_reason: str | None


def _sum(total: Usage | None, more: Usage | None) -> Usage | None:
    if more is None:
        return total
    if total is None:
        return more
    return Usage(
        total.prompt_tokens + more.prompt_tokens, total.completion_tokens + more.completion_tokens
    )


def reasoning_effort_for(model: str, effort: str | None) -> str | None:
    """``OPENAI_REASONING_EFFORT`` for models that take it (o-series, gpt-5 family)."""
    return effort if effort and _REASONING_MODELS.match(base_model_name(model)) else None


class ToolLoop:
    def __init__(
        self,
        *,
        openai: OpenAIClient,
        toolbox: Toolbox,
        sessions: async_sessionmaker[AsyncSession],
        confirmations: Confirmations,
        count: Callable[[str, str], int | None],
        max_rounds: int = 5,
        reasoning_effort: str | None = None,
    ) -> None:
        self._openai = openai
        self._toolbox = toolbox
        self._sessions = sessions
        self._confirmations = confirmations
        self._count = count
        self._max_rounds = max_rounds
        self._effort = reasoning_effort

    async def answer(
        self,
        messages: Sequence[ChatMessage],
        turn: Message,
        model: str,
        reply: AnswerText,
        progress: Progress,
        context: ToolContext | None,
        *,
        bound: AnswerBound = AnswerBound(),
        on_retry: RetryWait | None = None,
        on_output: Callable[[], Awaitable[None]] | None = None,
        resume: bool = True,
    ) -> LoopResult:
        """The answer streamed into ``reply`` (steps of work on ``progress``), tool rounds run
        for ``context`` (no tools without one); ``on_retry`` hears of a wait before the model
        is asked again, ``on_output`` of each piece of output that follows. ``resume``: look
        for rounds an earlier attempt stored (False when ``turn`` is new, so none can be)."""
        transcript, rounds = await self._resume(turn, model, progress) if resume else ([], 0)
        tools = self._toolbox.available(model) if context is not None else []
        usage: Usage | None = None
        while True:
            offset = len(reply.text)
            final = rounds >= self._max_rounds
            try:
                done = await self._stream(
                    [*messages, *transcript],
                    model,
                    _Output(reply, progress, on_output),
                    tools,
                    final=final,
                    bound=bound,
                    on_retry=on_retry,
                )
            except ModelStatusError as exc:
                if not tools or len(reply.text) > offset or not _refuses_tools(exc):
                    raise
                log.warning("model %s refused tools (%s); answering without", model, exc.status)
                self._toolbox.refused_by(model)
                tools = []
                continue
            usage = _sum(usage, done.usage)
            if not done.calls or not tools or final:  # a server ignoring tool_choice stops too
                return LoopResult(reply.text[offset:].lstrip("\n"), usage, done.finish_reason)
            assert context is not None  # tools are offered only with a context
            rounds += 1
            transcript += await self._run_round(
                turn,
                model,
                rounds,
                reply.text[offset:].lstrip("\n"),
                done.calls,
                tools,
                progress,
                context,
            )

    async def _stream(
        self,
        messages: list[ChatMessage],
        model: str,
        output: _Output,
        tools: Sequence[Tool],
        *,
        final: bool,
        bound: AnswerBound,
        on_retry: RetryWait | None,
    ) -> _Round:
        specs = [function_spec(t) for t in tools]
        reply = output.reply
        thinking = _Thinking(output.progress, str(len(messages)))
        done = _Round((), None, None)
        gap = "\n\n" if reply.text and not reply.text.endswith("\n") else ""
        stream = self._openai.stream_chat(
            well_formed(messages),
            model=model,
            max_completion_tokens=bound.max_completion_tokens,
            max_tokens=bound.max_tokens,
            tools=specs,
            reasoning_effort=reasoning_effort_for(model, self._effort),
            extra={"tool_choice": "none"} if final and specs else None,
            on_retry=on_retry,
        )
        async with contextlib.aclosing(stream) as deltas:
            async for delta in deltas:
                await output.heard()
                if delta.reasoning:
                    await thinking.add(delta.reasoning)
                if delta.text:
                    await thinking.finish()
                    await reply.append(gap + delta.text)
                    gap = ""
                if delta.done:
                    done = _Round(delta.tool_calls, delta.usage, delta.finish_reason)
        await thinking.finish()
        return done

    async def _run_round(
        self,
        turn: Message,
        model: str,
        number: int,
        text: str,
        calls: Sequence[ToolCallRequest],
        tools: Sequence[Tool],
        progress: Progress,
        context: ToolContext,
    ) -> list[ChatMessage]:
        """Record the calls, then run each and record its result; the round's messages."""
        tokens = self._count(model, text + json.dumps(call_records(calls)))
        await self._store(
            lambda repo: repo.add_calls(
                turn,
                round_number=number,
                text=text,
                calls=call_records(calls),
                model=model,
                token_count=tokens,
            )
        )
        messages = [assistant_calls(text, calls)]
        by_name = {t.name: t for t in tools}
        for index, call in enumerate(calls):
            output = await self._run_call(call, by_name.get(call.name), progress, context)
            await self._store_result(turn, model, number, index, call.id, output)
            messages.append(result_message(call.id, output.text))
        return messages

    async def _run_call(
        self, call: ToolCallRequest, tool: Tool | None, progress: Progress, context: ToolContext
    ) -> ToolOutput:
        arguments = _arguments(call.arguments)
        title = f"{tool.title if tool else call.name} {_short(call.arguments)}".strip()
        step = f"tool-{call.id}"
        await progress.task(TaskStep(step, title, TaskState.IN_PROGRESS))
        if tool is None:
            output = ToolOutput(f"There is no tool named {call.name}.", ok=False)
        elif arguments is None:
            output = ToolOutput("The arguments were not a JSON object; call it again.", ok=False)
        else:
            output = await self._execute(tool, arguments, context, title)
        state = TaskState.COMPLETE if output.ok else TaskState.ERROR
        await progress.task(TaskStep(step, title, state, details=_short(output.text)))
        return output

    async def _execute(
        self, tool: Tool, arguments: Mapping[str, Any], context: ToolContext, title: str
    ) -> ToolOutput:
        # Budgets, access rules and moderation of tool use (bot/policy, built in parallel)
        # answer through each tool's permit().
        refusal = await tool.permit(arguments, context)
        if refusal is not None:
            return ToolOutput(f"Not allowed: {refusal.notice}", ok=False)
        if tool.needs_confirmation and not await self._confirmations.ask(context, title):
            return ToolOutput("The user did not approve this call, so it was not run.", ok=False)
        try:
            return await tool.run(arguments, context)
        except Exception:
            reference_id = new_reference_id()
            log.exception("tool %s failed", tool.title, extra={"reference_id": reference_id})
            return ToolOutput(f"The tool failed (reference {reference_id}).", ok=False)

    async def _resume(
        self, turn: Message, model: str, progress: Progress
    ) -> tuple[list[ChatMessage], int]:
        """The rounds an earlier attempt stored; calls it left without a result are recorded
        as interrupted (never run again). The messages, and how many rounds there were."""
        async with self._sessions.begin() as session:
            stored = await ToolTurnRepository(session).rounds_for(turn)
        results = {t.tool_call_id: t.text for t in stored if t.role == "tool" and t.tool_call_id}
        messages: list[ChatMessage] = []
        rounds = [t for t in stored if t.tool_calls is not None]
        for number, round_turn in enumerate(rounds, start=1):
            calls = stored_calls(round_turn)
            messages.append(assistant_calls(round_turn.text, calls))
            for index, call in enumerate(calls):
                if call.id not in results:
                    log.warning("tool call %s was interrupted; not running it again", call.name)
                    output = ToolOutput(INTERRUPTED_RESULT, ok=False)
                    await self._store_result(turn, model, number, index, call.id, output)
                    await progress.task(
                        TaskStep(f"tool-{call.id}", call.name, TaskState.ERROR, "interrupted")
                    )
                    results[call.id] = output.text
                messages.append(result_message(call.id, results[call.id]))
        return messages, len(rounds)

    async def _store_result(
        self, turn: Message, model: str, number: int, index: int, call_id: str, output: ToolOutput
    ) -> None:
        if output.ok:
            status = TurnStatus.COMPLETE
        elif output.text == INTERRUPTED_RESULT:
            status = TurnStatus.INTERRUPTED
        else:
            status = TurnStatus.FAILED
        tokens = self._count(model, output.text)
        await self._store(
            lambda repo: repo.add_result(
                turn,
                round_number=number,
                index=index,
                call_id=call_id,
                text=output.text,
                status=status,
                token_count=tokens,
            )
        )

    async def _store(self, write: Callable[[ToolTurnRepository], Awaitable[None]]) -> None:
        async with self._sessions.begin() as session:
            await write(ToolTurnRepository(session))


@dataclass(frozen=True, slots=True)
class _Output:
    reply: AnswerText
    progress: Progress
    on_output: Callable[[], Awaitable[None]] | None

    async def heard(self) -> None:
        if self.on_output is not None:
            await self.on_output()


class _Thinking:
    """Reasoning shown as one task step while it arrives (throttled), completed when the
    answer starts; the text itself goes nowhere else."""

    def __init__(self, progress: Progress, key: str) -> None:
        self._progress = progress
        self._id = f"thinking-{key}"
        self._text = ""
        self._shown = 0
        self._done = False

    async def add(self, text: str) -> None:
        first = not self._text
        self._text += text
        if first or len(self._text) - self._shown >= _THINKING_UPDATE_CHARS:
            self._shown = len(self._text)
            await self._show(TaskState.IN_PROGRESS)

    async def finish(self) -> None:
        if self._text and not self._done:
            self._done = True
            await self._show(TaskState.COMPLETE)

    async def _show(self, state: TaskState) -> None:
        details = self._text[-_THINKING_SHOWN_CHARS:]
        await self._progress.task(TaskStep(self._id, "Thinking", state, details=details))


def _arguments(raw: str) -> Mapping[str, Any] | None:
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHORT_CHARS else flat[: _SHORT_CHARS - 1] + "…"


def _refuses_tools(error: ModelStatusError) -> bool:
    """vLLM, Ollama and llama.cpp say so with a 400 that names tools."""
    return error.status in (400, 422, 501) and "tool" in str(error).lower()
