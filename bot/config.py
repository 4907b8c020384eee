"""Settings from the environment (and a ``.env`` file), validated once at start-up.

Every variable is declared once in ``VARIABLES``; the README's configuration table is generated
from it (``python -m bot config-table``), so documentation and code cannot drift apart.
"""

from __future__ import annotations

import os
import re
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


def _encryption_keys(name: str, value: str) -> str:
    """One Fernet key, or several separated by commas (the first encrypts, all decrypt)."""
    from bot.installations.crypto import InvalidKey, TokenCipher

    try:
        TokenCipher.from_setting(value)
    except InvalidKey:
        # The value is a secret: never echoed, not even in part.
        raise ConfigError(
            name,
            "must be a Fernet key (44 URL-safe base64 characters) or a comma-separated list "
            "of them; `python -m bot gen-key` prints a new one",
        ) from None
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


_MCP_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_MCP_PATTERN = re.compile(r"([A-Za-z0-9_-]{1,32})\.(\*|[^\s,]+)")


def _mcp_servers(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """``name=url,name2=url2`` → ((name, url), …)."""
    servers: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        server, sep, url = entry.partition("=")
        if not sep or not _MCP_NAME.fullmatch(server.strip()):
            raise ConfigError(
                name, "must be name=url pairs separated by commas, e.g. crm=https://crm.example/mcp"
            )
        if server.strip() in servers:
            raise ConfigError(name, f"names the server {server.strip()!r} twice")
        servers[server.strip()] = _url(name, url.strip())
    return tuple(servers.items())


def _mcp_patterns(name: str, value: str) -> tuple[str, ...]:
    patterns = tuple(filter(None, (p.strip() for p in value.split(","))))
    for pattern in patterns:
        if not _MCP_PATTERN.fullmatch(pattern):
            raise ConfigError(
                name, f"entries are server.tool or server.*, separated by commas; got {pattern!r}"
            )
    return patterns


def _mcp_headers(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """``Header: value; Other: value`` → ((Header, value), …)."""
    headers: list[tuple[str, str]] = []
    for entry in filter(None, (e.strip() for e in value.split(";"))):
        header, sep, content = entry.partition(":")
        if not sep or not header.strip() or any(c.isspace() for c in header.strip()):
            # The value is not echoed: it is usually a credential.
            raise ConfigError(name, "must be 'Header: value' pairs separated by ';'")
        headers.append((header.strip(), content.strip()))
    return tuple(headers)


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
        "",
        "Bot token `xoxb-…` (OAuth & Permissions → Bot User OAuth Token): one workspace. "
        "Required unless `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` are set (OAuth mode).",
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
        "SLACK_CLIENT_ID",
        _text,
        "",
        "Client ID (Basic Information → App Credentials). With `SLACK_CLIENT_SECRET`: OAuth "
        "mode, installable in many workspaces and Enterprise Grid orgs from `/slack/install`.",
    ),
    Variable(
        "SLACK_CLIENT_SECRET",
        _text,
        "",
        "Client Secret (Basic Information → App Credentials), for OAuth mode.",
        secret=True,
    ),
    Variable(
        "ENCRYPTION_KEY",
        _encryption_keys,
        "",
        "Fernet key encrypting the Slack tokens stored in OAuth mode (required there); a "
        "comma-separated list rotates keys: the first encrypts, all decrypt. "
        "`python -m bot gen-key` prints one.",
        secret=True,
    ),
    Variable(
        "SLACK_REDIRECT_URI",
        _url,
        "",
        "Public URL of `/slack/oauth_redirect` (OAuth mode), one of the app's Redirect URLs; "
        "unset, Slack uses the app's only one.",
    ),
    Variable(
        "PURGE_ON_UNINSTALL",
        _flag,
        "false",
        "`true`: when a workspace or org uninstalls the app or revokes its tokens, its stored "
        "conversations, feedback and `/imagine` prompts are deleted too (its installation and "
        "pending work always are).",
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
    Variable(
        "MAX_TOOL_ROUNDS",
        _positive_int,
        "5",
        "Rounds of tool calls one answer may make; the last round answers without tools.",
    ),
    Variable(
        "OPENAI_REASONING_EFFORT",
        _choice("low", "medium", "high"),
        "",
        "`low`, `medium` or `high`: sent as `reasoning_effort` to models that take it "
        "(o-series, gpt-5 family). Unset: the model's default.",
    ),
    Variable(
        "MCP_SERVERS",
        _mcp_servers,
        "",
        "Remote MCP servers (streamable HTTP) as `name=url` pairs separated by commas. Headers "
        "for server NAME come from `MCP_HEADERS_NAME` (`Header: value; Other: value`, e.g. "
        "`Authorization: Bearer …`).",
        unset=(),
    ),
    Variable(
        "MCP_ALLOWED_TOOLS",
        _mcp_patterns,
        "",
        "Which MCP tools the model may call: `server.tool` or `server.*`, separated by commas. "
        "Unset: none.",
        unset=(),
    ),
    Variable(
        "MCP_CONFIRM_TOOLS",
        _mcp_patterns,
        "",
        "MCP tools (`server.tool`, `server.*`) that run only after the requesting user clicks "
        "Approve.",
        unset=(),
    ),
    Variable(
        "MCP_CALL_TIMEOUT_SECONDS", _positive_float, "30", "Seconds one MCP tool call may take."
    ),
    Variable(
        "MCP_RESULT_MAX_CHARS",
        _positive_int,
        "8000",
        "Characters of an MCP tool's result given to the model; the rest is cut with a note.",
    ),
    Variable(
        "MCP_REFRESH_SECONDS",
        _positive_float,
        "300",
        "How often MCP tool lists are fetched again (besides when a server says they changed).",
    ),
    Variable(
        "TOOL_CONFIRM_TIMEOUT_SECONDS",
        _positive_float,
        "300",
        "How long an Approve/Deny question waits for the requester; silence counts as Deny.",
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
    max_tool_rounds: int
    openai_reasoning_effort: str
    mcp_servers: tuple[tuple[str, str], ...]
    mcp_allowed_tools: tuple[str, ...]
    mcp_confirm_tools: tuple[str, ...]
    mcp_call_timeout_seconds: float
    mcp_result_max_chars: int
    mcp_refresh_seconds: float
    tool_confirm_timeout_seconds: float
    log_level: str
    log_format: str
    mcp_headers: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    encryption_key: str = field(default="", repr=False)
    slack_redirect_uri: str = ""
    purge_on_uninstall: bool = False

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:
        """Installed over OAuth in any number of workspaces, each with its own stored token."""
        return bool(self.slack_client_id or self.slack_client_secret)

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
        parsed["mcp_headers"] = {
            server: _mcp_headers(f"MCP_HEADERS_{server.upper()}", raw)
            for server, _url in parsed["mcp_servers"]
            if (raw := values.get(f"MCP_HEADERS_{server.upper()}", "").strip())
        }
        settings = cls(**parsed)
        _check_mcp_patterns(settings)
        _check_install_mode(settings)
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


def _check_mcp_patterns(settings: Settings) -> None:
    names = {server for server, _url in settings.mcp_servers}
    for variable, patterns in (
        ("MCP_ALLOWED_TOOLS", settings.mcp_allowed_tools),
        ("MCP_CONFIRM_TOOLS", settings.mcp_confirm_tools),
    ):
        for pattern in patterns:
            if pattern.partition(".")[0] not in names:
                raise ConfigError(
                    variable, f"{pattern!r} names a server that MCP_SERVERS does not list"
                )


def _check_install_mode(settings: Settings) -> None:
    """One workspace (``SLACK_BOT_TOKEN``) or OAuth (client id and secret), never both."""
    if settings.oauth and settings.slack_bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is set together with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET: choose one mode. Remove "
            "SLACK_BOT_TOKEN for OAuth (many workspaces), or the client credentials for one "
            "workspace",
        )
    if not settings.oauth and not settings.slack_bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is required (OAuth & Permissions → Bot User OAuth Token on "
            f"{_APP_PAGE}), or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth mode",
        )
    if not settings.oauth:
        return
    for name, value in (
        ("SLACK_CLIENT_ID", settings.slack_client_id),
        ("SLACK_CLIENT_SECRET", settings.slack_client_secret),
    ):
        if not value:
            raise ConfigError(
                name,
                "is required in OAuth mode (both client credentials are); copy it from "
                f"Basic Information → App Credentials on {_APP_PAGE}",
            )
    if not settings.encryption_key:
        raise ConfigError(
            "ENCRYPTION_KEY",
            "is required in OAuth mode: Slack tokens are stored encrypted with it. Generate "
            "one with `python -m bot gen-key` and keep it safe",
        )


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
