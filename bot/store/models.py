"""ORM models: the conversation store, the durable inbox, and what later features record.

Every row carries ``team_id`` and every query is scoped by it, so one workspace can never read
another's conversations.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
_Id = BigInteger().with_variant(Integer(), "sqlite")
_SlackId = String(32)


class InboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class TurnStatus(StrEnum):
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class ImageStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DECLINED = "declined"
    FAILED = "failed"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def core_table(model: type[Base]) -> Table:
    """The model's table, for Core statements on the answer's hot path: no ORM unit of work,
    no identity map to synchronise, where nothing needs the row as an object."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class Conversation(_Timestamps, Base):
    """One Slack thread. Per-conversation overrides win over channel settings and defaults."""

    __tablename__ = "conversations"
    # One conversation per Slack thread, whichever event told us about it first.
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "thread_ts"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    enterprise_id: Mapped[str | None] = mapped_column(_SlackId)
    channel_id: Mapped[str] = mapped_column(_SlackId)
    thread_ts: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # channel_thread | dm | assistant_thread
    model: Mapped[str | None] = mapped_column(String(128))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    # The thread was read once from Slack (mid-thread mention); it is never read again.
    caught_up: Mapped[bool] = mapped_column(default=False)


class Message(_Timestamps, Base):
    """One turn. Turns are ordered by ``id``: the per-thread lock makes insertion order the
    conversational order (a user turn is stored only after the previous answer)."""

    __tablename__ = "messages"
    # One turn per Slack message, however many events announce it (app_mention + message.*).
    __table_args__ = (
        UniqueConstraint("conversation_id", "slack_ts"),
        Index("ix_messages_reply_to_id", "reply_to_id"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[str] = mapped_column(_SlackId)
    role: Mapped[str] = mapped_column(String(16))  # system | user | assistant | tool
    text: Mapped[str] = mapped_column(Text)
    slack_user_id: Mapped[str | None] = mapped_column(_SlackId)
    author_name: Mapped[str | None] = mapped_column(String(255))
    slack_ts: Mapped[str] = mapped_column(String(32))
    # The delivery that created a user turn is the one that answers it: duplicates see another id.
    source_event_id: Mapped[str | None] = mapped_column(String(64))
    # For assistant turns: the user turn they answer (lets recovery know it is already answered).
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=TurnStatus.COMPLETE)
    token_count: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(128))
    # An assistant turn that called tools: JSON list of {id, name, arguments}, stored before
    # any of them runs; each result is a "tool" turn naming its call, stored after it ran.
    tool_calls: Mapped[str | None] = mapped_column(Text)
    tool_call_id: Mapped[str | None] = mapped_column(String(64))


class InboxItem(_Timestamps, Base):
    """Every accepted Slack delivery, recorded before Slack gets its acknowledgement."""

    __tablename__ = "inbox"
    __table_args__ = (
        # Index for the recovery sweep: pending rows and expired leases.
        Index("ix_inbox_status_lease", "status", "lease_expires_at"),
        # Edits and deletes find the deliveries of one Slack message by these columns.
        Index("ix_inbox_team_id_channel_id_message_ts", "team_id", "channel_id", "message_ts"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    # Slack retries carry the same event_id: the unique key drops them, on every replica.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    # An Enterprise Grid org's deliveries are found by it when an org-wide install goes.
    enterprise_id: Mapped[str | None] = mapped_column(_SlackId)
    kind: Mapped[str] = mapped_column(String(32))
    # The Slack message the delivery is about, when it is about one.
    channel_id: Mapped[str | None] = mapped_column(_SlackId)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # JSON of the typed value a listener built; never Slack's raw envelope (it carries tokens).
    payload: Mapped[str] = mapped_column(Text)
    # What a person wrote, apart from the payload: an edit or a delete is one UPDATE of it.
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Space-separated ts of the messages this delivery's answer wrote so far (a takeover closes
    # them all); "?" while a message is being opened and its ts is not known yet (for the
    # first message, from the transaction that stores the user turn on).
    reply_ts: Mapped[str | None] = mapped_column(Text)
    reference_id: Mapped[str | None] = mapped_column(String(32))
    # The error's type and a short reason, never message text.
    last_error: Mapped[str | None] = mapped_column(Text)


class ImageRequest(_Timestamps, Base):
    """Who asked ``/imagine`` for what, and what became of it."""

    __tablename__ = "image_requests"

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(_SlackId, index=True)
    enterprise_id: Mapped[str | None] = mapped_column(_SlackId)
    channel_id: Mapped[str] = mapped_column(_SlackId)
    user_id: Mapped[str] = mapped_column(_SlackId)
    prompt: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    model: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=ImageStatus.PENDING)
    delivered_to: Mapped[str | None] = mapped_column(_SlackId)
    slack_file_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    reference_id: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class ChannelSettings(_Timestamps, Base):
    """A channel's own system prompt and model, set with ``/ai-settings``."""

    __tablename__ = "channel_settings"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    channel_id: Mapped[str] = mapped_column(_SlackId)
    model: Mapped[str | None] = mapped_column(String(128))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(_SlackId)


class Feedback(_Timestamps, Base):
    """👍/👎 on an answer; a user's later click replaces their earlier one."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts", "user_id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    channel_id: Mapped[str] = mapped_column(_SlackId)
    message_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(_SlackId)
    value: Mapped[str] = mapped_column(String(8))  # up | down
    # What went wrong, in the voter's words (the optional modal after a 👎).
    comment: Mapped[str | None] = mapped_column(Text)


class ModelWindow(_Timestamps, Base):
    """What the model server taught us about one model, so every replica sends what fits: the
    context window its "context length exceeded" errors named, how its token count compares
    to ours, and which answer bound it honours. Not per workspace (no ``team_id``): it
    describes the server, which all workspaces share, and holds nothing of theirs."""

    __tablename__ = "model_windows"
    # One row per model on one server: a model name means different things on different servers.
    __table_args__ = (UniqueConstraint("server", "model"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    # The base URL without credentials or query (scheme, host, port, path).
    server: Mapped[str] = mapped_column(String(255))
    model: Mapped[str] = mapped_column(String(128))
    context_tokens: Mapped[int | None] = mapped_column(Integer)
    # The window we assumed when the server corrected it: once the configuration assumes
    # another one, the operator has spoken and the learned window no longer applies.
    assumed_tokens: Mapped[int | None] = mapped_column(Integer)
    # The server's tokens per token we count (its tokenizer is not ours).
    token_ratio: Mapped[float | None] = mapped_column(Float)
    # "max_tokens" when the server refuses or ignores ``max_completion_tokens``.
    answer_bound: Mapped[str | None] = mapped_column(String(32))


class PolicyRefusal(_Timestamps, Base):
    """A request the policy refused: who, where, and why (a code, and moderation's flagged
    categories). Never what was asked."""

    __tablename__ = "policy_refusals"
    __table_args__ = (
        # A refused person is told once per thread: finds their earlier refusals in a thread.
        Index(
            "ix_policy_refusals_team_id_channel_id_thread_ts_user_id",
            "team_id",
            "channel_id",
            "thread_ts",
            "user_id",
        ),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    channel_id: Mapped[str] = mapped_column(_SlackId)
    # "" for requests outside a thread (/imagine).
    thread_ts: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[str] = mapped_column(_SlackId)
    kind: Mapped[str] = mapped_column(String(16))  # answer | image | summary
    code: Mapped[str] = mapped_column(String(32))
    # Space-separated flagged categories (moderation), else "".
    categories: Mapped[str] = mapped_column(Text, default="")


class UsageRecord(Base):
    """One model call: what it used, for whom. Budgets and ``python -m bot usage`` read it.

    Retention keeps a row's figures (tokens, images, model, day) but clears whom it was for."""

    __tablename__ = "usage"
    __table_args__ = (
        # Budgets sum one user's day and one workspace's month; reports scan by time.
        Index("ix_usage_team_id_user_id_created_at", "team_id", "user_id", "created_at"),
        Index("ix_usage_team_id_created_at", "team_id", "created_at"),
        Index("ix_usage_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    team_id: Mapped[str] = mapped_column(_SlackId)
    enterprise_id: Mapped[str | None] = mapped_column(_SlackId)
    user_id: Mapped[str | None] = mapped_column(_SlackId)
    channel_id: Mapped[str | None] = mapped_column(_SlackId)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))  # chat | image | moderation
    model: Mapped[str] = mapped_column(String(128))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    # The server sent no usage: the token figures are our own count.
    estimated: Mapped[bool] = mapped_column(default=False)
    images: Mapped[int] = mapped_column(Integer, default=0)
    image_size: Mapped[str | None] = mapped_column(String(32))
    image_quality: Mapped[str | None] = mapped_column(String(16))


class ToolConfirmation(_Timestamps, Base):
    """An Approve / Deny question about one tool call. Kept in the database so a click that
    reaches any replica decides it, and only once (``decision`` goes from NULL exactly once)."""

    __tablename__ = "tool_confirmations"

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    # The id in the buttons' value: random, so a click cannot guess another question.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    user_id: Mapped[str] = mapped_column(_SlackId)  # the requester: only their click counts
    decision: Mapped[str | None] = mapped_column(String(16))  # approved | denied


class Installation(_Timestamps, Base):
    """The app installed in one workspace, or org-wide in an Enterprise Grid org (``team_id``
    empty). Tokens and the webhook URL are Fernet-encrypted (``bot.installations.crypto``)."""

    __tablename__ = "installations"
    # One installation per workspace or org: a reinstall replaces it. Empty strings, not NULLs,
    # for "no enterprise" and "org-wide", so the unique key holds on both backends.
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(_SlackId, server_default="")
    team_id: Mapped[str] = mapped_column(_SlackId, server_default="")
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, server_default=false())
    app_id: Mapped[str | None] = mapped_column(_SlackId)
    enterprise_name: Mapped[str | None] = mapped_column(String(255))
    enterprise_url: Mapped[str | None] = mapped_column(String(255))
    team_name: Mapped[str | None] = mapped_column(String(255))
    bot_id: Mapped[str | None] = mapped_column(_SlackId)
    bot_user_id: Mapped[str | None] = mapped_column(_SlackId)
    bot_scopes: Mapped[str] = mapped_column(Text, server_default="")
    bot_token: Mapped[str | None] = mapped_column(Text)
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[str | None] = mapped_column(_SlackId)
    user_scopes: Mapped[str] = mapped_column(Text, server_default="")
    user_token: Mapped[str | None] = mapped_column(Text)
    user_refresh_token: Mapped[str | None] = mapped_column(Text)
    user_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    incoming_webhook_url: Mapped[str | None] = mapped_column(Text)
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(255))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(_SlackId)
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(Text)
    token_type: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OAuthState(Base):
    """An install started at ``/slack/install``: its ``state`` is good once, until it expires."""

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    # The expiry sweep deletes by it.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class MessageFile(_Timestamps, Base):
    """A file attached to a user turn, as the model is given it: read from Slack once and kept
    with the turn, so later answers in the thread never download it again."""

    __tablename__ = "message_files"
    # One row per file of a turn: a retried or taken-over answer finds what was already read.
    __table_args__ = (UniqueConstraint("message_id", "slack_file_id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(_SlackId)
    slack_file_id: Mapped[str] = mapped_column(_SlackId)
    name: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(255))
    # The file's text framed by its name (perhaps an excerpt), or a line saying why it was not
    # read; a retention purge empties it like a turn's text.
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int] = mapped_column(Integer)
    # What the person who attached it was told (skipped, excerpted), in plain text.
    note: Mapped[str | None] = mapped_column(Text)


class ThreadSummary(_Timestamps, Base):
    """A summary made with the "Summarize thread" shortcut, kept so that its "Share in thread"
    button (Slack gives ephemeral messages' content to no one) can post it once."""

    __tablename__ = "thread_summaries"

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(_SlackId)
    channel_id: Mapped[str] = mapped_column(_SlackId)
    thread_ts: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(_SlackId)
    text: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))
    # The message that shared it in the thread; set once, so a second click posts nothing.
    shared_ts: Mapped[str | None] = mapped_column(String(32))
