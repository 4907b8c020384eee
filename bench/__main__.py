"""``python -m bench``: the real bot against fake Slack and fake OpenAI, measured against the
performance budgets (``--help`` for what it runs)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import platform
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import budgets
from bench.cli import parse_options
from bench.databases import SQLITE_URL, postgres_database
from bench.measure import PhaseSpec, at_once, sustained
from bench.options import BenchOptions
from bench.phases import RunResult, run
from bench.pinning import available_cpus
from bench.report import render_budgets, render_run, to_json


def _phases(options: BenchOptions) -> list[PhaseSpec]:
    rates = [sustained(rate, options.duration_s, options.reply) for rate in options.rates]
    bursts = [at_once(threads, options.at_once_reply) for threads in options.at_once]
    return [*rates, *bursts]


def _two_process_phases(options: BenchOptions) -> list[PhaseSpec]:
    return [sustained(r, options.duration_s, options.reply) for r in options.two_process_rates]


async def run_all(options: BenchOptions) -> list[RunResult]:
    cpus = available_cpus()
    runs: list[RunResult] = []

    def done(result: RunResult) -> None:
        runs.append(result)
        print(render_run(result), flush=True)

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        for database in options.databases:
            if database == "sqlite":
                done(await run("SQLite", SQLITE_URL, 1, _phases(options), options, pool, cpus))
                continue
            async with postgres_database(options.postgres_url) as url:
                done(await run("PostgreSQL", url, 1, _phases(options), options, pool, cpus))
            if options.two_process_rates:
                async with postgres_database(options.postgres_url) as url:
                    label, phases = "PostgreSQL, 2 processes", _two_process_phases(options)
                    done(await run(label, url, 2, phases, options, pool, cpus))
    return runs


def machine() -> str:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return (
        f"{os.cpu_count()} CPUs, {memory_kb / 1024**2:.0f} GB RAM, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    # SIGTERM unwinds like Ctrl-C, so the bot subprocesses and the PostgreSQL databases go too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    at_start = _load()
    print(f"Machine: {machine()}; load average {at_start} at start", flush=True)
    print(f"Options: {options}\n", flush=True)
    runs = asyncio.run(run_all(options))
    checked = budgets.check(runs, options)
    print(render_budgets(checked))
    at_end = _load()
    print(f"Load average at end: {at_end}")
    if options.json_path is not None:
        where = f"{machine()}; load average {at_start} at start, {at_end} at end"
        options.json_path.write_text(to_json(where, options, runs, checked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
