"""Conversations and their turns. Repositories never commit: the service owning the unit of
work does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import (
    insert_ignoring_conflict,
    insert_many_ignoring_conflict,
    insert_returning_row,
)
from bot.store.models import (
    ChannelSettings,
    Conversation,
    Message,
    MessageFile,
    TurnStatus,
    core_table,
)

ThreadId = tuple[str, str, str]
"""(team_id, channel_id, thread_ts): one Slack thread, which is one conversation."""


@dataclass(frozen=True)
class NewConversation:
    thread: ThreadId
    enterprise_id: str | None
    kind: str


@dataclass(frozen=True)
class StoredTurn:
    """A user turn as stored, and whether this delivery is the one that owns (answers) it.
    ``fresh``: this call stored it, so nothing of an earlier attempt (an answer, tool rounds,
    files read) can be stored for it."""

    message: Message
    owned: bool
    fresh: bool = False


@dataclass(frozen=True)
class History:
    """A turn's earlier turns, oldest first, and the ids of those with files kept."""

    turns: Sequence[Message]
    with_files: frozenset[int]


@dataclass(frozen=True)
class TurnsAfter:
    next_user_ts: str | None
    answer_ts: frozenset[str]


# The statements of every answer are built once and given their values as parameters:
# building a statement (and its cache key) cost more CPU than running it.
_WITH_CHANNEL = (
    select(Conversation, ChannelSettings)
    .outerjoin(
        ChannelSettings,
        and_(
            ChannelSettings.team_id == Conversation.team_id,
            ChannelSettings.channel_id == Conversation.channel_id,
        ),
    )
    .where(
        Conversation.team_id == bindparam("team_id"),
        Conversation.channel_id == bindparam("channel_id"),
        Conversation.thread_ts == bindparam("thread_ts"),
    )
)

_HISTORY = (
    select(Message, exists().where(MessageFile.message_id == Message.id))
    .where(
        Message.conversation_id == bindparam("conversation_id"),
        Message.team_id == bindparam("team_id"),
        Message.id < bindparam("before"),
        or_(Message.text != "", Message.tool_calls.is_not(None)),
    )
    .order_by(Message.id)
)

_ADD_ASSISTANT = insert(core_table(Message)).returning(core_table(Message).c.id)
"""An answer as a Core insert: nothing reads it back as an object."""


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, team_id: str, channel_id: str, thread_ts: str) -> Conversation | None:
        return await self._session.scalar(
            select(Conversation).where(
                Conversation.team_id == team_id,
                Conversation.channel_id == channel_id,
                Conversation.thread_ts == thread_ts,
            )
        )

    async def ensure(self, new: Sequence[NewConversation]) -> None:
        """Record conversations in one statement; those that exist are left as they are.
        One row per thread, in thread order, so concurrent writers take the unique key's locks
        in one order and cannot deadlock on PostgreSQL."""
        first = {c.thread: c for c in reversed(new)}  # the first of each thread wins
        await insert_many_ignoring_conflict(
            self._session,
            Conversation,
            [
                {
                    "team_id": c.thread[0],
                    "enterprise_id": c.enterprise_id,
                    "channel_id": c.thread[1],
                    "thread_ts": c.thread[2],
                    "kind": c.kind,
                    "caught_up": False,
                }
                for _, c in sorted(first.items())
            ],
        )

    async def get_with_channel(
        self, team_id: str, channel_id: str, thread_ts: str
    ) -> tuple[Conversation, ChannelSettings | None] | None:
        """The conversation and its channel's ``/ai-settings`` row, in one query."""
        params = {"team_id": team_id, "channel_id": channel_id, "thread_ts": thread_ts}
        row = (await self._session.execute(_WITH_CHANNEL, params)).first()
        return None if row is None else (row[0], row[1])

    async def existing(self, threads: Sequence[ThreadId]) -> set[ThreadId]:
        """Which of these threads are conversations (one query)."""
        columns = (Conversation.team_id, Conversation.channel_id, Conversation.thread_ts)
        rows = await self._session.execute(
            select(*columns).where(tuple_(*columns).in_(list(set(threads))))
        )
        return {(str(row[0]), str(row[1]), str(row[2])) for row in rows.all()}

    async def talked_in(self, team_id: str, channel_id: str) -> bool:
        """Whether the bot has had a conversation in this channel (so it is, or was, a member)."""
        found = await self._session.scalar(
            select(Conversation.id)
            .where(Conversation.team_id == team_id, Conversation.channel_id == channel_id)
            .limit(1)
        )
        return found is not None

    async def mark_caught_up(self, conversation: Conversation) -> None:
        conversation.caught_up = True
        await self._session.flush()


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_user_turn(
        self,
        conversation: Conversation,
        *,
        slack_ts: str,
        slack_user_id: str,
        text: str,
        source_event_id: str,
        token_count: int | None = None,
        author_name: str | None = None,
    ) -> StoredTurn:
        """Store the turn once per Slack message; a second delivery of it gets ``owned=False``.
        A new turn comes back from the insert itself; only one already stored is looked up."""
        inserted = await insert_returning_row(
            self._session,
            Message,
            {
                "conversation_id": conversation.id,
                "team_id": conversation.team_id,
                "role": "user",
                "text": text,
                "slack_user_id": slack_user_id,
                "author_name": author_name,
                "slack_ts": slack_ts,
                "source_event_id": source_event_id,
                "status": TurnStatus.COMPLETE,
                "token_count": token_count,
            },
        )
        if inserted is not None:
            return StoredTurn(inserted, owned=True, fresh=True)
        message = await self.by_ts(conversation, slack_ts)
        assert message is not None, "inserted or already present"
        return StoredTurn(message, owned=message.source_event_id == source_event_id)

    async def add_context_turn(
        self,
        conversation: Conversation,
        *,
        role: str,
        slack_ts: str,
        slack_user_id: str | None,
        author_name: str | None,
        text: str,
        token_count: int | None,
    ) -> None:
        """An earlier thread message read during catch-up: context only, never answered."""
        await insert_ignoring_conflict(
            self._session,
            Message,
            {
                "conversation_id": conversation.id,
                "team_id": conversation.team_id,
                "role": role,
                "text": text,
                "slack_user_id": slack_user_id,
                "author_name": author_name,
                "slack_ts": slack_ts,
                "status": TurnStatus.COMPLETE,
                "token_count": token_count,
            },
        )

    async def has_turns(self, conversation: Conversation) -> bool:
        found = await self._session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conversation.id,
                Message.team_id == conversation.team_id,
            )
            .limit(1)
        )
        return found is not None

    async def apply_edit(self, team_id: str, channel_id: str, slack_ts: str, text: str) -> int:
        """The Slack message was edited: its stored user turns get the new text (counted again
        when next needed). How many turns there were."""
        return await self._update_user_turns(
            team_id, channel_id, slack_ts, text=text, token_count=None
        )

    async def erase(self, team_id: str, channel_id: str, slack_ts: str) -> int:
        """The Slack message was deleted: erase its text and author from its stored user turns,
        the text of the files attached to them and of the bot's stored answers to them, so none
        of it is kept or enters a later prompt. How many user turns there were."""
        turns = select(Message.id).where(*self._user_turns(team_id, channel_id, slack_ts))
        await self._session.execute(
            delete(MessageFile)
            .where(MessageFile.team_id == team_id, MessageFile.message_id.in_(turns))
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(Message)
            .where(
                Message.team_id == team_id,
                Message.role == "assistant",
                Message.reply_to_id.in_(turns.scalar_subquery()),
            )
            .values(text="", token_count=None)
            .execution_options(synchronize_session=False)
        )
        return await self._update_user_turns(
            team_id, channel_id, slack_ts, text="", token_count=None, author_name=None
        )

    async def _update_user_turns(
        self, team_id: str, channel_id: str, slack_ts: str, **values: object
    ) -> int:
        result = await self._session.execute(
            update(Message)
            .where(*self._user_turns(team_id, channel_id, slack_ts))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    def _user_turns(team_id: str, channel_id: str, slack_ts: str) -> list[ColumnElement[bool]]:
        """The conditions naming the stored user turns of one Slack message."""
        in_channel = select(Conversation.id).where(
            Conversation.team_id == team_id, Conversation.channel_id == channel_id
        )
        return [
            Message.team_id == team_id,
            Message.slack_ts == slack_ts,
            Message.role == "user",
            Message.conversation_id.in_(in_channel.scalar_subquery()),
        ]

    async def by_ts(self, conversation: Conversation, slack_ts: str) -> Message | None:
        return await self._session.scalar(
            select(Message).where(
                Message.conversation_id == conversation.id,
                Message.team_id == conversation.team_id,
                Message.slack_ts == slack_ts,
            )
        )

    async def answer_to(self, turn: Message) -> Message | None:
        return await self._session.scalar(
            select(Message).where(
                Message.reply_to_id == turn.id,
                Message.team_id == turn.team_id,
                Message.role == "assistant",
                Message.tool_calls.is_(None),  # a tool round is not the answer
            )
        )

    async def history_before(self, turn: Message) -> History:
        """Earlier turns of the conversation, oldest first (insertion order is turn order),
        and which of them have files kept (so their files are looked up only when there are)."""
        result = await self._session.execute(
            _HISTORY,
            {"conversation_id": turn.conversation_id, "team_id": turn.team_id, "before": turn.id},
        )
        rows = result.all()
        return History(
            turns=[message for message, _ in rows],
            with_files=frozenset(message.id for message, filed in rows if filed),
        )

    async def turns_after(self, thread: ThreadId, slack_ts: str) -> TurnsAfter:
        """What is stored of the thread after the message ``slack_ts``: the ts of the next
        user turn, and of the answers (Slack ts compare as numbers, not as strings). Tool
        rounds and results are not Slack messages (their ts are names, not numbers)."""
        team_id, channel_id, thread_ts = thread
        rows = await self._session.execute(
            select(Message.role, Message.slack_ts)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.team_id == team_id,
                Conversation.channel_id == channel_id,
                Conversation.thread_ts == thread_ts,
                Message.team_id == team_id,
                Message.role.in_(("user", "assistant")),
                Message.tool_calls.is_(None),
            )
        )
        after = Decimal(slack_ts)
        later = [(str(role), str(ts)) for role, ts in rows.all() if Decimal(ts) > after]
        users = [ts for role, ts in later if role == "user"]
        return TurnsAfter(
            next_user_ts=min(users, key=Decimal) if users else None,
            answer_ts=frozenset(ts for role, ts in later if role == "assistant"),
        )

    async def add_assistant_turn(
        self,
        answering: Message,
        *,
        slack_ts: str,
        text: str,
        status: TurnStatus,
        model: str,
        token_count: int | None,
    ) -> int:
        """Store the answer to ``answering``; its id."""
        result = await self._session.execute(
            _ADD_ASSISTANT,
            {
                "conversation_id": answering.conversation_id,
                "team_id": answering.team_id,
                "role": "assistant",
                "text": text,
                "slack_ts": slack_ts,
                "reply_to_id": answering.id,
                "status": status,
                "model": model,
                "token_count": token_count,
            },
        )
        return int(result.scalar_one())
