"""``python -m bot check``: each line OK or the fix to apply."""

from __future__ import annotations

from bot.config import Settings
from bot.installations.checks import Report, check_oauth
from bot.services import Services, open_services
from bot.store.health import database_unreachable_reason


async def run_checks(settings: Settings) -> int:
    failures = 0

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal failures
        failures += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {what}{'' if ok else ' — ' + fix}")

    mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
    report(True, f"configuration ({mode}, {'OAuth' if settings.oauth else 'one workspace'})")
    async with open_services(settings) as services:
        reason = await database_unreachable_reason(services.engine)
        report(reason is None, "database reachable", f"check DATABASE_URL ({reason})")
        if services.installations is not None:
            await check_oauth(services.installations, services.sessions, report)
        else:
            await _check_bot_token(services, report)
        try:
            models = await services.openai.list_models()
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
    return 1 if failures else 0


async def _check_bot_token(services: Services, report: Report) -> None:
    try:
        auth = await services.slack.auth_test()
        report(
            True,
            f"Slack token works (bot user {auth.get('user_id')}, team {auth.get('team')})",
            "",
        )
    except Exception as exc:
        report(
            False,
            "Slack token works",
            f"check SLACK_BOT_TOKEN and SLACK_API_URL ({_reason(exc)})",
        )


def _reason(exc: Exception) -> str:
    error = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(error, dict) and error.get("error"):
        return str(error["error"])
    return type(exc).__name__
