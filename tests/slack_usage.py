"""What the code asks of Slack, read from ``bot/`` with ``ast``: Web API methods called, events,
commands and interactive handlers registered. The manifest test compares it with manifest.yml."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# AsyncWebClient method names: ``chat_postMessage`` is ``chat.postMessage``.
_SDK_METHOD = re.compile(
    r"^(admin|apps|assistant_threads|auth|bookmarks|bots|calls|chat|conversations|dnd|emoji"
    r"|files|pins|reactions|reminders|search|stars|team|usergroups|users|views)_[A-Za-z0-9]+$"
)
# SDK helpers that call several methods.
_SDK_HELPERS = {
    "files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal"),
    "chat_stream": ("chat.startStream", "chat.appendStream", "chat.stopStream"),
}
# Utilities Bolt injects into listeners, and the method each calls.
_BOLT_UTILITIES = {
    "say": ("chat.postMessage",),
    "say_stream": ("chat.startStream", "chat.appendStream", "chat.stopStream"),
    "set_status": ("assistant.threads.setStatus",),
    "set_title": ("assistant.threads.setTitle",),
    "set_suggested_prompts": ("assistant.threads.setSuggestedPrompts",),
}
# ``app.assistant(...)`` subscribes to these.
_ASSISTANT_EVENTS = ("assistant_thread_started", "assistant_thread_context_changed", "message")
_INTERACTIVE = {
    "action",
    "block_action",
    "view",
    "view_submission",
    "shortcut",
    "message_shortcut",
    "global_shortcut",
    "options",
}


@dataclass
class SlackUsage:
    sdk_methods: set[str] = field(default_factory=set)
    """Methods named by the code itself (SDK calls, helpers): each must be a real method."""
    method_strings: set[str] = field(default_factory=set)
    """Every ``"x.y"``-shaped string: a method only when it is a real one (``api_call``)."""
    events: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    interactive: bool = False

    def methods(self, known: set[str]) -> set[str]:
        return self.sdk_methods | (self.method_strings & known)


def _string_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _calls(tree: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                yield node.func.attr, node
            elif isinstance(node.func, ast.Name):
                yield node.func.id, node


def scan(root: Path = BOT) -> SlackUsage:
    usage = SlackUsage()
    for path in sorted(root.rglob("*.py")):
        if "openai_api" in path.parts:  # never talks to Slack; ``chat.chat_body`` is OpenAI's
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and re.fullmatch(r"[a-z]+(\.[a-z][A-Za-z]+)+", text):
                usage.method_strings.add(text)
        edge = "listeners" in path.parts
        for name, call in _calls(tree):
            if name in _SDK_HELPERS:
                usage.sdk_methods.update(_SDK_HELPERS[name])
            elif _SDK_METHOD.match(name):
                usage.sdk_methods.add(name.replace("_", "."))
            elif edge:
                _edge_call(usage, name, call)
    return usage


def _edge_call(usage: SlackUsage, name: str, call: ast.Call) -> None:
    """Bolt registrations (``app.event("x")``, ``app.command("/x")`` …) and injected utilities."""
    registered = _string_arg(call)
    if name in _BOLT_UTILITIES:
        usage.sdk_methods.update(_BOLT_UTILITIES[name])
    elif name == "event" and registered:
        usage.events.add(registered)
    elif name == "message":
        usage.events.add("message")
    elif name == "assistant":
        usage.events.update(_ASSISTANT_EVENTS)
    elif name == "command" and registered:
        usage.commands.add(registered)
    elif name in _INTERACTIVE:
        usage.interactive = True
