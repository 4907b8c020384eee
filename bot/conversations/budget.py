"""Fitting a thread's history into the model's context window.

History comes from our store, never from Slack, so a long thread can hold more than the model
takes: the oldest turns go first, the system prompt and the message being answered always stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.conversations.tokens import REPLY_PRIMING_TOKENS, TokenCounter, base_model_name
from bot.errors import ModelContextTooLong
from bot.openai_api.chat import ChatMessage, ContentPart

_CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-5-chat": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.5": 128_000,
    "gpt-4o": 128_000,
    "chatgpt-4o": 128_000,
    "o1": 200_000,
    "o1-mini": 128_000,
    "o1-preview": 128_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "gpt-4-turbo": 128_000,
    "gpt-4-1106": 128_000,
    "gpt-4-0125": 128_000,
    "gpt-4-32k": 32_768,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
}
"""Model-name prefix → context window in tokens; the longest matching prefix wins."""

DEFAULT_CONTEXT_TOKENS = 128_000
"""Assumed for a model neither ``MODEL_CONTEXT_TOKENS`` nor the table knows, until the server
says otherwise (see ``bot.conversations.windows``)."""

EVERY_MODEL = "*"
"""The key of ``MODEL_CONTEXT_TOKENS``'s window for every model (a bare number)."""


def assumed_window(model: str, configured: Mapping[str, int]) -> int:
    """The window we assume for ``model`` before any server said otherwise: the operator's
    entry for it (``MODEL_CONTEXT_TOKENS``), else the operator's window for every model, else
    the built-in table, else ``DEFAULT_CONTEXT_TOKENS``. Only the operator knows what a
    self-hosted or Azure-named model was deployed with."""
    names = (model.strip().lower(), base_model_name(model))
    named = {name: tokens for name, tokens in configured.items() if name != EVERY_MODEL}
    found = _longest_prefix(names, named)
    if found is None:
        found = configured.get(EVERY_MODEL)
    if found is None:
        found = _longest_prefix(names, _CONTEXT_WINDOWS)
    return DEFAULT_CONTEXT_TOKENS if found is None else found


def _longest_prefix(names: Sequence[str], table: Mapping[str, int]) -> int | None:
    """The entry of the longest prefix of the first of ``names`` that has one."""
    for name in names:
        matches = [prefix for prefix in table if name.startswith(prefix)]
        if matches:
            return table[max(matches, key=len)]
    return None


@dataclass(frozen=True)
class ContextBudget:
    """A context window with room kept free for the answer, in the server's tokens, and what
    that allows of our own count: ``token_ratio`` is the server's tokens per token we count.

    ``history_limit`` (``HISTORY_MAX_TOKENS``) caps the history sent however large the
    window, so one answer's cost stays bounded on 1M-token models."""

    context_tokens: int
    reserve_for_answer: int
    history_limit: int | None = None
    token_ratio: float = 1.0

    def __post_init__(self) -> None:
        if self.reserve_for_answer < 0 or self.context_tokens <= self.reserve_for_answer:
            raise ValueError(
                f"context_tokens ({self.context_tokens}) must exceed "
                f"reserve_for_answer ({self.reserve_for_answer}), which must not be negative"
            )
        if self.token_ratio <= 0:
            raise ValueError(f"token_ratio must be positive, got {self.token_ratio}")

    @classmethod
    def for_window(
        cls, window: int, *, token_ratio: float, answer_max_tokens: int, history_limit: int
    ) -> ContextBudget:
        """The answer gets ``answer_max_tokens``, but never more than half a small window."""
        return cls(window, min(answer_max_tokens, window // 2), history_limit, token_ratio)

    @property
    def prompt_limit(self) -> int:
        """The most tokens of ours the prompt may take."""
        return int((self.context_tokens - self.reserve_for_answer) / self.token_ratio)

    @property
    def history_cap(self) -> int | None:
        """The most tokens of ours the history may take, whatever room the window leaves."""
        return None if self.history_limit is None else int(self.history_limit / self.token_ratio)


@dataclass(frozen=True)
class FittedPrompt:
    """The messages to send, how many history turns were left out, and what we counted.
    ``history_capped``: turns were left out for ``history_limit``, not for the window.
    ``exact``: ``prompt_tokens`` is our count; when False it is an upper bound (everything fit
    by the bound, so nothing was encoded)."""

    messages: list[ChatMessage]
    dropped: int
    prompt_tokens: int
    history_capped: bool = False
    exact: bool = True


def fit_history(
    counter: TokenCounter,
    model: str,
    system: ChatMessage,
    history: Sequence[ChatMessage],
    newest: ChatMessage,
    budget: ContextBudget,
    history_tokens: Sequence[int | None] | None = None,
) -> FittedPrompt:
    """Keep the newest history turns that fit beside ``system`` and ``newest``.

    ``history_tokens``, when given, holds ``counter.count_message(model, turn)`` for each turn of
    ``history`` (the store keeps it per message), or None for a turn not counted. When the
    bound of everything (``counter.bound_message`` for what has no count) fits, everything is
    sent and nothing is encoded. Otherwise each turn is counted at most once, newest first, and
    counting stops at the first turn that does not fit. If even ``system`` and ``newest``
    overflow, the text of ``newest`` is cut in the middle.
    Raises ``ModelContextTooLong`` when the system prompt alone leaves no room.
    """
    if history_tokens is not None and len(history_tokens) != len(history):
        raise ValueError("history_tokens must hold one count per history message")
    known: Sequence[int | None] = history_tokens or [None] * len(history)
    bounded = fit_whole_by_bound(counter, system, history, newest, budget, known)
    if bounded is not None:
        return bounded
    return fit_counted(counter, model, system, history, newest, budget, known)


def fit_counted(
    counter: TokenCounter,
    model: str,
    system: ChatMessage,
    history: Sequence[ChatMessage],
    newest: ChatMessage,
    budget: ContextBudget,
    known: Sequence[int | None],
) -> FittedPrompt:
    """``fit_history`` once the bound of everything did not fit: counted exactly (``known``
    holds a stored count or None for each history turn)."""
    fixed = REPLY_PRIMING_TOKENS + counter.count_message(model, system)
    newest_tokens = counter.count_message(model, newest)
    window_room = budget.prompt_limit - fixed - newest_tokens
    if window_room < 0:
        cut = _truncate_turn(counter, model, newest, overflow=-window_room)
        prompt_tokens = fixed + counter.count_message(model, cut)
        return FittedPrompt([system, cut], dropped=len(history), prompt_tokens=prompt_tokens)
    cap = budget.history_cap
    room = window_room if cap is None else min(window_room, cap)
    used = 0
    start = len(history)
    while start > 0:
        index = start - 1
        stored = known[index]
        cost = counter.count_message(model, history[index]) if stored is None else stored
        if used + cost > room:
            break
        used += cost
        start = index
    return FittedPrompt(
        [system, *history[start:], newest],
        dropped=start,
        prompt_tokens=fixed + used + newest_tokens,
        history_capped=start > 0 and room < window_room,
    )


def fit_whole_by_bound(
    counter: TokenCounter,
    system: ChatMessage,
    history: Sequence[ChatMessage],
    newest: ChatMessage,
    budget: ContextBudget,
    known: Sequence[int | None],
) -> FittedPrompt | None:
    """Everything, when a bound of it fits the window and the history cap; else None (without
    encoding anything). The exact counts are no larger, so the exact fit would keep everything
    too: same messages."""
    fixed = REPLY_PRIMING_TOKENS + counter.bound_message(system) + counter.bound_message(newest)
    used = sum(
        counter.bound_message(turn) if stored is None else stored
        for turn, stored in zip(history, known, strict=True)
    )
    cap = budget.history_cap
    if fixed + used > budget.prompt_limit or (cap is not None and used > cap):
        return None
    return FittedPrompt([system, *history, newest], 0, fixed + used, exact=False)


def _truncate_turn(
    counter: TokenCounter, model: str, message: ChatMessage, overflow: int
) -> ChatMessage:
    """Shorten ``message``'s text, longest text part first, by ``overflow`` tokens in all."""
    content = message["content"]
    texts = [content] if isinstance(content, str) else [_part_text(part) for part in content]
    for index in sorted(range(len(texts)), key=lambda i: len(texts[i] or ""), reverse=True):
        text = texts[index]
        if overflow <= 0 or text is None:
            break
        before = counter.count_text(model, text)
        texts[index] = counter.truncate_text(model, text, max(before - overflow, 0))
        overflow -= before - counter.count_text(model, texts[index] or "")
    if overflow > 0:
        raise ModelContextTooLong(
            "The system prompt leaves no room for the message in the model's context window",
            code="context_length_exceeded",
        )
    if isinstance(content, str):
        return {"role": message["role"], "content": texts[0] or ""}
    parts: list[ContentPart] = [
        part if text is None else {"type": "text", "text": text}
        for part, text in zip(content, texts, strict=True)
    ]
    return {"role": message["role"], "content": parts}


def _part_text(part: ContentPart) -> str | None:
    return part["text"] if part["type"] == "text" else None
