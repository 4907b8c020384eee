"""One database's run: a fresh bot and fresh fakes, the rate phases, then the concurrency ones."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.bot_process import BotProcess
from bench.driver import Plan, Sent, drive
from bench.fakes import BenchSlack, script_replies
from bench.options import BenchOptions, ReplyShape
from tests.fakes.bot_env import SIGNING_SECRET, bot_env
from tests.fakes.openai import FakeOpenAI

WARM_UP_DELIVERIES = 5


@dataclass
class RatePhase:
    rate: int
    sent: list[Sent]
    own_latency_s: list[float]  # first visible text − sent − the model's first token
    answered: int
    bot_cpu: float  # the bot's CPU time over the phase's wall time (1.0 = one core)


@dataclass
class ConcurrencyPhase:
    conversations: int
    answered: int
    peak_open_streams: int
    all_answered_s: float
    peak_rss_kb: int


@dataclass
class DatabaseRun:
    label: str
    rates: list[RatePhase]
    concurrency: list[ConcurrencyPhase]
    slack_calls: Counter[str]
    model_requests: int
    answers: int
    idle_rss_kb: int


class _Bench:
    def __init__(
        self,
        options: BenchOptions,
        pool: ProcessPoolExecutor,
        slack: BenchSlack,
        openai: FakeOpenAI,
        bot: BotProcess,
    ) -> None:
        self.options = options
        self.pool = pool
        self.slack = slack
        self.openai = openai
        self.bot = bot

    async def send(self, rate: float, count: int, shape: ReplyShape) -> list[Sent]:
        script_replies(self.openai, shape, count)
        plan = Plan(f"{self.bot.url}/slack/events", SIGNING_SECRET, rate, count)
        return await asyncio.get_running_loop().run_in_executor(self.pool, drive, plan)

    async def wait_for_answers(self, expected: int) -> float:
        """Wait until ``expected`` answers in all were finished; returns when the last came."""
        await self.slack.wait_for_answers(expected, self.options.phase_timeout_s)
        return time.monotonic()

    async def rate_phase(self, rate: int) -> RatePhase:
        before = self.slack.answers
        count = max(1, round(rate * self.options.duration_s))
        cpu_before, started = self.bot.cpu_seconds(), time.monotonic()
        sent = await self.send(rate, count, self.options.reply)
        finished = await self.wait_for_answers(before + count)
        bot_cpu = (self.bot.cpu_seconds() - cpu_before) / (finished - started)
        first_token = self.options.reply.first_token_s
        own = [
            self.slack.first_text_at[s.thread_ts] - s.sent_at - first_token
            for s in sent
            if s.thread_ts in self.slack.first_text_at
        ]
        return RatePhase(rate, sent, own, self.slack.answers - before, bot_cpu)

    async def concurrency_phase(self, conversations: int) -> ConcurrencyPhase:
        before = self.slack.answers
        self.slack.reset_peak()
        self.bot.reset_peak_memory()
        started = time.monotonic()
        rate = self.options.burst_rate
        await self.send(rate, conversations, self.options.concurrent_reply)
        finished = await self.wait_for_answers(before + conversations)
        return ConcurrencyPhase(
            conversations,
            self.slack.answers - before,
            self.slack.peak_open_streams,
            finished - started,
            self.bot.memory_kb("VmHWM"),
        )


async def run_database(
    label: str, database_url: str, options: BenchOptions, pool: ProcessPoolExecutor
) -> DatabaseRun:
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        slack, openai = BenchSlack(), FakeOpenAI()
        await slack.start()
        await openai.start()
        try:
            url = database_url.replace("{workdir}", workdir)
            bot = BotProcess(
                bot_env(slack, openai, url, LOG_LEVEL=options.bot_log_level), Path(workdir)
            )
            await bot.start()
            try:
                bench = _Bench(options, pool, slack, openai, bot)
                await bench.send(10, WARM_UP_DELIVERIES, options.reply)
                await bench.wait_for_answers(WARM_UP_DELIVERIES)
                idle_rss_kb = bot.memory_kb("VmRSS")
                rates = [await bench.rate_phase(rate) for rate in options.rates]
                levels = [await bench.concurrency_phase(n) for n in options.concurrency]
            finally:
                await bot.stop()
        finally:
            await openai.stop()
            await slack.stop()
        return DatabaseRun(
            label,
            rates,
            levels,
            slack.methods,
            len(openai.chat_requests()),
            slack.answers,
            idle_rss_kb,
        )
