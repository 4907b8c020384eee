"""``python -m bench``: the real bot against fake Slack and fake OpenAI, measured against the
budgets of DESIGN §7. Everything runs on 127.0.0.1, is bounded in count and time, and stops
by itself."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from bench.databases import SQLITE_URL, postgres_database
from bench.options import BenchOptions, ReplyShape
from bench.phases import DatabaseRun, run_database
from bench.report import render_budgets, render_run

QUICK = BenchOptions(
    duration_s=1.0,
    concurrency=(10, 100),
    concurrent_reply=ReplyShape(ttft_s=0.5, tokens=20, tokens_per_s=10),
)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def _words(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(","))


def parse_options(argv: list[str] | None) -> BenchOptions:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a short run (1 s per rate, 10 and 100 at once)"
    )
    parser.add_argument(
        "--rates", type=_ints, help="deliveries per second to measure acks at (default 50,100,200)"
    )
    parser.add_argument(
        "--duration", type=float, help="seconds of deliveries at each rate (default 5)"
    )
    parser.add_argument(
        "--ttft", type=float, help="the model's time to first token, s (default 0.3)"
    )
    parser.add_argument("--tokens", type=int, help="tokens per answer (default 40)")
    parser.add_argument(
        "--tokens-per-s", type=float, help="the model's tokens per second (default 50)"
    )
    parser.add_argument(
        "--concurrency", type=_ints, help="conversations streaming at once (default 10,100,1000)"
    )
    parser.add_argument(
        "--concurrent-ttft",
        type=float,
        help="time to first token in the concurrency runs, s (default 1)",
    )
    parser.add_argument(
        "--concurrent-tokens",
        type=int,
        help="tokens per answer in the concurrency runs (default 60)",
    )
    parser.add_argument(
        "--concurrent-tokens-per-s",
        type=float,
        help="tokens per second in the concurrency runs (default 10)",
    )
    parser.add_argument(
        "--burst-rate",
        type=int,
        help="deliveries per second that start the concurrency runs (default 500)",
    )
    parser.add_argument(
        "--databases", type=_words, help="sqlite, postgresql or both (default sqlite,postgresql)"
    )
    parser.add_argument(
        "--postgres-url", help="a PostgreSQL database to create the benchmark's database beside"
    )
    parser.add_argument(
        "--phase-timeout", type=float, help="seconds to wait for a phase's answers (default 60)"
    )
    parser.add_argument(
        "--bot-log-level",
        choices=["debug", "info", "warning", "error"],
        help="the bot's LOG_LEVEL (default info)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.databases or ()) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"--databases: unknown {', '.join(sorted(unknown))}")
    base = QUICK if args.quick else BenchOptions()
    reply = base.reply
    reply = ReplyShape(
        args.ttft if args.ttft is not None else reply.ttft_s,
        args.tokens or reply.tokens,
        args.tokens_per_s or reply.tokens_per_s,
    )
    concurrent = base.concurrent_reply
    concurrent = ReplyShape(
        args.concurrent_ttft if args.concurrent_ttft is not None else concurrent.ttft_s,
        args.concurrent_tokens or concurrent.tokens,
        args.concurrent_tokens_per_s or concurrent.tokens_per_s,
    )
    given = {
        "rates": args.rates,
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "burst_rate": args.burst_rate,
        "databases": args.databases,
        "postgres_url": args.postgres_url,
        "phase_timeout_s": args.phase_timeout,
        "bot_log_level": args.bot_log_level,
    }
    overrides = {name: value for name, value in given.items() if value is not None}
    return replace(base, reply=reply, concurrent_reply=concurrent, **overrides)


async def run(options: BenchOptions) -> list[DatabaseRun]:
    runs = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        for database in options.databases:
            if database == "sqlite":
                runs.append(await run_database("SQLite", SQLITE_URL, options, pool))
            else:
                async with postgres_database(options.postgres_url) as url:
                    runs.append(await run_database("PostgreSQL", url, options, pool))
            print(render_run(runs[-1]), flush=True)
    return runs


def machine() -> str:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return (
        f"{os.cpu_count()} CPUs, {memory_kb / 1024**2:.0f} GB RAM, {platform.platform()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start"
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    # SIGTERM unwinds like Ctrl-C, so the bot subprocess and the PostgreSQL database go too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"Machine: {machine()}", flush=True)
    print(f"Options: {options}\n", flush=True)
    runs = asyncio.run(run(options))
    print(render_budgets(runs, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
