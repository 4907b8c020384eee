"""The state behind the fake Slack and its Web API methods, with Slack's argument rules."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.fakes.slack_content import (
    TASK_DISPLAY_MODES,
    FakeMessage,
    SlackError,
    message_content,
    stream_chunks,
    stream_text,
    ts_order,
    validate_blocks,
)
from tests.fakes.slack_files import SlackFiles
from tests.fakes.slack_requests import new_ts
from tests.fakes.slack_surfaces import AgentSurfaces

Args = dict[str, Any]

_CONVERSATION_ID = re.compile(r"^[CDG][A-Z0-9]+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_MAY_BE_EMPTY = {"status"}  # an empty assistant status clears it
_REQUIRED: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "team.info": (),
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "chat.postEphemeral": ("channel", "user"),
    "chat.delete": ("channel", "ts"),
    "chat.startStream": ("channel", "thread_ts"),
    "chat.appendStream": ("channel", "ts"),
    "chat.stopStream": ("channel", "ts"),
    "assistant.threads.setStatus": ("channel_id", "thread_ts", "status"),
    "assistant.threads.setTitle": ("channel_id", "thread_ts", "title"),
    "assistant.threads.setSuggestedPrompts": ("channel_id", "prompts"),
    "conversations.replies": ("channel", "ts"),
    "conversations.info": ("channel",),
    "conversations.open": (),
    "users.info": ("user",),
    "usergroups.users.list": ("usergroup",),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "files.info": ("file",),
    "reactions.add": ("name", "timestamp", "channel"),
    "views.publish": ("user_id", "view"),
    "views.open": ("view",),
}


@dataclass
class Identity:
    token: str
    team_id: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    is_enterprise_install: bool = False


class SlackWorkspace:
    """Messages, threads, files and channels of one workspace, changed by Web API calls."""

    def __init__(self, identity: Identity) -> None:
        self.me = identity
        self.messages: dict[tuple[str, str], FakeMessage] = {}
        self.files = SlackFiles(identity.team_id, self._postable)
        self.not_in_channel: set[str] = set()
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.roles: dict[str, str] = {}  # user id → is_admin | is_owner | is_primary_owner
        self.usergroups: dict[str, list[str]] = {}  # S… → member user ids
        self.stream_lifetime: int | None = None
        """Stream calls a streamed message takes before Slack ends its stream (None: never)."""
        self.surfaces = AgentSurfaces(self._conversation)
        self.views = self.surfaces.views
        self._reactions: set[tuple[str, str, str]] = set()
        self._handlers: dict[str, Callable[[Args], Args]] = {
            "auth.test": self._auth_test,
            "team.info": lambda _: {
                "team": {"id": self.me.team_id, "name": "Fake Team", "domain": "fake"}
            },
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.delete": self._delete,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            **self.surfaces.handlers,
            "conversations.replies": self._replies,
            "conversations.info": self._conversation_info,
            "conversations.open": self._open,
            "users.info": self._user_info,
            "usergroups.users.list": self._usergroup_users,
            **self.files.handlers,
            "reactions.add": self._react,
        }

    def knows(self, method: str) -> bool:
        return method in self._handlers

    def call(self, method: str, args: Args) -> Args:
        """Run ``method``; the answer's fields besides ``ok``, or ``SlackError``."""
        missing = [
            name
            for name in _REQUIRED[method]
            if args.get(name) is None or (args[name] == "" and name not in _MAY_BE_EMPTY)
        ]
        if missing:
            raise SlackError("invalid_arguments", f"[ERROR] missing required field: {missing[0]}")
        return self._handlers[method](args)

    def bot_message_dict(self, message: FakeMessage) -> dict[str, Any]:
        """A message as Slack's API returns it."""
        shown: dict[str, Any] = {
            "type": "message",
            "user": self.me.bot_user_id,
            "bot_id": self.me.bot_id,
            "app_id": "A0001",
            "text": message.markdown_text if message.markdown_text is not None else message.text,
            "ts": message.ts,
        }
        if message.thread_ts:
            shown["thread_ts"] = message.thread_ts
        if message.blocks:
            shown["blocks"] = message.blocks
        return shown

    def _conversation(self, value: object) -> str:
        """A channel id; a user id means the bot's DM with that user, as Slack treats it."""
        channel = str(value)
        if _USER_ID.match(channel):
            return f"D{channel[1:]}"
        if not _CONVERSATION_ID.match(channel):
            raise SlackError("channel_not_found")
        return channel

    def _postable(self, value: object) -> str:
        channel = self._conversation(value)
        if channel in self.not_in_channel:
            raise SlackError("not_in_channel")
        return channel

    def _bot_message(self, args: Args) -> FakeMessage:
        key = (self._conversation(args["channel"]), str(args["ts"]))
        if key not in self.messages:
            raise SlackError("message_not_found")
        return self.messages[key]

    def _auth_test(self, _: Args) -> Args:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake Team",
            "user": "bot",
            "team_id": self.me.team_id,
            "user_id": self.me.bot_user_id,
            "bot_id": self.me.bot_id,
            "is_enterprise_install": self.me.is_enterprise_install,
            **({"enterprise_id": self.me.enterprise_id} if self.me.enterprise_id else {}),
        }

    def _post_message(self, args: Args) -> Args:
        channel = self._postable(args["channel"])
        content = message_content(args)
        message = FakeMessage(
            channel,
            new_ts(),
            args.get("thread_ts") or None,
            content.text,
            content.markdown_text,
            content.blocks,
            user=self.me.bot_user_id,
        )
        self.messages[(channel, message.ts)] = message
        return self._posted(message, content.warnings)

    def _posted(self, message: FakeMessage, warnings: list[str] | None = None) -> Args:
        answer: Args = {
            "channel": message.channel,
            "ts": message.ts,
            "message": self.bot_message_dict(message),
        }
        if warnings:
            answer["warning"] = ",".join(warnings)
            answer["response_metadata"] = {"warnings": warnings}
        return answer

    def _update(self, args: Args) -> Args:
        message = self._bot_message(args)
        if message.streaming:
            raise SlackError("streaming_state_conflict")
        content = message_content(args)
        if content.markdown_text:
            message.text, message.blocks = None, None
        message.markdown_text = content.markdown_text
        if content.text is not None:
            message.text = content.text
        if content.blocks is not None:
            message.blocks = content.blocks or None
        return self._posted(message, content.warnings)

    def _post_ephemeral(self, args: Args) -> Args:
        self._postable(args["channel"])
        message_content(args)
        return {"message_ts": new_ts()}

    def _delete(self, args: Args) -> Args:
        message = self._bot_message(args)
        del self.messages[(message.channel, message.ts)]
        return {"channel": message.channel, "ts": message.ts}

    def _start_stream(self, args: Args) -> Args:
        channel = self._postable(args["channel"])
        if channel[0] in "CG":
            if not args.get("recipient_user_id"):
                raise SlackError("missing_recipient_user_id")
            if not args.get("recipient_team_id"):
                raise SlackError("missing_recipient_team_id")
        mode = args.get("task_display_mode")
        if mode is not None and mode not in TASK_DISPLAY_MODES:
            raise SlackError("invalid_arguments", "[ERROR] task_display_mode must be timeline|plan")
        text = stream_text(args)
        message = FakeMessage(
            channel,
            new_ts(),
            str(args["thread_ts"]),
            markdown_text=text,
            streaming=True,
            user=self.me.bot_user_id,
            tasks=_tasks(args),
        )
        self.messages[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts}

    def _streaming_message(self, args: Args) -> FakeMessage:
        message = self._bot_message(args)
        message.stream_calls += 1
        if self.stream_lifetime is not None and message.stream_calls > self.stream_lifetime:
            message.streaming = False  # Slack ended the stream: its lifetime is over
        if not message.streaming:
            raise SlackError("message_not_in_streaming_state")
        return message

    def _append_stream(self, args: Args) -> Args:
        message = self._streaming_message(args)
        text = stream_text(args)
        tasks = _tasks(args)
        if not (text or tasks or args.get("chunks")):
            raise SlackError("no_text")
        message.markdown_text = (message.markdown_text or "") + text
        message.tasks.extend(tasks)
        return {"channel": message.channel, "ts": message.ts}

    def _stop_stream(self, args: Args) -> Args:
        message = self._streaming_message(args)
        blocks = args.get("blocks")
        message.markdown_text = (message.markdown_text or "") + stream_text(args)
        message.tasks.extend(_tasks(args))
        if blocks is not None:
            message.blocks = validate_blocks(blocks) or None
        message.streaming = False
        return self._posted(message)

    def _replies(self, args: Args) -> Args:
        channel, ts = self._conversation(args["channel"]), str(args["ts"])
        if channel in self.not_in_channel:  # Slack hides private conversations altogether
            raise SlackError("not_in_channel" if channel[0] == "C" else "channel_not_found")
        found = {m["ts"]: m for m in self.threads.get((channel, ts), [])}
        for message in self.messages.values():
            if message.channel == channel and ts in (message.ts, message.thread_ts):
                found[message.ts] = self.bot_message_dict(message)
        if not found:
            raise SlackError("thread_not_found")
        ordered = sorted(found.values(), key=lambda m: ts_order(str(m["ts"])))
        # Slack returns the thread's parent first whatever the bounds say.
        ordered = [m for m in ordered if m["ts"] == ts or _within_bounds(str(m["ts"]), args)]
        limit = max(1, min(int(args.get("limit") or 1000), 1000))
        start = self._cursor_offset(str(args.get("cursor") or ""))
        page = ordered[start : start + limit]
        has_more = start + limit < len(ordered)
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if has_more else ""
        return {
            "messages": page,
            "has_more": has_more,
            "response_metadata": {"next_cursor": cursor},
        }

    @staticmethod
    def _cursor_offset(cursor: str) -> int:
        if not cursor:
            return 0
        try:
            return int(base64.b64decode(cursor).decode().removeprefix("offset:"))
        except ValueError:
            raise SlackError("invalid_cursor") from None

    def _conversation_info(self, args: Args) -> Args:
        channel = self._conversation(args["channel"])
        info: Args = {
            "id": channel,
            "is_channel": channel[0] == "C",
            "is_group": channel[0] == "G",
            "is_im": channel[0] == "D",
            "is_private": channel[0] != "C",
            "is_member": channel not in self.not_in_channel,
        }
        if channel[0] == "D":
            info["user"] = f"U{channel[1:]}"
        else:
            info["name"] = f"channel-{channel.lower()}"
        return {"channel": info}

    def _open(self, args: Args) -> Args:
        if args.get("channel"):
            return {"channel": {"id": self._conversation(args["channel"])}}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if any(not _USER_ID.match(user) for user in users):
            raise SlackError("user_not_found")
        channel = f"D{users[0][1:]}" if len(users) == 1 else f"G{''.join(u[1:] for u in users)}"
        return {"channel": {"id": channel}}

    def _user_info(self, args: Args) -> Args:
        user = str(args["user"])
        if not _USER_ID.match(user):
            raise SlackError("user_not_found")
        name = "Fake Bot" if user == self.me.bot_user_id else f"Person {user}"
        profile = {
            "real_name": name,
            "display_name": name.split()[-1].lower(),
            "real_name_normalized": name,
            "display_name_normalized": name.split()[-1].lower(),
        }
        role = self.roles.get(user)
        flags = {flag: flag == role for flag in ("is_admin", "is_owner", "is_primary_owner")}
        if role in ("is_owner", "is_primary_owner"):
            flags["is_admin"] = True  # Slack's owners are admins too
        return {
            "user": {
                "id": user,
                "team_id": self.me.team_id,
                "name": profile["display_name"],
                "real_name": name,
                "is_bot": user == self.me.bot_user_id,
                **flags,
                "tz": "Europe/London",
                "profile": profile,
            }
        }

    def _usergroup_users(self, args: Args) -> Args:
        members = self.usergroups.get(str(args["usergroup"]))
        if members is None:
            raise SlackError("no_such_subteam")
        return {"users": list(members)}

    def _react(self, args: Args) -> Args:
        key = (self._conversation(args["channel"]), str(args["timestamp"]), str(args["name"]))
        if key in self._reactions:
            raise SlackError("already_reacted")
        self._reactions.add(key)
        return {}


def _tasks(args: Args) -> list[dict[str, Any]]:
    return [chunk for chunk in stream_chunks(args) if chunk["type"] == "task_update"]


def _within_bounds(ts: str, args: Args) -> bool:
    """``oldest`` < ts < ``latest`` (``inclusive``: ≤), as conversations.history/replies filter."""
    inclusive = args.get("inclusive") in (True, 1, "1", "true")
    moment = Decimal(ts)
    oldest = _timestamp(str(args.get("oldest") or "0"), "invalid_ts_oldest")
    latest = args.get("latest")
    if moment < oldest or (moment == oldest and not inclusive):
        return False
    if latest is None:
        return True
    end = _timestamp(str(latest), "invalid_ts_latest")
    return moment < end or (moment == end and inclusive)


def _timestamp(value: str, error: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise SlackError(error) from None
