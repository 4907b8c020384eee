"""The bot under test: ``python -m bot run`` in a subprocess, HTTP mode, and its memory."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
_ERROR_RECORD = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")  # the bot's text log format


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """Started with ``env`` in ``workdir`` (so no developer ``.env`` is read); logs to a file.
    ``prefix`` goes before the command (``taskset --cpu-list N``, which execs the bot: same pid).
    """

    def __init__(
        self, env: dict[str, str], workdir: Path, prefix: list[str], name: str = "bot"
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self._prefix = prefix
        self._env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "PORT": str(self.port),
            **env,
        }
        self._workdir = workdir
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self, within_s: float = 60.0) -> None:
        with self.log_path.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                *self._prefix,
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self._workdir,
                env=self._env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        await self._wait_ready(within_s)

    async def _wait_ready(self, within_s: float) -> None:
        assert self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                if self._process.returncode is not None:
                    break
                try:
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the bot did not become ready; its log ends:\n{tail}")

    def error_lines(self) -> list[str]:
        """The records of the bot's log at ERROR or above."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if _ERROR_RECORD.match(line)]

    def memory_kb(self, field: str) -> int:
        """``VmHWM`` (peak resident set) or ``VmRSS`` from /proc, in kB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise RuntimeError(f"{field} not in /proc/{self.pid}/status")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the bot has used so far (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak_memory(self) -> None:
        """Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0)."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    async def stop(self, grace_s: float = 10.0) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), grace_s)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
