"""``python -m bot check``: each line OK or the fix to apply."""

from __future__ import annotations

from bot.app import build_slack_client
from bot.config import Settings
from bot.metrics import Metrics
from bot.openai_api.client import OpenAIClient
from bot.store.db import create_engine
from bot.store.health import database_unreachable_reason


async def run_checks(settings: Settings) -> int:
    failures = 0

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal failures
        failures += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {what}{'' if ok else ' — ' + fix}")

    report(True, f"configuration ({'Socket Mode' if settings.socket_mode else 'HTTP mode'})")
    engine = create_engine(settings.database_url)
    try:
        reason = await database_unreachable_reason(engine)
    finally:
        await engine.dispose()
    report(reason is None, "database reachable", f"check DATABASE_URL ({reason})")
    slack = build_slack_client(settings, Metrics())
    try:
        auth = await slack.auth_test()
        report(True, f"Slack token works (bot user {auth.get('user_id')}, team {auth.get('team')})")
    except Exception as exc:
        report(
            False, "Slack token works", f"check SLACK_BOT_TOKEN and SLACK_API_URL ({_reason(exc)})"
        )
    finally:
        if slack.session is not None:
            await slack.session.close()
    openai = OpenAIClient(settings.openai_base_url, settings.openai_api_key)
    try:
        models = await openai.list_models()
        found = settings.openai_model in models or not models
        report(
            found,
            f"model server reachable, model {settings.openai_model}",
            f"the server does not list {settings.openai_model}; check OPENAI_MODEL",
        )
    except Exception as exc:
        report(
            False,
            "model server reachable",
            f"check OPENAI_BASE_URL and OPENAI_API_KEY ({_reason(exc)})",
        )
    finally:
        await openai.aclose()
    return 1 if failures else 0


def _reason(exc: Exception) -> str:
    error = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(error, dict) and error.get("error"):
        return str(error["error"])
    return type(exc).__name__
