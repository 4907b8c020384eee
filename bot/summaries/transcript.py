"""The model's side of a summary: its instructions, and the thread as a transcript fitted into
the context window and ``HISTORY_MAX_TOKENS`` (the first message, which says what the thread is
about, and the newest messages that fit after it)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversations.budget import ContextBudget
from bot.conversations.catch_up import ThreadMessage
from bot.conversations.tokens import REPLY_PRIMING_TOKENS, TokenCounter
from bot.openai_api.chat import ChatMessage

INSTRUCTIONS = """You summarize Slack threads for people who were not there.
Write in the language most of the thread is written in, in Markdown, with these sections:
**Summary** (two to five sentences), **Decisions**, **Open questions**, and **Owners and next \
steps** (who does what, using the names as they appear in the thread). Under a section with \
nothing in it, write "None". Say only what the thread says; never invent decisions, owners or \
dates. Keep it short."""

BOT_NAME = "AI Assistant (this bot)"


def _line(message: ThreadMessage) -> str:
    author = BOT_NAME if message.from_this_bot else message.author_name or message.user_id
    return f"{author or 'someone'}: {message.text}"


def summary_prompt(
    counter: TokenCounter, model: str, messages: Sequence[ThreadMessage], budget: ContextBudget
) -> tuple[list[ChatMessage], int]:
    """The messages to send and how many thread messages were left out to fit."""
    system: ChatMessage = {"role": "system", "content": INSTRUCTIONS}
    lines = [_line(m) for m in messages]
    room = (
        budget.prompt_limit
        - REPLY_PRIMING_TOKENS
        - counter.count_message(model, system)
        - counter.count_message(model, {"role": "user", "content": _heading(len(lines), 0)})
    )
    if budget.history_cap is not None:  # HISTORY_MAX_TOKENS bounds a summary's cost too
        room = min(room, budget.history_cap)
    first = lines[:1]
    first_cost = counter.count_text(model, first[0]) if first else 0
    room -= first_cost
    if first and room < 0:  # one message longer than the window: keep its head and tail
        first = [counter.truncate_text(model, first[0], max(first_cost + room, 0))]
    kept: list[str] = []
    for line in reversed(lines[1:]):
        cost = counter.count_text(model, line) + 1
        if cost > room:
            break
        room -= cost
        kept.append(line)
    shown = [*first, *reversed(kept)]
    left_out = len(lines) - len(shown)
    transcript = _heading(len(lines), left_out) + "\n\n" + "\n\n".join(shown)
    return [system, {"role": "user", "content": transcript}], left_out


def _heading(count: int, left_out: int) -> str:
    heading = f"Summarize this Slack thread of {count} messages."
    if left_out:
        heading += (
            f" {left_out} messages after the first were left out to fit; the newest are here."
        )
    return heading
