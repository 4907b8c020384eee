"""What both fake servers share: serving an aiohttp app on loopback and awaiting arrivals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Self

from aiohttp import web


class Served:
    """``async with fake:`` for every fake: start on entry, stop on exit."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


class LoopbackServer:
    """Serves ``app`` on 127.0.0.1 (or another loopback ``host``) with a port the OS picks, so
    tests never collide."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1") -> None:
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        self._host = host
        self.root_url = ""

    async def start(self) -> str:
        """Start listening and return the root URL, e.g. ``http://127.0.0.1:41234``."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root_url = f"http://{host}:{port}"
        return self.root_url

    async def stop(self) -> None:
        await self._runner.cleanup()


class Arrivals:
    """Wakes waiters whenever something is recorded, so tests await instead of polling."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(
        self, predicate: Callable[[], bool], within_s: float, describe: Callable[[], str]
    ) -> None:
        """Return once ``predicate()`` holds; raise ``TimeoutError`` saying what was missing."""
        try:
            async with asyncio.timeout(within_s), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            raise TimeoutError(describe()) from None
