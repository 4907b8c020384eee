"""The small typed values the domain works with; listeners build them from Slack payloads."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ThreadKey:
    """One Slack thread, which is one conversation."""

    team_id: str
    channel_id: str
    thread_ts: str


@dataclass(frozen=True)
class IncomingFile:
    id: str
    name: str
    mimetype: str
    size: int
    url_private: str


@dataclass(frozen=True)
class IncomingMessage:
    """A user's message the bot may answer: in a DM, mentioning it, or in a thread it is part of."""

    event_id: str
    team_id: str
    enterprise_id: str | None
    channel_id: str
    is_dm: bool
    user_id: str
    text: str
    ts: str
    thread_ts: str
    mentioned: bool
    files: tuple[IncomingFile, ...] = field(default=())
    # The asker's own team: differs from team_id in Slack Connect and Enterprise Grid channels.
    user_team_id: str | None = None

    @property
    def thread(self) -> ThreadKey:
        return ThreadKey(self.team_id, self.channel_id, self.thread_ts)

    @property
    def kind(self) -> str:
        return "dm" if self.is_dm else "channel_thread"

    def to_payload(self) -> str:
        """JSON of everything but the text, which the inbox keeps apart (edits, deletes)."""
        data = asdict(self)
        del data["text"]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_payload(cls, payload: str, text: str) -> IncomingMessage:
        data: dict[str, Any] = json.loads(payload)
        files = tuple(IncomingFile(**f) for f in data.pop("files", ()))
        return cls(**data, text=text, files=files)
