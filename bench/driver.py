"""The load generator, run in its own process: signed ``app_mention`` deliveries, open loop.

Each delivery is a new thread (a new conversation) whose text names its thread, so the model
request it causes can be matched to it. Sends are scheduled at ``start + i / rate`` whether or
not earlier ones were acknowledged, as Slack would send them; ``rate = inf`` sends them all at
once. With several bots the deliveries go round-robin, as a load balancer would spread them.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass

import aiohttp

from tests.fakes.slack_requests import event_body, mention_event, new_ts, signed_headers

ACK_TIMEOUT_S = 30.0
_QUESTION = "benchmark question {ts}"
_QUESTION_THREAD = re.compile(r"benchmark question (\d+\.\d+)")


def thread_named_in(text: str) -> str | None:
    """The thread ts a benchmark question names, if ``text`` holds one."""
    found = _QUESTION_THREAD.search(text)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Plan:
    urls: tuple[str, ...]
    secret: str
    rate: float
    count: int
    cpus: frozenset[int]


@dataclass(frozen=True)
class Sent:
    """One delivery: its thread, when it left (``time.monotonic``, shared by all processes on
    Linux), how long the acknowledgement took, and the HTTP status (0: no answer)."""

    thread_ts: str
    sent_at: float
    ack_s: float
    status: int


@dataclass(frozen=True)
class Driven:
    sent: list[Sent]
    cpu_s: float  # the driver's own CPU time for this plan


def drive(plan: Plan) -> Driven:
    os.sched_setaffinity(0, plan.cpus)
    cpu_before = time.process_time()
    sent = asyncio.run(_drive(plan))
    return Driven(sent, time.process_time() - cpu_before)


async def _drive(plan: Plan) -> list[Sent]:
    deliveries = []
    for i in range(plan.count):
        ts = new_ts()
        body = event_body(mention_event(_QUESTION.format(ts=ts), ts=ts))
        url = plan.urls[i % len(plan.urls)]
        deliveries.append((url, ts, body, signed_headers(plan.secret, body)))
    timeout = aiohttp.ClientTimeout(total=ACK_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.monotonic() + 0.05
        tasks = []
        for i, (url, ts, body, headers) in enumerate(deliveries):
            delay = start + i / plan.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_send(session, url, ts, body, headers)))
        return list(await asyncio.gather(*tasks))


async def _send(
    session: aiohttp.ClientSession, url: str, ts: str, body: str, headers: dict[str, str]
) -> Sent:
    sent_at = time.monotonic()
    try:
        async with session.post(url, data=body.encode(), headers=headers) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    return Sent(ts, sent_at, time.monotonic() - sent_at, status)
