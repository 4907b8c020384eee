"""The load generator, run in its own process: signed ``app_mention`` deliveries, open loop.

Each delivery is a new thread (a new conversation). Sends are scheduled at ``start + i / rate``
whether or not earlier ones were acknowledged, as Slack would send them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from tests.fakes.slack_requests import event_body, mention_event, new_ts, signed_headers


@dataclass(frozen=True)
class Plan:
    url: str
    secret: str
    rate: float
    count: int


@dataclass(frozen=True)
class Sent:
    """One delivery: its thread, when it left (``time.monotonic``, shared by all processes on
    Linux), how long the acknowledgement took, and the HTTP status (0: no answer)."""

    thread_ts: str
    sent_at: float
    ack_s: float
    status: int


def drive(plan: Plan) -> list[Sent]:
    return asyncio.run(_drive(plan))


async def _drive(plan: Plan) -> list[Sent]:
    deliveries = []
    for i in range(plan.count):
        ts = new_ts()
        body = event_body(mention_event(f"benchmark question {i}", ts=ts))
        deliveries.append((ts, body, signed_headers(plan.secret, body)))
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.monotonic() + 0.05
        tasks = []
        for i, (ts, body, headers) in enumerate(deliveries):
            delay = start + i / plan.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_send(session, plan.url, ts, body, headers)))
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
