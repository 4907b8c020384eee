"""The command line of ``python -m bench``: sizes, rates, durations and the model's pace."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bench.options import QUICK, BenchOptions, ReplyShape

DESCRIPTION = """The real bot against fake Slack and fake OpenAI, measured against the budgets
in bench/budgets.py. Everything runs on 127.0.0.1, is bounded in count and time, and stops by itself."""


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def _words(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(","))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=DESCRIPTION)
    add = parser.add_argument
    add(
        "--quick",
        action="store_true",
        help="fewer, shorter phases: 10, 100, 200/s for 0.5 s each "
        "and 100 at once (under two minutes)",
    )
    add("--rates", type=_ints, help="sustained deliveries per second (default 10,50,100,150,200)")
    add("--duration", type=float, help="seconds of deliveries at each rate (default 5)")
    add("--ttft", type=float, help="the model's time to first token at rates, s (default 0.3)")
    add("--tokens", type=int, help="tokens per answer at rates (default 40)")
    add("--tokens-per-s", type=float, help="the model's tokens per second at rates (default 50)")
    add("--at-once", type=_ints, help="threads arriving at once (default 100,1000)")
    add("--at-once-ttft", type=float, help="time to first token at once, s (default 1)")
    add("--at-once-tokens", type=int, help="tokens per answer at once (default 60)")
    add("--at-once-tokens-per-s", type=float, help="tokens per second at once (default 10)")
    add(
        "--two-process-rates",
        type=_ints,
        help="rates for two bots on one PostgreSQL, each on its own core (default 400)",
    )
    add(
        "--databases",
        type=_words,
        help="sqlite, postgresql or both (default both; postgresql includes the two-process run)",
    )
    add("--postgres-url", help="a PostgreSQL database to create the benchmark's databases beside")
    add("--phase-timeout", type=float, help="seconds to wait for a phase's answers (default 60)")
    add(
        "--bot-log-level",
        choices=["debug", "info", "warning", "error"],
        help="the bot's LOG_LEVEL (default info)",
    )
    add("--json", type=Path, metavar="PATH", help="also write every figure as JSON to PATH")
    return parser


def _shape(
    base: ReplyShape, ttft: float | None, tokens: int | None, rate: float | None
) -> ReplyShape:
    return ReplyShape(
        base.ttft_s if ttft is None else ttft, tokens or base.tokens, rate or base.tokens_per_s
    )


def parse_options(argv: list[str] | None) -> BenchOptions:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = set(args.databases or ()) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"--databases: unknown {', '.join(sorted(unknown))}")
    base = QUICK if args.quick else BenchOptions()
    given = {
        "rates": args.rates,
        "duration_s": args.duration,
        "at_once": args.at_once,
        "two_process_rates": args.two_process_rates,
        "databases": args.databases,
        "postgres_url": args.postgres_url,
        "phase_timeout_s": args.phase_timeout,
        "bot_log_level": args.bot_log_level,
        "json_path": args.json,
    }
    overrides = {name: value for name, value in given.items() if value is not None}
    return replace(
        base,
        reply=_shape(base.reply, args.ttft, args.tokens, args.tokens_per_s),
        at_once_reply=_shape(
            base.at_once_reply, args.at_once_ttft, args.at_once_tokens, args.at_once_tokens_per_s
        ),
        **overrides,
    )
