"""What fits the model server: the window and answer bound we assume for a model, corrected by
what the server itself says when a request does not fit, and remembered (``model_windows``)
so every replica sends what fits from then on.

A "context length exceeded" names the server's window and, mostly, its count of our messages;
that count against ours says how far off our tokenizer is for this model (a llama or mistral
tokenizer is not OpenAI's), so the refit is sized in the server's own tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.budget import assumed_window
from bot.errors import ModelContextTooLong
from bot.store.db import read_only_session
from bot.store.model_windows_repo import ModelWindowRepository
from bot.store.models import ModelWindow

MAX_COMPLETION_TOKENS = "max_completion_tokens"
MAX_TOKENS = "max_tokens"
"""The two request fields that bound an answer: OpenAI's current one, and the deprecated one
that servers without ``max_completion_tokens`` (older vLLM, Ollama, some gateways) take."""

_HEADROOM = 1.02
"""Our count scales to the server's only roughly (turns differ in how they tokenize)."""
_UNSAID_UNDERCOUNT = 1.25
"""How much more the server counts than we do, assumed when its error gave no figures."""
_RATIO_RANGE = (0.25, 8.0)
_IGNORED_BOUND_SLACK = 1.25
"""An answer this much longer than its bound means the server ignored the bound."""


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What we send a model by: its window in the server's tokens (``assumed`` is what the
    configuration or the built-in table says), the server's tokens per token of ours, and the
    request field carrying the answer bound."""

    window: int
    assumed: int
    token_ratio: float = 1.0
    answer_bound: str = MAX_COMPLETION_TOKENS


def corrected(limits: ModelLimits, error: ModelContextTooLong, counted: int) -> ModelLimits:
    """The limits for a refit after the server refused a prompt we counted as ``counted``
    tokens: its window and its count of our messages where it said them. Without its count,
    a window smaller than ours explains the refusal; otherwise we undercount, by a guess."""
    window = error.window or limits.window
    if error.prompt_tokens is not None and counted > 0:
        ratio = error.prompt_tokens / counted * _HEADROOM
    elif error.window is not None and error.window < limits.window:
        ratio = limits.token_ratio
    else:
        ratio = limits.token_ratio * _UNSAID_UNDERCOUNT
    low, high = _RATIO_RANGE
    return replace(limits, window=window, token_ratio=min(max(ratio, low), high))


def ignored_bound(limits: ModelLimits, bound: int, completion_tokens: int) -> bool:
    """True when an answer that was not cut came out well past ``max_completion_tokens``: the
    server ignores that field (Ollama does, silently) and needs ``max_tokens``."""
    return (
        limits.answer_bound == MAX_COMPLETION_TOKENS
        and completion_tokens > bound * _IGNORED_BOUND_SLACK
    )


def server_identity(base_url: str) -> str:
    """Which server a learned window belongs to: scheme, host, port and path of the base URL,
    never its credentials or query (Azure's api-version, a signed token)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"[:255]


@dataclass(frozen=True, slots=True)
class _Known:
    limits: ModelLimits
    until: float


class ModelWindows:
    """The limits of each model, read from the database at most once per ``refresh_seconds``
    per model and process (another replica's lesson arrives within that time), and the
    lessons the server teaches, written for every replica."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        server: str,
        configured: Mapping[str, int],
        refresh_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._server = server
        self._configured = configured
        self._refresh = refresh_seconds
        self._clock = clock
        self._known: dict[str, _Known] = {}

    async def limits(self, model: str) -> ModelLimits:
        known = self._known.get(model)
        if known is not None and known.until > self._clock():
            return known.limits
        async with read_only_session(self._sessions) as session:
            row = await ModelWindowRepository(session).get(self._server, model)
        return self._remember(model, self._from_row(model, row))

    async def learn(
        self, model: str, limits: ModelLimits, error: ModelContextTooLong, counted: int
    ) -> ModelLimits:
        """The limits for a refit; what the server said is remembered, a guess is not."""
        refit = corrected(limits, error, counted)
        said_window = error.window is not None
        said_count = error.prompt_tokens is not None
        if said_window or said_count:
            async with self._sessions.begin() as session:
                await ModelWindowRepository(session).record(
                    self._server,
                    model,
                    context_tokens=refit.window if said_window else None,
                    assumed_tokens=limits.assumed if said_window else None,
                    token_ratio=refit.token_ratio if said_count else None,
                )
            said = replace(
                limits,
                window=refit.window if said_window else limits.window,
                token_ratio=refit.token_ratio if said_count else limits.token_ratio,
            )
            self._remember(model, said)
        return refit

    async def use_max_tokens(self, model: str, limits: ModelLimits) -> ModelLimits:
        """The server refused or ignored ``max_completion_tokens``: bound with ``max_tokens``."""
        async with self._sessions.begin() as session:
            await ModelWindowRepository(session).record(
                self._server, model, answer_bound=MAX_TOKENS
            )
        return self._remember(model, replace(limits, answer_bound=MAX_TOKENS))

    def _from_row(self, model: str, row: ModelWindow | None) -> ModelLimits:
        assumed = assumed_window(model, self._configured)
        if row is None:
            return ModelLimits(assumed, assumed)
        learned = row.context_tokens if row.assumed_tokens == assumed else None
        return ModelLimits(
            learned or assumed,
            assumed,
            row.token_ratio or 1.0,
            row.answer_bound or MAX_COMPLETION_TOKENS,
        )

    def _remember(self, model: str, limits: ModelLimits) -> ModelLimits:
        self._known[model] = _Known(limits, self._clock() + self._refresh)
        return limits
