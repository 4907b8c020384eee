"""Whose token a Slack call carries: the token of the workspace (or org) being served.

The process has one Slack client (one connection pool). In OAuth mode every delivery is
served for one installation: a worker taking a delivery enters ``acting_for(token)``, and Bolt's
dispatch of a request ``acts_for`` the authorized team until it ends; every Slack call made
then, by any port and by the background tasks it starts (they copy the context), carries that
token. Outside them the client
has the configured ``SLACK_BOT_TOKEN`` (single-workspace mode) or none at all (OAuth mode: a
call outside a team is refused by Slack rather than made with another team's token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

_team_token: ContextVar[str | None] = ContextVar("team_bot_token", default=None)


@contextmanager
def acting_for(token: str) -> Iterator[None]:
    reset = _team_token.set(token)
    try:
        yield
    finally:
        _team_token.reset(reset)


def acts_for(token: str | None) -> None:
    """From now until the current task ends (or the next call): ``token``, None for none.

    For Bolt's dispatch, whose global middleware does not wrap the listeners (its ``next()``
    only marks the chain as continued; the listeners run after it, in the same task), so the
    scope of ``acting_for`` would end before they start. Every dispatch sets it afresh, and
    each request is dispatched in a task of its own (an aiohttp request, a Socket Mode
    message), so no other team's request sees it."""
    _team_token.set(token)


def token_in_use(configured: str | None) -> Callable[[], str | None]:
    """The token a Slack call made now would carry (for HTTP clients other than Slack's SDK)."""
    return lambda: _team_token.get() or configured


class TeamTokenWebClient(AsyncWebClient):
    """``AsyncWebClient`` whose token is the served team's inside ``acting_for``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._configured_token: str | None = None
        super().__init__(*args, **kwargs)

    @property
    def token(self) -> str | None:
        return _team_token.get() or self._configured_token

    @token.setter
    def token(self, value: str | None) -> None:
        self._configured_token = value
