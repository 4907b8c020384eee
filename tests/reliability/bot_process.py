"""The bot as a real process (``python -m bot run``, HTTP mode) for crash and shutdown tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.fakes.bot_env import SIGNING_SECRET
from tests.fakes.bot_env import bot_env as fake_env
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, new_ts, signed_headers
from tests.polling import until

REPO = Path(__file__).resolve().parents[2]


def bot_env(
    slack: FakeSlack, openai: FakeOpenAI, database_url: str, **extra: str
) -> dict[str, str]:
    return fake_env(
        slack,
        openai,
        database_url,
        PATH=os.environ.get("PATH", ""),
        PYTHONPATH=str(REPO),
        INBOX_LEASE_SECONDS="1",
        LOG_LEVEL="info",
        **extra,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)

    @classmethod
    async def start(cls, env: dict[str, str], workdir: Path) -> BotProcess:
        port = _free_port()
        log = (workdir / f"bot-{port}.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=workdir,
            env={**env, "PORT": str(port)},
            stdout=log,
            stderr=log,
        )
        log.close()
        running = cls(process, port)
        await until(running._healthy, 20)
        return running

    async def _healthy(self) -> bool:
        if self.process.returncode is not None:
            raise RuntimeError(f"bot exited with {self.process.returncode} while starting")
        try:
            return (await self.http.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    async def mention(self, text: str) -> str:
        ts = new_ts()
        body = event_body(mention_event(text, ts=ts))
        response = await self.http.post(
            "/slack/events", content=body, headers=signed_headers(SIGNING_SECRET, body)
        )
        assert response.status_code == 200
        return ts

    async def signal(self, sig: signal.Signals) -> int:
        """Send ``sig`` and wait (15 s at most) for the process to end; returns its exit code."""
        self.process.send_signal(sig)
        try:
            async with asyncio.timeout(15):
                return await self.process.wait()
        finally:
            await self.http.aclose()
