"""The bot's one exception tree. ``httpx`` and Slack SDK errors are converted into it in one place
each (``openai_api/_transport.py`` and ``slack_output``), so callers catch only these::

    BotError
    ├── ConfigError                  configuration missing or malformed (exit code 2)
    ├── ModelError                   anything that went wrong talking to the model server
    │   ├── ModelTimeout             connect/read timeout or a stalled stream
    │   ├── ModelUnavailable         connection refused/reset, DNS failure
    │   ├── ModelRateLimited         429, carries ``retry_after`` seconds when the server said
    │   ├── ModelRefused             content policy: the request was declined
    │   ├── ModelContextTooLong      400 ``context_length_exceeded``; the server's own figures
    │   ├── ModelParameterRejected   400 naming a parameter the server does not take
    │   ├── ModelStreamInterrupted   the stream broke after some text; carries ``partial_text``
    │   └── ModelStatusError         any other HTTP error status, with OpenAI's code and message
    ├── SlackDeliveryError           Slack refused (``ok: false``) or was unreachable (``request_failed``)
    │   └── ThreadUnreadable         the bot may not read a thread (not a member, private, scope)
    ├── SlackFileError               a shared file could not (or may not) be downloaded
    └── DownloadRefused              a capped image download got no image within its limit
"""

from __future__ import annotations

import logging
from collections.abc import Mapping


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(BotError):
    """A configuration variable is missing or malformed; the message says what to do."""

    def __init__(self, variable: str, fix: str) -> None:
        super().__init__(f"{variable}: {fix}")
        self.variable = variable
        self.fix = fix


class ModelError(BotError):
    """The model server could not give an answer."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ModelTimeout(ModelError):
    retryable = True


class ModelUnavailable(ModelError):
    retryable = True


class ModelRateLimited(ModelError):
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ModelRefused(ModelError):
    """The model server declined the request on content-policy grounds."""


class ModelContextTooLong(ModelError):
    """The request did not fit the model's context window. The figures are the server's own,
    when its error gave them: its window (``window``) and what it counted for our messages
    (``prompt_tokens``); None when it did not say."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        window: int | None = None,
        prompt_tokens: int | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.window = window
        self.prompt_tokens = prompt_tokens


class ModelParameterRejected(ModelError):
    """The server refused a request parameter it does not support (``param``)."""

    def __init__(self, message: str, *, param: str, status: int, code: str | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.param = param


class ModelStreamInterrupted(ModelError):
    """The answer stream broke after ``partial_text`` had arrived."""

    def __init__(self, message: str, *, partial_text: str) -> None:
        super().__init__(message)
        self.partial_text = partial_text


class ModelStatusError(ModelError):
    """Any other error status; 5xx are worth retrying, 4xx are not."""

    def __init__(self, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.retryable = status >= 500


class SlackDeliveryError(BotError):
    """Slack refused a Web API call (``ok: false``)."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"Slack {method} failed: {error}")
        self.method = method
        self.error = error


class ThreadUnreadable(SlackDeliveryError):
    """Slack will not let the bot read a thread; ``error`` is Slack's reason (``not_in_channel``,
    ``channel_not_found``, ``missing_scope``, ``thread_not_found``…)."""


class SlackFileError(BotError):
    """A file shared in Slack could not be downloaded, or lives on a host the token never goes to."""


class DownloadRefused(BotError):
    """A capped image download (``bot.http_download``) got something other than an image within
    its limit: another status (a redirect included: none is followed), another content type,
    more bytes than allowed, or an address the bot may not fetch from. ``code`` says which."""

    def __init__(self, message: str, *, code: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def describe_error(error: BaseException) -> str:
    """The error's type and a short reason safe to log and store: a status or an error code,
    never the message (a database error's text can quote the statement and its parameters, a
    model's the prompt)."""
    name = type(error).__name__
    if isinstance(error, SlackDeliveryError):
        return f"{name}: {error.method} {error.error}"
    if isinstance(error, ModelError):
        reason = " ".join(str(p) for p in (error.status, error.code) if p is not None)
        return f"{name}: {reason}" if reason else name
    cause = getattr(error, "orig", None)  # SQLAlchemy wraps the driver's own error
    return f"{name} ({type(cause).__name__})" if cause is not None else name


def log_failure(
    logger: logging.Logger,
    what: str,
    error: BaseException,
    *,
    reference_id: str | None = None,
    level: int = logging.ERROR,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Log that ``what`` failed, with ``describe_error``'s words and the reference id the user
    was given. A bug (not a ``BotError``) also gets its traceback, which the operator needs to
    fix it; the bot's own errors are said in full by their type and code."""
    logger.log(
        level,
        "%s: %s",
        what,
        describe_error(error),
        exc_info=None if isinstance(error, BotError) else error,
        extra={**(extra or {}), **({"reference_id": reference_id} if reference_id else {})},
    )
