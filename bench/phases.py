"""One run: fresh fakes and one or more fresh bots on one database, a warm-up, then phases."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.bot_process import BotProcess
from bench.driver import Plan, drive
from bench.fakes import BenchSlack, model_times, script_replies
from bench.measure import Observed, PhaseResult, PhaseSpec, summarise, sustained
from bench.options import BenchOptions
from bench.pinning import Layout, layout, run_here_on
from tests.fakes.bot_env import SIGNING_SECRET, bot_env
from tests.fakes.openai import FakeOpenAI

WARM_UP = 5  # deliveries per bot before anything is measured
# How long the bots' idle CPU is measured for, after the warm-up: /proc counts it in clock
# ticks (10 ms), so over one second a tick was a whole 1% of a core.
IDLE_S = 3.0


@dataclass(frozen=True)
class RunResult:
    label: str
    processes: int
    pinning: str
    idle_rss_mb: float  # after the warm-up; the highest of the bot processes
    idle_bot_cores: float  # the bots' CPU time while idle over wall time (1.0 = one core)
    phases: list[PhaseResult]
    slack_calls_per_answer: dict[str, float]  # per method, over the whole run
    model_requests_per_answer: float
    conversations_replies: int  # Slack reads to rebuild history: there should be none
    bot_log_errors: list[str]  # the bots' ERROR lines (their logs go with the run's directory)


class _Rig:
    def __init__(
        self,
        options: BenchOptions,
        pool: ProcessPoolExecutor,
        where: Layout,
        slack: BenchSlack,
        openai: FakeOpenAI,
        bots: list[BotProcess],
    ) -> None:
        self.options = options
        self.pool = pool
        self.where = where
        self.slack = slack
        self.openai = openai
        self.bots = bots

    async def phase(self, spec: PhaseSpec) -> PhaseResult:
        slack = self.slack
        calls_before, answers_before = Counter(slack.methods), slack.answers
        slack.reset_peak()
        for bot in self.bots:
            bot.reset_peak_memory()
        bot_cpu_before, own_cpu_before = self.bot_cpu_s(), time.process_time()
        started = time.monotonic()
        script_replies(self.openai, spec.reply, spec.count)
        urls = tuple(f"{bot.url}/slack/events" for bot in self.bots)
        plan = Plan(urls, SIGNING_SECRET, spec.rate, spec.count, self.where.others)
        driven = await asyncio.get_running_loop().run_in_executor(self.pool, drive, plan)
        await slack.wait_for_answers(answers_before + spec.count, self.options.phase_timeout_s)
        wall_s = time.monotonic() - started
        _progress(f"  {spec.name}: {spec.count} deliveries, {wall_s:.1f} s")
        seen = Observed(
            spec=spec,
            sent=driven.sent,
            model=model_times(self.openai),
            first_text_at=slack.first_text_at,
            answered_at=slack.answered_at,
            wall_s=wall_s,
            bot_cpu_s=self.bot_cpu_s() - bot_cpu_before,
            fakes_cpu_s=time.process_time() - own_cpu_before + driven.cpu_s,
            slack_calls=slack.methods - calls_before,
            peak_rss_kb=max(bot.memory_kb("VmHWM") for bot in self.bots),
            peak_open_streams=slack.peak_open_streams,
        )
        return summarise(seen)

    def bot_cpu_s(self) -> float:
        return sum(bot.cpu_seconds() for bot in self.bots)

    async def idle_cores(self) -> float:
        """The CPU the bots use with nothing to do (sweeps, timers): part of every phase's."""
        before = self.bot_cpu_s()
        await asyncio.sleep(IDLE_S)
        return (self.bot_cpu_s() - before) / IDLE_S


async def run(
    label: str,
    database_url: str,
    processes: int,
    phases: Sequence[PhaseSpec],
    options: BenchOptions,
    pool: ProcessPoolExecutor,
    cpus: frozenset[int],
) -> RunResult:
    where = layout(cpus, processes)
    run_here_on(where.others)
    _progress(f"{label}: {where.description}")
    async with _rig(database_url, processes, options, pool, where) as rig:
        warm_up = sustained(10, WARM_UP * processes / 10, options.reply)
        await rig.phase(warm_up)
        idle_rss_kb = max(bot.memory_kb("VmRSS") for bot in rig.bots)
        idle_cores = await rig.idle_cores()
        results = [await rig.phase(spec) for spec in phases]
        errors = [line for bot in rig.bots for line in bot.error_lines()]
    answers = max(1, rig.slack.answers)
    return RunResult(
        label=label,
        processes=processes,
        pinning=where.description,
        idle_rss_mb=idle_rss_kb / 1024,
        idle_bot_cores=idle_cores,
        phases=results,
        slack_calls_per_answer={m: n / answers for m, n in sorted(rig.slack.methods.items())},
        model_requests_per_answer=len(rig.openai.chat_requests()) / answers,
        conversations_replies=rig.slack.methods["conversations.replies"],
        bot_log_errors=errors,
    )


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@asynccontextmanager
async def _rig(
    database_url: str,
    processes: int,
    options: BenchOptions,
    pool: ProcessPoolExecutor,
    where: Layout,
) -> AsyncIterator[_Rig]:
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        slack = await stack.enter_async_context(BenchSlack())
        openai = await stack.enter_async_context(FakeOpenAI())
        url = database_url.replace("{workdir}", str(workdir))
        env = bot_env(slack, openai, url, LOG_LEVEL=options.bot_log_level)
        bots = []
        # One after the other: the first applies the migrations, the second finds them done.
        for index in range(processes):
            bot = BotProcess(env, workdir, where.bot_command_prefix(index), f"bot{index}")
            stack.push_async_callback(bot.stop)
            await bot.start()
            bots.append(bot)
        yield _Rig(options, pool, where, slack, openai, bots)
