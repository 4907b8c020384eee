"""Parsers for the scalar settings: each takes the variable's name and its raw text and returns
the value, or raises ``ConfigError`` naming what is wrong (never echoing a secret)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

from bot.errors import ConfigError

N = TypeVar("N", int, float)


def url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        # The value itself is not echoed: a URL may carry credentials (https://user:key@host/).
        raise ConfigError(name, "must be an http(s) URL like https://example.com/")
    return value


def slack_api_url(name: str, value: str) -> str:
    return url(name, value).rstrip("/") + "/"


def base_url(name: str, value: str) -> str:
    return url(name, value).rstrip("/")


def _number(convert: Callable[[str], N], name: str, value: str, what: str) -> N:
    """``convert(value)``, or a ``ConfigError`` saying the value must be ``what``."""
    try:
        return convert(value)
    except ValueError:
        raise ConfigError(name, f"must be {what}, got {value!r}") from None


def positive_int(name: str, value: str) -> int:
    number = _number(int, name, value, "a whole number")
    if number <= 0:
        raise ConfigError(name, f"must be greater than 0, got {number}")
    return number


def positive_float(name: str, value: str) -> float:
    number = _number(float, name, value, "a number of seconds")
    if number <= 0:
        raise ConfigError(name, f"must be greater than 0, got {number}")
    return number


def context_tokens(name: str, value: str) -> dict[str, int]:
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
            windows[model] = positive_int(name, tokens.strip())
        except ConfigError:
            raise ConfigError(
                name,
                f"{entry!r} is not a window: give a number of tokens (8192) or "
                "model=tokens entries (gpt-4o=128000,llama3.1=8192)",
            ) from None
    return windows


def zero_or_more(convert: type[int] | type[float], what: str) -> Callable[[str, str], Any]:
    """``convert``'s numbers from 0 up, ``what`` naming them (and what 0 means) in errors."""

    def parse(name: str, value: str) -> int | float:
        number = _number(convert, name, value, what)
        if not 0 <= number < float("inf"):
            raise ConfigError(name, f"must be 0 or more, got {value!r}")
        return number

    return parse


tokens_or_images = zero_or_more(int, "a whole number (0 = unlimited)")
days = zero_or_more(int, "a whole number of days (0 = keep everything)")
usd = zero_or_more(float, "a number of US dollars (0 = unlimited)")


def flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(name, f"must be true or false, got {value!r}")
    return lowered in ("true", "1", "yes")


def port(name: str, value: str) -> int:
    number = positive_int(name, value)
    if number > 65535:
        raise ConfigError(name, f"must be a TCP port between 1 and 65535, got {number}")
    return number


def prefixed(prefix: str, where: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if not value.startswith(prefix):
            raise ConfigError(name, f"must start with {prefix!r}; copy it from {where}")
        return value

    return parse


def database_url(name: str, value: str) -> str:
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


def choice(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value.lower() not in choices:
            raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value.lower()

    return parse


def text(name: str, value: str) -> str:
    return value


def encryption_keys(name: str, value: str) -> str:
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


def suggested_prompts(name: str, value: str) -> tuple[tuple[str, str], ...]:
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


MCP_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
MCP_PATTERN = re.compile(r"([A-Za-z0-9_-]{1,32})\.(\*|[^\s,]+)")


def mcp_servers(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """``name=url,name2=url2`` → ((name, url), …)."""
    servers: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        server, sep, address = entry.partition("=")
        if not sep or not MCP_NAME.fullmatch(server.strip()):
            raise ConfigError(
                name, "must be name=url pairs separated by commas, e.g. crm=https://crm.example/mcp"
            )
        if server.strip() in servers:
            raise ConfigError(name, f"names the server {server.strip()!r} twice")
        servers[server.strip()] = url(name, address.strip())
    return tuple(servers.items())


def mcp_patterns(name: str, value: str) -> tuple[str, ...]:
    patterns = tuple(filter(None, (p.strip() for p in value.split(","))))
    for pattern in patterns:
        if not MCP_PATTERN.fullmatch(pattern):
            raise ConfigError(
                name, f"entries are server.tool or server.*, separated by commas; got {pattern!r}"
            )
    return patterns


def mcp_headers(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """``Header: value; Other: value`` → ((Header, value), …)."""
    headers: list[tuple[str, str]] = []
    for entry in filter(None, (e.strip() for e in value.split(";"))):
        header, sep, content = entry.partition(":")
        if not sep or not header.strip() or any(c.isspace() for c in header.strip()):
            # The value is not echoed: it is usually a credential.
            raise ConfigError(name, "must be 'Header: value' pairs separated by ';'")
        headers.append((header.strip(), content.strip()))
    return tuple(headers)
