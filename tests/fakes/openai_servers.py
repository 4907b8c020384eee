"""How the server behind the fake OpenAI behaves: its context window, its own token count, and
each flavour's way of saying a request does not fit or a parameter is not taken.

The wordings are the servers' own (see ``bot/openai_api/error_reading.py`` for where each comes
from). The count is deliberately not OpenAI's tokenizer: a self-hosted model's tokenizer is
another one, which is what makes a bot's own count wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from tests.fakes import openai_wire as wire

Flavour = Literal["openai", "azure", "vllm", "vllm-legacy", "llama.cpp", "litellm", "ollama"]
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


@dataclass
class ModelServer:
    """``context_window`` None: no limit. ``chars_per_token`` and ``message_tokens`` make the
    server's count (4 and 0 reproduce the fake's usual rough usage figures).
    ``rejects_max_completion_tokens``: a server from before that field (older vLLM, Azure
    api-versions, LiteLLM for some providers) answers 400 naming it; Ollama ignores it always."""

    flavour: Flavour = "openai"
    context_window: int | None = None
    chars_per_token: float = 4.0
    message_tokens: int = 0
    rejects_max_completion_tokens: bool = False

    def usage(self, messages: list[dict[str, Any]], answer: str) -> dict[str, int]:
        return wire.completion_usage(
            messages,
            answer,
            chars_per_token=self.chars_per_token,
            message_tokens=self.message_tokens,
        )

    def count_prompt(self, messages: list[dict[str, Any]]) -> int:
        return self.usage(messages, "")["prompt_tokens"]

    def cut(self, text: str, bound: int | None) -> tuple[str, str]:
        """The answer as the server writes it within ``bound`` tokens, and its finish reason."""
        if bound is None or len(text) / self.chars_per_token <= bound:
            return text, "stop"
        return text[: int(bound * self.chars_per_token)], "length"

    def answer_bound(self, body: dict[str, Any]) -> int | None:
        """The completion limit this server applies to ``body``."""
        bound = body.get("max_tokens")
        if self.flavour != "ollama" and body.get("max_completion_tokens") is not None:
            bound = body["max_completion_tokens"]
        if self.flavour == "llama.cpp" and self.context_window is not None:
            room = self.context_window - self.count_prompt(body["messages"])
            bound = room if bound is None else min(bound, room)
        return bound if isinstance(bound, int) else None

    def refuse(self, body: dict[str, Any]) -> web.Response | None:
        """The error this server answers ``body`` with, if any."""
        if "max_completion_tokens" in body and self.rejects_max_completion_tokens:
            return self._rejected("max_completion_tokens", body)
        if "max_tokens" in body and str(body.get("model")).startswith(_REASONING_PREFIXES):
            return wire.error_response(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                param="max_tokens",
                code="unsupported_parameter",
            )
        if self.context_window is None:
            return None
        prompt = self.count_prompt(body["messages"])
        requested = body.get("max_completion_tokens", body.get("max_tokens"))
        if self.flavour == "ollama":
            return None  # Ollama cuts the prompt to its window silently
        if self.flavour == "llama.cpp":
            return self._llama_cpp_overflow(prompt) if prompt > self.context_window else None
        completion = requested if isinstance(requested, int) else 0
        if self.flavour == "vllm":
            return self._vllm_overflow(prompt, completion)
        if prompt + completion <= self.context_window:
            return None
        return self._openai_style_overflow(prompt, completion, str(body["model"]))

    def _openai_style_overflow(self, prompt: int, completion: int, model: str) -> web.Response:
        window = self.context_window
        if completion:
            message = (
                f"This model's maximum context length is {window} tokens. However, you "
                f"requested {prompt + completion} tokens ({prompt} in the messages, "
                f"{completion} in the completion). Please reduce the length of the messages "
                "or completion."
            )
        else:
            message = (
                f"This model's maximum context length is {window} tokens. However, your "
                f"messages resulted in {prompt} tokens. Please reduce the length of the messages."
            )
        if self.flavour == "vllm-legacy":
            return _top_level_error(message)
        if self.flavour == "litellm":
            return _litellm_error(
                "litellm.ContextWindowExceededError: litellm.BadRequestError: "
                f"ContextWindowExceededError: OpenAIException - {message}\n"
                f"Received Model Group={model}\nAvailable Model Group Fallbacks=None"
            )
        return wire.error_response(400, message, param="messages", code="context_length_exceeded")

    def _vllm_overflow(self, prompt: int, completion: int) -> web.Response | None:
        window = self.context_window
        assert window is not None
        if prompt >= window:
            message = (
                f"This model's maximum context length is {window} tokens. However, you "
                f"requested {prompt} tokens in the messages, Please reduce the length of the "
                "messages."
            )
        elif prompt + completion > window:
            message = (
                f"'max_tokens' or 'max_completion_tokens' is too large: {completion}. This "
                f"model's maximum context length is {window} tokens and your request has "
                f"{prompt} input tokens ({completion} > {window} - {prompt}). None"
            )
        else:
            return None
        body = {"message": message, "type": "BadRequestError", "param": None, "code": 400}
        return web.json_response({"error": body}, status=400)

    def _llama_cpp_overflow(self, prompt: int) -> web.Response:
        error = {
            "code": 400,
            "message": f"request ({prompt} tokens) exceeds the available context size "
            f"({self.context_window} tokens), try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": prompt,
            "n_ctx": self.context_window,
        }
        return web.json_response({"error": error}, status=400)

    def _rejected(self, param: str, body: dict[str, Any]) -> web.Response:
        value = body[param]
        if self.flavour in ("vllm", "vllm-legacy"):
            return _top_level_error(
                f"[{{'type': 'extra_forbidden', 'loc': ('body', '{param}'), "
                f"'msg': 'Extra inputs are not permitted', 'input': {value}}}]"
            )
        if self.flavour == "litellm":
            return _litellm_error(
                f"litellm.UnsupportedParamsError: mistral does not support parameters: "
                f"{{'{param}': {value}}}, for model={body['model']}. To drop these, set "
                "`litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: "
                "true`\n"
            )
        if self.flavour == "llama.cpp":
            error = {
                "code": 400,
                "message": f"Unsupported param: {param}",
                "type": "not_supported_error",
            }
            return web.json_response({"error": error}, status=400)
        if self.flavour == "azure":
            return wire.error_response(400, f"Unrecognized request argument supplied: {param}")
        return wire.error_response(
            400,
            f"Unsupported parameter: '{param}' is not supported with this model.",
            param=param,
            code="unsupported_parameter",
        )


def _top_level_error(message: str) -> web.Response:
    """vLLM before 0.9: the error object is the whole body."""
    body = {"object": "error", "message": message, "type": "BadRequestError", "param": None}
    return web.json_response({**body, "code": 400}, status=400)


def _litellm_error(message: str) -> web.Response:
    body = {"error": {"message": message, "type": None, "param": None, "code": "400"}}
    return web.json_response(body, status=400)
