"""The ``installations`` command: its output, never a token."""

from __future__ import annotations

import sys

from bot.config import Settings
from bot.installations.crypto import TokenCipher, UndecryptableToken
from bot.installations.listing import list_installations, reencrypt
from bot.store.db import create_engine, create_session_factory


async def run_installations(settings: Settings, *, reencrypt_tokens: bool) -> int:
    if not settings.oauth:
        print(
            "Single-workspace mode (SLACK_BOT_TOKEN): there are no stored installations. "
            "Set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth mode.",
            file=sys.stderr,
        )
        return 2
    engine = create_engine(settings.database_url)
    try:
        sessions = create_session_factory(engine)
        if reencrypt_tokens:
            try:
                count = await reencrypt(sessions, TokenCipher.from_setting(settings.encryption_key))
            except UndecryptableToken:
                print(
                    "A stored token needs a key ENCRYPTION_KEY lacks: nothing was changed. "
                    "Keep the old key after the new one until this succeeds.",
                    file=sys.stderr,
                )
                return 1
            print(f"{count} installations re-encrypted with the first ENCRYPTION_KEY")
            return 0
        lines = await list_installations(sessions)
    finally:
        await engine.dispose()
    for line in lines:
        print(line)
    print(f"{len(lines)} installation{'' if len(lines) == 1 else 's'}")
    return 0
