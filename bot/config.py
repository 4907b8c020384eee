"""Settings from the environment (and a ``.env`` file), validated once at start-up.

Every variable is declared once in ``VARIABLES``; the README's configuration table is generated
from it (``python -m bot config-table``), so documentation and code cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.errors import ConfigError

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant in a Slack workspace. Answer clearly and concisely, "
    "use Markdown where it helps, and say so when you are not sure."
)


def _url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        # The value itself is not echoed: a URL may carry credentials (https://user:key@host/).
        raise ConfigError(name, "must be an http(s) URL like https://example.com/")
    return value


def _slack_api_url(name: str, value: str) -> str:
    return _url(name, value).rstrip("/") + "/"


def _base_url(name: str, value: str) -> str:
    return _url(name, value).rstrip("/")


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(name, f"must be greater than 0, got {number}")
    return number


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {value!r}") from None
    if number <= 0:
        raise ConfigError(name, f"must be greater than 0, got {number}")
    return number


def _port(name: str, value: str) -> int:
    number = _positive_int(name, value)
    if number > 65535:
        raise ConfigError(name, f"must be a TCP port between 1 and 65535, got {number}")
    return number


def _prefixed(prefix: str, where: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if not value.startswith(prefix):
            raise ConfigError(name, f"must start with {prefix!r}; copy it from {where}")
        return value

    return parse


def _database_url(name: str, value: str) -> str:
    """Accept the usual spellings and pick the async driver, so a pasted URL just works."""
    for plain, async_form in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if value.startswith(plain):
            return async_form + value[len(plain) :]
    if value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return value
    raise ConfigError(
        name, "must be a sqlite:/// or postgresql:// URL, e.g. sqlite+aiosqlite:///./bot.db"
    )


def _choice(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value.lower() not in choices:
            raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value.lower()

    return parse


def _text(name: str, value: str) -> str:
    return value


_APP_PAGE = "your app's page at https://api.slack.com/apps"


@dataclass(frozen=True)
class Variable:
    """One environment variable: its parser, default (None = required) and documentation."""

    name: str
    parse: Callable[[str, str], Any]
    default: str | None
    doc: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "SLACK_BOT_TOKEN",
        _prefixed("xoxb-", f"OAuth & Permissions on {_APP_PAGE}"),
        None,
        "Bot token `xoxb-…` (OAuth & Permissions → Bot User OAuth Token).",
        secret=True,
    ),
    Variable(
        "SLACK_SIGNING_SECRET",
        _text,
        "",
        "Verifies HTTP requests from Slack (Basic Information → Signing Secret). "
        "Required in HTTP mode.",
        secret=True,
    ),
    Variable(
        "SLACK_APP_TOKEN",
        _prefixed("xapp-", f"Basic Information → App-Level Tokens on {_APP_PAGE}"),
        "",
        "App-level token `xapp-…` with `connections:write`; when set, Socket Mode is used.",
        secret=True,
    ),
    Variable(
        "SLACK_API_URL",
        _slack_api_url,
        "https://slack.com/api/",
        "Slack Web API base (GovSlack, proxies, tests).",
    ),
    Variable(
        "OPENAI_API_KEY",
        _text,
        None,
        "Key for the model server (any non-empty value for servers without auth).",
        secret=True,
    ),
    Variable(
        "OPENAI_BASE_URL",
        _base_url,
        "https://api.openai.com/v1",
        "OpenAI-compatible base URL (Azure OpenAI, vLLM, Ollama, LiteLLM, llama.cpp).",
    ),
    Variable("OPENAI_MODEL", _text, "gpt-4.1-mini", "Chat model."),
    Variable("OPENAI_IMAGE_MODEL", _text, "gpt-image-1", "Image model for `/imagine`."),
    Variable(
        "DATABASE_URL",
        _database_url,
        "sqlite+aiosqlite:///./bot.db",
        "SQLAlchemy URL; `sqlite:///…` and `postgresql://…` get their async drivers.",
    ),
    Variable("PORT", _port, "3000", "HTTP port (HTTP mode, and health/metrics in both modes)."),
    Variable("SYSTEM_PROMPT", _text, DEFAULT_SYSTEM_PROMPT, "Default system prompt."),
    Variable(
        "MODEL_CONTEXT_TOKENS",
        _positive_int,
        "128000",
        "Context window assumed for model names the bot does not know.",
    ),
    Variable(
        "ANSWER_MAX_TOKENS",
        _positive_int,
        "4096",
        "Tokens reserved for the answer when fitting history into the context window.",
    ),
    Variable(
        "VISION_MODELS",
        _text,
        "",
        "Comma-separated model-name prefixes that accept images, besides OpenAI's known vision "
        "models (e.g. `llava,qwen2.5-vl` or an Azure deployment name). Others get text only.",
    ),
    Variable(
        "MAX_IMAGES_PER_MESSAGE",
        _positive_int,
        "4",
        "Images the model is shown from one message; the user is told which were skipped.",
    ),
    Variable(
        "MAX_ATTACHMENT_MB_PER_MESSAGE",
        _positive_int,
        "32",
        "MiB of images taken from one message, each also capped at OpenAI's 20 MiB; base64 "
        "adds a third, and 32 keeps the request under OpenAI's 50 MB.",
    ),
    Variable(
        "MAX_ATTACHMENT_MB_IN_FLIGHT",
        _positive_int,
        "200",
        "MiB of images one process holds at once, from download until their answer is done; "
        "further downloads wait for room. At least `MAX_ATTACHMENT_MB_PER_MESSAGE`.",
    ),
    Variable(
        "MAX_FILE_MB",
        _positive_int,
        "10",
        "MiB an attached text, PDF or Word file may have to be read (capped at "
        "`MAX_ATTACHMENT_MB_IN_FLIGHT`); larger ones get a note.",
    ),
    Variable(
        "FILE_TEXT_MAX_TOKENS",
        _positive_int,
        "20000",
        "Tokens of attached files' text one message may give the model (and at most half the "
        "model's prompt); a longer file is excerpted from its start and the user told how much "
        "was read.",
    ),
    Variable(
        "OPENAI_CONNECT_TIMEOUT", _positive_float, "5", "Seconds to connect to the model server."
    ),
    Variable(
        "OPENAI_READ_TIMEOUT", _positive_float, "60", "Seconds to wait for a non-streamed response."
    ),
    Variable(
        "OPENAI_STREAM_IDLE_TIMEOUT",
        _positive_float,
        "30",
        "Seconds a streamed answer may stay silent before it is abandoned.",
    ),
    Variable(
        "OPENAI_MAX_RETRY_SECONDS",
        _positive_float,
        "60",
        "Total time spent retrying 429/5xx/timeouts before the user is told.",
    ),
    Variable(
        "WORKER_CONCURRENCY", _positive_int, "1000", "How many answers one process streams at once."
    ),
    Variable(
        "INBOX_LEASE_SECONDS",
        _positive_float,
        "60",
        "How long a claimed delivery stays with a process before another may take it over.",
    ),
    Variable(
        "SHUTDOWN_GRACE_SECONDS",
        _positive_float,
        "25",
        "On SIGTERM, how long in-flight answers may finish before the process exits.",
    ),
    Variable("LOG_LEVEL", _choice("debug", "info", "warning", "error"), "info", "Log level."),
    Variable("LOG_FORMAT", _choice("text", "json"), "text", "`text`, or `json` for containers."),
)


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Secrets are kept out of ``repr`` so they never reach a log."""

    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str = field(repr=False)
    slack_api_url: str
    openai_api_key: str = field(repr=False)
    openai_base_url: str
    openai_model: str
    openai_image_model: str
    database_url: str
    port: int
    system_prompt: str
    model_context_tokens: int
    answer_max_tokens: int
    vision_models: str
    max_images_per_message: int
    max_attachment_mb_per_message: int
    max_attachment_mb_in_flight: int
    max_file_mb: int
    file_text_max_tokens: int
    openai_connect_timeout: float
    openai_read_timeout: float
    openai_stream_idle_timeout: float
    openai_max_retry_seconds: float
    worker_concurrency: int
    inbox_lease_seconds: float
    shutdown_grace_seconds: float
    log_level: str
    log_format: str

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: str = ".env") -> Settings:
        """Read the environment (the process's by default) over the values of ``env_file``."""
        values: dict[str, str] = {}
        if environ is None:
            if os.path.exists(env_file):
                values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
            values.update(os.environ)
        else:
            values.update(environ)
        parsed: dict[str, Any] = {}
        for var in VARIABLES:
            raw = values.get(var.name, "").strip()
            if not raw:
                if var.default is None:
                    raise ConfigError(
                        var.name, f"is required. {var.doc} Set it in .env or the environment."
                    )
                raw = var.default
            parsed[var.name.lower()] = var.parse(var.name, raw) if raw else raw
        settings = cls(**parsed)
        if not settings.socket_mode and not settings.slack_signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "is required in HTTP mode (or set SLACK_APP_TOKEN to use Socket Mode); "
                f"copy it from Basic Information → App Credentials on {_APP_PAGE}",
            )
        if settings.max_attachment_mb_in_flight < settings.max_attachment_mb_per_message:
            raise ConfigError(
                "MAX_ATTACHMENT_MB_IN_FLIGHT",
                "must be at least MAX_ATTACHMENT_MB_PER_MESSAGE, or one message's images "
                "could never be held at once",
            )
        return settings


def config_table() -> str:
    """The Markdown table of every variable, as shown in the README."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for var in VARIABLES:
        if var.default is None:
            default = "required"
        elif var.default == "":
            default = "unset"
        elif var.name == "SYSTEM_PROMPT":
            default = "a short helpful-assistant prompt"
        else:
            default = f"`{var.default}`"
        rows.append(f"| `{var.name}` | {var.doc} | {default} |")
    return "\n".join(rows)
