"""Prometheus metrics for one process, served at ``GET /metrics``.

Each :class:`Metrics` owns its own ``CollectorRegistry`` (no module-level global), so several
bots in one test process never share counters. Besides our ``slackbot_*`` series it carries the
standard process, platform and GC collectors that dashboards and alerts expect, and it is served
by prometheus_client's own aiohttp handler (text or OpenMetrics by ``Accept``, gzip by
``Accept-Encoding``). Instrumented code calls the small methods below; only this module knows
metric names. Labels are codes and outcomes, never user ids or message text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.typedefs import Handler
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.aiohttp import make_aiohttp_handler
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.errors import ModelError

# Slack waits 3 s for an acknowledgement; the budget is 25 ms at p99.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Whole answers: from the first model request to the last Slack update.
_ANSWER_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.handler: Handler = make_aiohttp_handler(r)
        self._received = Counter(
            "slackbot_deliveries_received",
            "Deliveries the inbox recorded or dropped as duplicates.",
            registry=r,
        )
        self._duplicates = Counter(
            "slackbot_deliveries_duplicate",
            "Deliveries dropped because their event_id was already recorded.",
            registry=r,
        )
        self._answers = Counter(
            "slackbot_answers", "Answers by outcome (answered, failed).", ["outcome"], registry=r
        )
        self._ack_seconds = Histogram(
            "slackbot_ack_seconds",
            "Time from receiving a Slack request to answering it.",
            buckets=_ACK_BUCKETS,
            registry=r,
        )
        self._answer_seconds = Histogram(
            "slackbot_answer_seconds",
            "Time to write one whole answer.",
            buckets=_ANSWER_BUCKETS,
            registry=r,
        )
        self._tokens = Counter(
            "slackbot_model_tokens",
            "Model tokens by model and direction (in, out).",
            ["model", "direction"],
            registry=r,
        )
        self._cost = Counter(
            "slackbot_model_cost_usd",
            "Estimated model cost in USD by model (price table and MODEL_PRICES).",
            ["model"],
            registry=r,
        )
        self._images = Counter("slackbot_images_generated", "Images posted to Slack.", registry=r)
        self._in_flight = Gauge(
            "slackbot_answers_in_flight", "Answers this process is working on.", registry=r
        )
        self._openai_errors = Counter(
            "slackbot_openai_errors", "Model server errors by code.", ["code"], registry=r
        )
        self._refusals = Counter(
            "slackbot_policy_refusals",
            "Requests refused by policy (access, moderation …) by code.",
            ["code"],
            registry=r,
        )
        self._moderation_errors = Counter(
            "slackbot_moderation_errors",
            "Moderation calls that failed (answered or refused by MODERATION_ON_ERROR), by code.",
            ["code"],
            registry=r,
        )
        self._slack_errors = Counter(
            "slackbot_slack_errors", "Slack Web API errors by code.", ["code"], registry=r
        )

    def delivery_received(self, *, duplicate: bool) -> None:
        self._received.inc()
        if duplicate:
            self._duplicates.inc()

    def acknowledged(self, seconds: float) -> None:
        self._ack_seconds.observe(seconds)

    def answer_finished(self, *, answered: bool, seconds: float) -> None:
        self._answers.labels("answered" if answered else "failed").inc()
        self._answer_seconds.observe(seconds)

    def model_usage(
        self, *, model: str, prompt: int, completion: int, cost_usd: float | None
    ) -> None:
        """One model call's tokens and, when the model has a price, its estimated cost."""
        self._tokens.labels(model, "in").inc(prompt)
        self._tokens.labels(model, "out").inc(completion)
        if cost_usd is not None:
            self._cost.labels(model).inc(cost_usd)

    def images_generated(self, count: int = 1) -> None:
        self._images.inc(count)

    def watch_in_flight(self, read: Callable[[], int]) -> None:
        self._in_flight.set_function(read)

    def openai_error(self, error: ModelError) -> None:
        self._openai_errors.labels(_model_error_code(error)).inc()

    def policy_refused(self, code: str) -> None:
        self._refusals.labels(code).inc()

    def moderation_error(self, error: ModelError) -> None:
        self._moderation_errors.labels(_model_error_code(error)).inc()

    def slack_error(self, code: str) -> None:
        self._slack_errors.labels(code).inc()


class SlackErrorCounter(AsyncRetryHandler):
    """Sees every Slack Web API response (the SDK shows each one to its retry handlers) and
    counts the failures by Slack's error code; it never asks for a retry itself."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        code = type(error).__name__ if error is not None else _failure_code(response)
        if code is not None:
            self._metrics.slack_error(code)
        return False


def _model_error_code(error: ModelError) -> str:
    """OpenAI's error code, else ``http_<status>``, else the error's type."""
    return error.code or (f"http_{error.status}" if error.status else type(error).__name__)


def _failure_code(response: HttpResponse | None) -> str | None:
    """Slack's ``error`` from an ``ok: false`` body, ``http_<status>`` otherwise; None = fine."""
    if response is None:
        return None
    body: Any = response.body
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error", "unknown"))
    return f"http_{response.status_code}" if response.status_code >= 400 else None
