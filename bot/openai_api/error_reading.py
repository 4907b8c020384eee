"""Reading what an error answer says, in each server's own words: the figures of a "context
length exceeded" and the name of a parameter the server refused.

The wordings (LiteLLM and Azure pass the upstream's through, inside their own text)::

    OpenAI   This model's maximum context length is N tokens. However, your messages resulted
             in X tokens. / However, you requested M tokens (X in the messages, Y in the
             completion).
    vLLM     This model's maximum context length is N tokens. However, you requested X tokens
             in the messages, ... / 'max_tokens' or 'max_completion_tokens' is too large: Y.
             This model's maximum context length is N tokens and your request has X input
             tokens (Y > N - X).
    llama.cpp  request (X tokens) exceeds the available context size (N tokens), try
             increasing it   (also as ``n_ctx`` and ``n_prompt_tokens`` in the error object)

A refused parameter: OpenAI ``param`` + ``unsupported_parameter``; Azure "Unrecognized request
argument supplied: P"; vLLM "extra_forbidden ... ('body', 'P') ... Extra inputs are not
permitted"; LiteLLM "does not support parameters: {'P': ...}"; llama.cpp "Unsupported param: P".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_N = r"(\d[\d,]*)"
_WINDOW = (
    re.compile(rf"maximum context length is {_N} tokens?", re.IGNORECASE),
    re.compile(rf"available context size \({_N} tokens?\)", re.IGNORECASE),
)
_PROMPT = (
    re.compile(rf"\({_N} in the messages", re.IGNORECASE),
    re.compile(rf"your messages resulted in {_N} tokens", re.IGNORECASE),
    re.compile(rf"you requested {_N} tokens in the messages", re.IGNORECASE),
    re.compile(rf"your request has {_N} input tokens", re.IGNORECASE),
    re.compile(rf"request \({_N} tokens\) exceeds", re.IGNORECASE),
)
_CONTEXT_PHRASES = (
    "maximum context length",
    "exceeds the available context size",
    "context window exceeded",
    "contextwindowexceedederror",
)
_CONTEXT_KINDS = frozenset({"context_length_exceeded", "exceed_context_size_error"})
_REFUSAL_PHRASES = (
    "unsupported",
    "not supported",
    "does not support",
    "unrecognized",
    "not permitted",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class ContextFigures:
    """What the server said about a request that did not fit; None where it did not say."""

    window: int | None
    prompt_tokens: int | None


def is_context_error(status: int, code: str | None, kind: str | None, message: str) -> bool:
    if code in _CONTEXT_KINDS or kind in _CONTEXT_KINDS:
        return True
    lowered = message.lower()
    return status in (400, 413) and any(phrase in lowered for phrase in _CONTEXT_PHRASES)


def context_figures(message: str, error: Mapping[str, Any]) -> ContextFigures:
    """The window and the server's count of our messages, from the message text or (llama.cpp)
    the error object's own fields."""
    return ContextFigures(
        _int_field(error, "n_ctx") or _first_number(_WINDOW, message),
        _int_field(error, "n_prompt_tokens") or _first_number(_PROMPT, message),
    )


def rejected_parameter(
    status: int, param: str | None, message: str, candidates: Sequence[str]
) -> str | None:
    """Which of ``candidates`` the server refused, if this error is such a refusal: the error's
    ``param`` when it names one, else the candidate the message names first."""
    if status not in (400, 422):
        return None
    if param in candidates:
        return param
    lowered = message.lower()
    if not any(phrase in lowered for phrase in _REFUSAL_PHRASES):
        return None
    named = [(lowered.find(name), name) for name in candidates if name in lowered]
    return min(named)[1] if named else None


def _first_number(patterns: Sequence[re.Pattern[str]], message: str) -> int | None:
    for pattern in patterns:
        found = pattern.search(message)
        if found:
            return int(found.group(1).replace(",", ""))
    return None


def _int_field(error: Mapping[str, Any], name: str) -> int | None:
    value = error.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
