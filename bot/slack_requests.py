"""Slack's HTTP deliveries as they arrive: the signature checked on the exact bytes, then the
body decoded and given the envelope shape Bolt relies on, or refused."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier


class BytesSignatureVerifier(SignatureVerifier):
    """slack_sdk's verifier (five-minute window, constant-time comparison) over the raw body.

    slack_sdk's own ``generate_signature`` decodes a bytes body as UTF-8 first and raises on
    anything else, and ``is_valid`` raises on a timestamp that is not a number: here both
    are simply "not signed by Slack"."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body.encode() if isinstance(body, str) else body
        signed = b"v0:" + timestamp.encode() + b":" + raw
        return "v0=" + hmac.new(self.signing_secret.encode(), signed, hashlib.sha256).hexdigest()

    def is_valid(self, body: str | bytes, timestamp: str | None, signature: str | None) -> bool:
        try:
            return super().is_valid(body, timestamp, signature)
        except ValueError:
            return False


def parse_delivery(body: bytes, query: str, headers: Mapping[str, Any]) -> AsyncBoltRequest | None:
    """The delivery as Bolt's request, or None when it is not something Slack sends.

    Slack's bodies are UTF-8 whatever the Content-Type says: JSON has no charset parameter
    (RFC 8259 requires UTF-8) and a form body is ASCII with UTF-8 percent-escapes. So the
    charset is not consulted; bytes that are not UTF-8 are malformed."""
    try:
        request = AsyncBoltRequest(body=body.decode("utf-8"), query=query, headers=dict(headers))
    except Exception:  # Bolt's parsers raise whatever their input provokes
        return None
    return request if _has_envelope_shape(request.body) else None


def _has_envelope_shape(body: dict[str, Any]) -> bool:
    """The parts Bolt indexes without checking (a string ``event`` or an empty ``actions``
    list makes it raise): objects where Slack always sends objects."""
    if any(not isinstance(body.get(key, {}), dict) for key in ("event", "view")):
        return False
    actions = body.get("actions", [{}])
    if not (isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)):
        return False
    event = body.get("event", {})
    return all(isinstance(event.get(key), dict | None) for key in ("message", "previous_message"))
