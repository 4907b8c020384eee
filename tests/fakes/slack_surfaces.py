"""The fake Slack's assistant-thread and view methods (titles, statuses, suggested prompts,
``views.publish``, ``views.open``), with Slack's limits on each."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.slack_content import SlackError, validate_blocks

Args = dict[str, Any]

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_MAX_PROMPTS = 4
_MAX_LOADING_MESSAGES = 10
_LOADING_MESSAGE_CHARS = 50


class AgentSurfaces:
    """``conversation`` checks a channel id like the workspace does (raising SlackError)."""

    def __init__(self, conversation: Callable[[object], str]) -> None:
        self._conversation = conversation
        self._ids = itertools.count(1)
        self.views: list[dict[str, Any]] = []
        self.handlers: dict[str, Callable[[Args], Args]] = {
            "assistant.threads.setStatus": self._set_status,
            "assistant.threads.setTitle": self._set_title,
            "assistant.threads.setSuggestedPrompts": self._set_prompts,
            "views.publish": self._publish_view,
            "views.open": self._open_view,
        }

    def _set_title(self, args: Args) -> Args:
        self._conversation(args["channel_id"])
        return {}

    def _set_status(self, args: Args) -> Args:
        self._conversation(args["channel_id"])
        loading = args.get("loading_messages")
        if loading is not None and not (
            isinstance(loading, list)
            and 1 <= len(loading) <= _MAX_LOADING_MESSAGES
            and all(isinstance(m, str) and 1 <= len(m) <= _LOADING_MESSAGE_CHARS for m in loading)
        ):
            raise SlackError("invalid_arguments", "[ERROR] loading_messages: 1-10 strings ≤ 50")
        return {}

    def _set_prompts(self, args: Args) -> Args:
        self._conversation(args["channel_id"])
        prompts = args["prompts"]
        if not (
            isinstance(prompts, list)
            and 1 <= len(prompts) <= _MAX_PROMPTS
            and all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts)
        ):
            raise SlackError("invalid_arguments", "[ERROR] prompts: 1-4 of {title, message}")
        return {}

    def _view(self, args: Args, kinds: tuple[str, ...]) -> Args:
        view = args["view"]
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", "[ERROR] view must be a JSON object")
        if view.get("type") not in kinds:
            raise SlackError("invalid_arguments", f"[ERROR] view type must be one of {kinds}")
        validate_blocks(view.get("blocks", []))
        shown = {"id": f"V{next(self._ids):08d}", **view}
        self.views.append(shown)
        return {"view": shown}

    def _publish_view(self, args: Args) -> Args:
        if not _USER_ID.match(str(args["user_id"])):
            raise SlackError("invalid_arguments", "invalid `user_id`")
        return self._view(args, ("home",))

    def _open_view(self, args: Args) -> Args:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise SlackError("invalid_arguments", "[ERROR] missing required field: trigger_id")
        view = args["view"]
        if isinstance(view, dict) and view.get("type") == "modal" and not view.get("title"):
            raise SlackError("invalid_arguments", "[ERROR] missing required field: title")
        return self._view(args, ("modal",))
