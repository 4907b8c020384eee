"""Issue 18: /metrics as Prometheus expects it — the standard process, platform and GC series
beside ours, OpenMetrics when the scraper asks for it, gzip when the scraper accepts it."""

from __future__ import annotations

import gzip

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningBot

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


async def test_metrics_carry_the_standard_process_platform_and_gc_series(bot: RunningBot) -> None:
    response = await bot.http.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    names = {
        sample.name
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    standard = {
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
        "python_gc_objects_collected_total",
        "python_gc_collections_total",
        "python_info",
    }
    assert standard <= names
    assert "slackbot_deliveries_received_total" in names


async def test_metrics_speak_openmetrics_when_the_scraper_asks(bot: RunningBot) -> None:
    response = await bot.http.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    families = {family.name for family in openmetrics_families(response.text)}
    assert {"slackbot_deliveries_received", "process_resident_memory_bytes"} <= families


async def test_metrics_are_gzipped_only_when_the_scraper_accepts_it(bot: RunningBot) -> None:
    async with bot.http.stream("GET", "/metrics", headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
    plain = await bot.http.get("/metrics", headers={"Accept-Encoding": "identity"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert b"slackbot_deliveries_received_total" in gzip.decompress(raw)
    assert "content-encoding" not in plain.headers
    assert "slackbot_deliveries_received_total" in plain.text
