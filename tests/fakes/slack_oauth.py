"""Slack's OAuth v2 side for the fake: the authorize page a person approves an install on, and
``oauth.v2.access`` (code exchange and, with token rotation, ``grant_type=refresh_token``), with
the response shapes and error codes of slack.com (docs.slack.dev/reference/methods/oauth.v2.access).
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_content import SlackError
from tests.fakes.slack_workspace import Identity

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "fake-client-secret-0123456789abcdef"
ROTATED_LIFETIME = 43_200
"""Seconds a rotated bot token lives (Slack: 12 hours)."""


@dataclass
class Workspace:
    """Where the person approving an install is: a workspace, or (``org_wide``) a Grid org."""

    team_id: str | None
    team_name: str | None
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    org_wide: bool = False
    installer: str = "U0ADMIN"
    expires_in: int | None = None
    """Token rotation: the first token's lifetime in seconds (None: rotation off)."""


@dataclass
class _Grant:
    workspace: Workspace
    redirect_uri: str | None
    scope: str


@dataclass
class _Token:
    identity: Identity
    workspace: Workspace
    expires_at: float | None
    revoked: bool = False


@dataclass
class FakeOAuth:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    tokens: dict[str, _Token] = field(default_factory=dict)
    refreshes: list[str] = field(default_factory=list)
    """The team (or enterprise) id of every successful refresh, in order."""
    _next: Workspace | None = None
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _used_codes: set[str] = field(default_factory=set)
    _refresh_tokens: dict[str, Workspace] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def approve_next(self, workspace: Workspace) -> None:
        """The next visit to the authorize page is a person there clicking "Allow"."""
        self._next = workspace

    def authorize(self, query: dict[str, str]) -> str:
        """The authorize page: where the browser is sent after "Allow" (or why it cannot be)."""
        if query.get("client_id") != self.client_id:
            raise SlackError("invalid_client_id")
        if self._next is None:
            raise SlackError("no_install_approved")  # a test forgot approve_next
        code = f"{next(self._serial)}.{secrets.token_hex(16)}"
        self._codes[code] = _Grant(self._next, query.get("redirect_uri"), query.get("scope", ""))
        self._next = None
        return urlencode({"code": code, "state": query.get("state", "")})

    def identity(self, token: str | None) -> Identity | None:
        """Who a token issued here stands for; ``SlackError`` when it is revoked or expired."""
        issued = self.tokens.get(token or "")
        if issued is None:
            return None
        if issued.revoked:
            raise SlackError("token_revoked")
        if issued.expires_at is not None and issued.expires_at < time.time():
            raise SlackError("token_expired")
        return issued.identity

    def revoke(self, team_or_enterprise_id: str) -> None:
        for issued in self.tokens.values():
            w = issued.workspace
            if team_or_enterprise_id in (w.team_id, w.enterprise_id):
                issued.revoked = True

    def access(self, args: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        """``oauth.v2.access``: client credentials by HTTP Basic auth or as arguments."""
        client_id, client_secret = _client_credentials(args, authorization)
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        grant_type = args.get("grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            return self._refresh(str(args.get("refresh_token") or ""))
        if grant_type != "authorization_code":
            raise SlackError("invalid_grant_type")
        return self._exchange(str(args.get("code") or ""), args.get("redirect_uri"))

    def _exchange(self, code: str, redirect_uri: str | None) -> dict[str, Any]:
        if code in self._used_codes:
            raise SlackError("code_already_used")
        grant = self._codes.pop(code, None)
        if grant is None:
            raise SlackError("invalid_code")
        if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        self._used_codes.add(code)
        w = grant.workspace
        body = _installed(w, grant.scope) | {"authed_user": {"id": w.installer}}
        return body | self._issue(w, w.expires_in)

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        w = self._refresh_tokens.pop(refresh_token, None)  # a refresh token is good once
        if w is None:
            raise SlackError("invalid_refresh_token")
        self.refreshes.append(w.team_id or w.enterprise_id or "")
        return _installed(w, "") | self._issue(w, ROTATED_LIFETIME)

    def _issue(self, w: Workspace, expires_in: int | None) -> dict[str, Any]:
        serial = next(self._serial)
        rotating = expires_in is not None
        token = f"{'xoxe.' if rotating else ''}xoxb-{serial}-{secrets.token_hex(12)}"
        identity = Identity(
            token,
            w.team_id or "",
            w.bot_user_id,
            w.bot_id,
            enterprise_id=w.enterprise_id,
            is_enterprise_install=w.org_wide,
        )
        expires_at = time.time() + expires_in if rotating else None
        self.tokens[token] = _Token(identity, w, expires_at)
        if not rotating:
            return {"access_token": token}
        refresh_token = f"xoxe-1-{secrets.token_hex(16)}"
        self._refresh_tokens[refresh_token] = w
        return {"access_token": token, "expires_in": expires_in, "refresh_token": refresh_token}


def _installed(w: Workspace, scope: str) -> dict[str, Any]:
    """What both grants answer about the installation (an org-wide one has no team)."""
    return {
        "app_id": "A0001",
        "scope": scope,
        "token_type": "bot",
        "bot_user_id": w.bot_user_id,
        "team": None if w.org_wide else {"id": w.team_id, "name": w.team_name},
        "enterprise": (
            {"id": w.enterprise_id, "name": w.enterprise_name} if w.enterprise_id else None
        ),
        "is_enterprise_install": w.org_wide,
    }


def _client_credentials(args: dict[str, Any], authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password
    return str(args.get("client_id") or ""), str(args.get("client_secret") or "")
