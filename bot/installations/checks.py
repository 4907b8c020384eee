"""What ``python -m bot check`` says about OAuth mode: Slack accepts the client credentials,
and ``ENCRYPTION_KEY`` opens every stored installation. No token is ever printed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations import Installations
from bot.installations.listing import list_installations, undecryptable

if TYPE_CHECKING:
    from bot.check import Report

_CREDENTIAL_ERRORS = {"invalid_client_id", "bad_client_secret", "invalid_client"}


async def check_oauth(
    installations: Installations, sessions: async_sessionmaker[AsyncSession], report: Report
) -> None:
    """Exchanging a code that cannot exist tells good credentials (``invalid_code``) from bad
    ones without installing anything."""
    what = "Slack accepts SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
    try:
        await installations.oauth_client.oauth_v2_access(
            client_id=installations.client_id,
            client_secret=installations.client_secret,
            code="bot-check-not-a-code",
        )
        report(False, what, "Slack exchanged a code it should not have; check SLACK_API_URL")
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        ok = error not in _CREDENTIAL_ERRORS
        report(ok, what, f"copy both from Basic Information → App Credentials ({error})")
    except Exception as exc:
        report(False, what, f"check SLACK_API_URL ({type(exc).__name__})")
    try:
        count = len(await list_installations(sessions))
        failing = await undecryptable(sessions, installations.cipher)
    except Exception as exc:
        report(False, "installations readable", f"check DATABASE_URL ({type(exc).__name__})")
        return
    report(
        failing == 0,
        f"ENCRYPTION_KEY opens the tokens of {count} installation{'' if count == 1 else 's'}",
        f"{failing} need a key ENCRYPTION_KEY lacks: put the previous key after the new one",
    )
