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

from bot.config_lists import moderation_modes, names, slack_ids
from bot.errors import ConfigError
from bot.usage.prices import Price, parse_model_prices

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


def _context_tokens(name: str, value: str) -> dict[str, int]:
    """``8192`` (every model), ``gpt-4o=128000,llama3.1=8192`` (per model), or both; the key
    ``*`` stands for every model."""
    windows: dict[str, int] = {}
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        model, _, tokens = entry.rpartition("=")
        model = model.strip().lower() or "*"
        if model in windows:
            raise ConfigError(name, f"names {model!r} twice")
        try:
            windows[model] = _positive_int(name, tokens.strip())
        except ConfigError:
            raise ConfigError(
                name,
                f"{entry!r} is not a window: give a number of tokens (8192) or "
                "model=tokens entries (gpt-4o=128000,llama3.1=8192)",
            ) from None
    return windows


def _zero_or_more(convert: type[int] | type[float], what: str) -> Callable[[str, str], Any]:
    """``convert``'s numbers from 0 up, ``what`` naming them (and what 0 means) in errors."""

    def parse(name: str, value: str) -> int | float:
        try:
            number = convert(value)
        except ValueError:
            raise ConfigError(name, f"must be {what}, got {value!r}") from None
        if not 0 <= number < float("inf"):
            raise ConfigError(name, f"must be 0 or more, got {value!r}")
        return number

    return parse


_tokens_or_images = _zero_or_more(int, "a whole number (0 = unlimited)")
_days = _zero_or_more(int, "a whole number of days (0 = keep everything)")
_usd = _zero_or_more(float, "a number of US dollars (0 = unlimited)")


def _flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(name, f"must be true or false, got {value!r}")
    return lowered in ("true", "1", "yes")


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


MAX_SUGGESTED_PROMPTS = 4
DEFAULT_SUGGESTED_PROMPTS = (
    "Explain something|Explain how DNS works, step by step, for someone new to it;"
    "Draw a picture|/imagine a lighthouse at dawn in watercolour;"
    "Improve my writing|Make this paragraph clearer and friendlier:;"
    "Plan a meeting|Help me plan a one-hour team workshop with an agenda"
)


def _suggested_prompts(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """``title|message`` pairs separated by ``;`` (at most 4), as the Messages tab offers them."""
    pairs: list[tuple[str, str]] = []
    for item in (part.strip() for part in value.split(";")):
        if not item:
            continue
        title, bar, message = (piece.strip() for piece in item.partition("|"))
        if not (bar and title and message):
            raise ConfigError(
                name, f"each prompt must be `title|message`, got {item[:40]!r}; separate them by ;"
            )
        pairs.append((title, message))
    if len(pairs) > MAX_SUGGESTED_PROMPTS:
        raise ConfigError(
            name, f"Slack shows at most {MAX_SUGGESTED_PROMPTS} prompts, got {len(pairs)}"
        )
    return tuple(pairs)


_APP_PAGE = "your app's page at https://api.slack.com/apps"


@dataclass(frozen=True)
class Variable:
    """One environment variable: its parser, default (None = required) and documentation."""

    name: str
    parse: Callable[[str, str], Any]
    default: str | None
    doc: str
    secret: bool = False
    unset: Any = ""
    """The value when the variable is empty and its default is too."""
    parses_empty: bool = False
    """Parse the empty value too (lists: empty means an empty tuple, not a string)."""


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
        _context_tokens,
        "",
        "Context window in tokens: a number for every model, and/or per-model entries "
        "(`gpt-4o=128000,llama3.1=8192`, longest name prefix wins); overrides the built-in "
        "table of OpenAI models. Unset: that table, else 128000. A smaller window a server "
        "reports in its errors is learned and remembered in the database.",
        unset={},
    ),
    Variable(
        "ANSWER_MAX_TOKENS",
        _positive_int,
        "4096",
        "Longest answer in tokens: sent with every chat request (`max_completion_tokens`, or "
        "`max_tokens` for servers that refuse it) and kept free in the window (at most half "
        "of it). An answer cut at this limit says so.",
    ),
    Variable(
        "HISTORY_MAX_TOKENS",
        _positive_int,
        "16000",
        "Most tokens of thread history sent with one answer, however large the window, so "
        "each answer's cost stays bounded; older turns are left out, with a footnote.",
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
    Variable(
        "ADMIN_USERS",
        slack_ids("UW", "U012AB3CD"),
        "",
        "Comma-separated user ids who may change `/ai-settings`, besides workspace admins and "
        "owners.",
        parses_empty=True,
    ),
    Variable(
        "ALLOWED_MODELS",
        names,
        "",
        "Comma-separated model names or prefixes `/ai-settings model` may choose; empty: only "
        "`OPENAI_MODEL`, which is always allowed.",
        parses_empty=True,
    ),
    Variable(
        "ALLOWED_USERS",
        slack_ids("UWS", "U012AB3CD,S0614TZR7"),
        "",
        "Comma-separated user or user-group (`S…`) ids who may use the bot; empty: everyone.",
        parses_empty=True,
    ),
    Variable(
        "ALLOWED_CHANNELS",
        slack_ids("CGD", "C012AB3CD"),
        "",
        "Comma-separated channel ids where the bot answers; empty: every channel. DMs with the "
        "bot follow the user lists only.",
        parses_empty=True,
    ),
    Variable(
        "BLOCKED_USERS",
        slack_ids("UWS", "U012AB3CD,S0614TZR7"),
        "",
        "Comma-separated user or user-group ids never served; wins over `ALLOWED_USERS`.",
        parses_empty=True,
    ),
    Variable(
        "EXTERNAL_USERS",
        _choice("refuse", "allow"),
        "refuse",
        "`allow` to answer people of other organisations in Slack Connect channels.",
    ),
    Variable(
        "MODERATION",
        moderation_modes,
        "off",
        "`off`, `input` (the user's text and images are checked before the model is asked) or "
        "`input,output` (the answer is checked too, and shown once checked).",
    ),
    Variable(
        "OPENAI_MODERATION_MODEL",
        _text,
        "omni-moderation-latest",
        "Model for `POST /moderations`.",
    ),
    Variable(
        "MODERATION_ON_ERROR",
        _choice("allow", "refuse"),
        "allow",
        "When the moderation server fails or lacks the endpoint: `allow` (answer, warn in the "
        "log at most once a minute) or `refuse`.",
    ),
    Variable(
        "MODERATION_BASE_URL",
        _base_url,
        "",
        "Moderation server when it is not `OPENAI_BASE_URL` (e.g. OpenAI while chat is "
        "self-hosted).",
    ),
    Variable(
        "MODERATION_API_KEY",
        _text,
        "",
        "Key for `MODERATION_BASE_URL`; unset: `OPENAI_API_KEY`.",
        secret=True,
    ),
    Variable(
        "USER_DAILY_TOKENS",
        _tokens_or_images,
        "0",
        "Model tokens (in + out) one user may use per UTC day; then a notice until midnight "
        "UTC. 0 = unlimited.",
    ),
    Variable(
        "USER_DAILY_IMAGES",
        _tokens_or_images,
        "0",
        "Images one user may have `/imagine` make per UTC day. 0 = unlimited.",
    ),
    Variable(
        "WORKSPACE_MONTHLY_TOKENS",
        _tokens_or_images,
        "0",
        "Model tokens one workspace may use per calendar month (UTC). 0 = unlimited.",
    ),
    Variable(
        "WORKSPACE_MONTHLY_USD",
        _usd,
        "0",
        "Estimated USD (see `MODEL_PRICES`) one workspace may spend per calendar month (UTC). "
        "0 = unlimited.",
    ),
    Variable(
        "BUDGET_EXEMPT_ADMINS",
        _flag,
        "false",
        "`true`: the users of `ADMIN_USERS` are not held to the budgets above.",
    ),
    Variable(
        "MODEL_PRICES",
        parse_model_prices,
        "",
        "Prices for the cost estimate, over the built-in ones for OpenAI models: `name=in/out` "
        "in USD per 1M tokens, or `name=usd` per image, comma-separated "
        "(`gpt-4o=2.5/10,llama3.1=0/0,gpt-image-1=0.04`). Unpriced models show tokens only.",
        unset={},
    ),
    Variable(
        "RETENTION_DAYS",
        _days,
        "0",
        "Days to keep message text (with attached files' text), recorded deliveries, image "
        "prompts, thread summaries, feedback and whom usage was for; older ones are purged "
        "hourly. 0 = keep.",
    ),
    Variable(
        "SUGGESTED_PROMPTS",
        _suggested_prompts,
        DEFAULT_SUGGESTED_PROMPTS,
        "Prompts offered when someone opens the bot's Messages tab: up to 4 `title\\|message` "
        "pairs separated by `;` (a message may be an `/imagine …` picture request).",
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
    model_context_tokens: dict[str, int]
    answer_max_tokens: int
    history_max_tokens: int
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
    admin_users: tuple[str, ...]
    allowed_models: tuple[str, ...]
    allowed_users: tuple[str, ...]
    allowed_channels: tuple[str, ...]
    blocked_users: tuple[str, ...]
    external_users: str
    moderation: frozenset[str]
    openai_moderation_model: str
    moderation_on_error: str
    moderation_base_url: str
    moderation_api_key: str = field(repr=False)
    user_daily_tokens: int
    user_daily_images: int
    workspace_monthly_tokens: int
    workspace_monthly_usd: float
    budget_exempt_admins: bool
    model_prices: Mapping[str, Price]
    retention_days: int
    suggested_prompts: tuple[tuple[str, str], ...]
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
            parse = raw or var.parses_empty
            parsed[var.name.lower()] = var.parse(var.name, raw or "") if parse else var.unset
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
        elif var.name == "SUGGESTED_PROMPTS":
            default = "four prompts (explain, draw, improve writing, plan)"
        else:
            default = f"`{var.default}`"
        rows.append(f"| `{var.name}` | {var.doc} | {default} |")
    return "\n".join(rows)
