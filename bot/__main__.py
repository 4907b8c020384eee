"""Command line: ``python -m bot run | migrate | check | config-table | usage | forget-user |
gen-key | installations``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import subprocess
import sys
from datetime import timedelta

from bot.config import Settings, config_table
from bot.data_commands import forget_user_command, usage_command
from bot.errors import ConfigError
from bot.logging_setup import configure_logging, scrub
from bot.store.usage_repo import GROUPINGS
from bot.usage.report import parse_since

log = logging.getLogger("bot")


def _migrate(settings: Settings) -> int:
    """Bring the database to this code's schema; 1, with what to check, when it cannot."""
    from bot.migrate import upgrade_to_head

    try:
        upgrade_to_head(settings.database_url)
    except Exception as exc:
        return _failed("migrate the database", exc, "Check DATABASE_URL and that it is running.")
    return 0


def _failed(doing: str, error: BaseException | None, advice: str) -> int:
    """Say on one line what could not be done, why and what to check (the traceback only at
    DEBUG, secrets scrubbed); the exit code, 1."""
    log.debug("could not %s", doing, exc_info=error)
    print(
        f"Could not {doing}: {type(error).__name__}: {scrub(str(error))}. {advice}", file=sys.stderr
    )
    return 1


def _migrate_in_child() -> int:
    """Apply migrations in a short-lived ``python -m bot migrate``: Alembic (about 10 MB
    once imported) then never loads in the long-running process. Its exit code (it says
    what went wrong itself)."""
    return subprocess.run([sys.executable, "-m", "bot", "migrate"], check=False).returncode


async def _serve(settings: Settings) -> None:
    from bot.app import BotServer

    server = BotServer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
    except Exception as exc:
        await server.stop()
        raise StartupError(exc) from exc
    await stop.wait()
    log.info("shutting down: finishing in-flight answers")
    await server.stop()


def _period(text: str) -> timedelta:
    try:
        return parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class StartupError(Exception):
    """The bot could not start serving (Slack unreachable, port taken, bad app token…)."""


def _load_settings() -> Settings:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="apply pending migrations, then serve (Socket Mode or HTTP)")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("check", help="validate configuration and reach the services")
    commands.add_parser("config-table", help="print the configuration table for the README")
    usage = commands.add_parser("usage", help="print tokens, images and estimated cost")
    usage.add_argument(
        "--since", type=_period, default="7d", help="how far back: 24h, 7d, 2w (default 7d)"
    )
    usage.add_argument(
        "--by", choices=GROUPINGS, default="model", help="group rows (default model)"
    )
    usage.add_argument("--csv", action="store_true", help="CSV for spreadsheets")
    forget = commands.add_parser(
        "forget-user", help="delete everything stored from and about one Slack user"
    )
    forget.add_argument("user_id", help="the Slack user id, e.g. U012ABCDEF")
    commands.add_parser("gen-key", help="print a new ENCRYPTION_KEY (a Fernet key)")
    listing = commands.add_parser(
        "installations", help="list the workspaces and orgs the app is installed in (OAuth mode)"
    )
    listing.add_argument(
        "--reencrypt",
        action="store_true",
        help="re-encrypt every stored token with the first ENCRYPTION_KEY (after a rotation)",
    )
    args = parser.parse_args(argv)
    if args.command == "config-table":
        print(config_table())
        return 0
    if args.command == "gen-key":
        from bot.installations import generate_key

        print(generate_key())
        return 0
    try:
        settings = _load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        from bot.check import run_checks

        return asyncio.run(run_checks(settings))
    if args.command == "run":
        migrated = _migrate_in_child()
        if migrated != 0:
            return migrated
    elif (migrated := _migrate(settings)) != 0:
        return migrated
    if args.command == "usage":
        print(
            asyncio.run(usage_command(settings, period=args.since, by=args.by, as_csv=args.csv)),
            end="\n" if not args.csv else "",
        )
    if args.command == "forget-user":
        print(asyncio.run(forget_user_command(settings, args.user_id)))
    if args.command == "installations":
        from bot.installations.cli import run_installations

        return asyncio.run(run_installations(settings, reencrypt_tokens=args.reencrypt))
    if args.command == "run":
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_serve(settings))
        except StartupError as exc:
            return _failed(
                "start",
                exc.__cause__,
                "Check SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL and PORT; "
                "`python -m bot check` tests the rest.",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
