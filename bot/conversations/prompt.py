"""Building the prompt for one message: the user turn stored once, history fitted to the
model's window, attachments turned into parts the model can read."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.budget import ContextBudget, FittedPrompt, fit_counted, fit_whole_by_bound
from bot.conversations.catch_up import CatchUp, history_message
from bot.conversations.channel_settings import overrides_of
from bot.conversations.notices import BARE_MENTION_PROMPT
from bot.conversations.progress import Progress, TaskState
from bot.conversations.tokens import TokenCounter
from bot.conversations.values import IncomingFile, IncomingMessage
from bot.conversations.vision import IMAGE_TYPES, ImageInputs, with_attachment_note
from bot.conversations.windows import ModelLimits, ModelWindows
from bot.conversations.work_steps import READING_FILES
from bot.documents import DocumentReader
from bot.inbox import InTransaction
from bot.openai_api.chat import ChatMessage
from bot.slack_output.safe_text import escape_mrkdwn
from bot.store.conversations_repo import ConversationRepository, MessageRepository
from bot.store.files_repo import FileText, MessageFileRepository
from bot.store.models import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerPolicy:
    model: str
    system_prompt: str
    answer_max_tokens: int
    history_max_tokens: int


@dataclass(frozen=True)
class Prompt:
    """Everything needed to ask the model, kept whole so it can be refitted more tightly."""

    turn: Message
    model: str
    system: ChatMessage
    history: list[ChatMessage]
    history_tokens: list[int | None]
    newest: ChatMessage
    notice: str | None
    """Something to tell the user before the answer (attachments skipped, …)."""
    files_text: str = ""
    """The text read from the message's attached files (in ``newest``), for moderation."""
    fresh: bool = False
    """The turn was stored by this attempt: no earlier attempt left tool rounds to resume."""

    @property
    def is_empty(self) -> bool:
        """A bare mention with nothing to go on."""
        return not self.newest["content"]


class PromptBuilder:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        counter: TokenCounter,
        policy: AnswerPolicy,
        catch_up: CatchUp,
        images_in: ImageInputs,
        documents: DocumentReader,
        windows: ModelWindows,
    ) -> None:
        self._sessions = sessions
        self._counter = counter
        self._policy = policy
        self._catch_up = catch_up
        self._images_in = images_in
        self._documents = documents
        self._windows = windows

    async def build(
        self,
        message: IncomingMessage,
        event_id: str,
        holds: AsyncExitStack,
        progress: Progress,
        answering: InTransaction | None = None,
    ) -> Prompt | None:
        """Store the user turn (once per Slack message) and build the prompt; None when the
        message is not this delivery's to answer (another delivery owns it, or it is answered).
        What the prompt holds of the process's budgets stays held until ``holds`` closes.
        Reading the thread and the attachments show on ``progress`` as steps of work.
        ``answering`` is written in the same transaction once the message is to be answered."""
        await self._catch_up.run(message, self._policy.model, progress)
        async with self._sessions.begin() as session:
            found = await ConversationRepository(session).get_with_channel(
                message.team_id, message.channel_id, message.thread_ts
            )
            if found is None:
                return None
            conversation, channel = found[0], overrides_of(found[1])
            messages = MessageRepository(session)
            model = conversation.model or channel.model or self._policy.model
            text = with_attachment_note(message.text, message.files)
            stored = await messages.add_user_turn(
                conversation,
                slack_ts=message.ts,
                slack_user_id=message.user_id,
                text=text,
                source_event_id=event_id,
                token_count=self._counter.count_if_loaded(model, {"role": "user", "content": text}),
            )
            if not stored.owned:
                log.info("message already taken by another delivery", extra={"event_id": event_id})
                return None
            if not stored.fresh and await messages.answer_to(stored.message) is not None:
                return None
            if answering is not None:
                await answering(session)
            earlier = await messages.history_before(stored.message)
            history = earlier.turns
            filed = [m for m in history if m.id in earlier.with_files]
            if not stored.fresh:  # an earlier attempt may have read this turn's files
                filed.append(stored.message)
            files = await MessageFileRepository(session).of_turns(filed)
            system = (
                conversation.system_prompt or channel.system_prompt or self._policy.system_prompt
            )
        turns = [_with_files(history_message(m), files.get(m.id, [])) for m in history]
        counts = [
            self._history_tokens(model, m, t, files.get(m.id, []))
            for m, t in zip(history, turns, strict=True)
        ]
        if not text and turns:
            text = BARE_MENTION_PROMPT  # mentioned mid-thread: the discussion is the question
        attached = files.get(stored.message.id)
        if attached is None:  # a retried answer finds the files its first attempt read
            attached = await self._read_files(stored.message, message.files, model, progress)
        newest = "\n\n".join([text, *(f.text for f in attached)]) if attached else text
        content = await self._images_in.user_content(newest, message.files, model, holds, progress)
        notes = [escape_mrkdwn(f.note) for f in attached if f.note] + list(content.notes)
        return Prompt(
            stored.message,
            model,
            {"role": "system", "content": system},
            turns,
            counts,
            content.message,
            ":information_source: " + " ".join(notes) if notes else None,
            "\n\n".join(f.text for f in attached),
            fresh=stored.fresh,
        )

    async def _read_files(
        self, turn: Message, files: tuple[IncomingFile, ...], model: str, progress: Progress
    ) -> list[FileText]:
        """Read the turn's files that are not pictures, once, and keep them with the turn; files
        get at most half the prompt, so the thread's recent history still fits beside them.
        Reading them shows on ``progress`` as a step of work."""
        documents = [f for f in files if f.mimetype not in IMAGE_TYPES]
        if not documents:
            return []
        room = self.budget(await self._windows.limits(model)).prompt_limit // 2
        await progress.task(READING_FILES.at(TaskState.IN_PROGRESS))
        read = await self._documents.read(documents, model, room)
        kept = [FileText(d.file_id, d.name, d.mimetype, d.text, d.tokens, d.note) for d in read]
        async with self._sessions.begin() as session:
            await MessageFileRepository(session).add(turn, kept)
        count = f"{len(read)} file{'' if len(read) == 1 else 's'}"
        await progress.task(READING_FILES.at(TaskState.COMPLETE, count))
        return kept

    def _history_tokens(
        self, model: str, turn: Message, message: ChatMessage, files: list[FileText]
    ) -> int | None:
        """The stored count with the turn's files, or None: not counted, ``fit`` bounds it or
        counts it only if it has to."""
        if turn.token_count is None:
            return None
        return turn.token_count + sum(f.token_count for f in files)

    def budget(self, limits: ModelLimits) -> ContextBudget:
        return ContextBudget.for_window(
            limits.window,
            token_ratio=limits.token_ratio,
            answer_max_tokens=self._policy.answer_max_tokens,
            history_limit=self._policy.history_max_tokens,
        )

    async def fit(self, prompt: Prompt, budget: ContextBudget) -> FittedPrompt:
        """The messages to send within ``budget``; ``prompt_tokens`` may be a bound. When the
        bound of everything does not fit, the encoding is loaded first (off the event loop)."""
        whole = fit_whole_by_bound(
            self._counter,
            prompt.system,
            prompt.history,
            prompt.newest,
            budget,
            prompt.history_tokens,
        )
        if whole is not None:
            return whole
        await self._counter.load(prompt.model)
        return fit_counted(
            self._counter,
            prompt.model,
            prompt.system,
            prompt.history,
            prompt.newest,
            budget,
            prompt.history_tokens,
        )

    async def count_answer(self, model: str, text: str) -> int:
        await self._counter.load(model)
        return self._counter.count_message(model, {"role": "assistant", "content": text})

    def count_answer_if_loaded(self, model: str, text: str) -> int | None:
        """An answer's count to store: None unless it costs no encoding load."""
        return self._counter.count_if_loaded(model, {"role": "assistant", "content": text})

    async def count_sent(self, model: str, fitted: FittedPrompt) -> int:
        """Our exact count of a fitted prompt, for where a bound will not do (the usage estimate,
        the budget hold, learning the server's tokens per ours)."""
        if fitted.exact:
            return fitted.prompt_tokens
        await self._counter.load(model)
        return self._counter.count_messages(model, fitted.messages)


def _with_files(message: ChatMessage, files: list[FileText]) -> ChatMessage:
    """A stored user turn with the text of the files that came with it."""
    if not files or not isinstance(message["content"], str):
        return message
    return {**message, "content": "\n\n".join([message["content"], *(f.text for f in files)])}
