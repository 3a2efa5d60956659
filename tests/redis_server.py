"""A private redis-server process for fault tests: stopped and restarted at will.

The shared Redis at 6379 must never be stopped; fault tests start their own server
on a free port (no persistence, so a restart loses every key, as a real restart of an
unpersisted Redis does).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from tests.conftest import require_service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """``redis-server`` on 127.0.0.1:``port``; :meth:`stop` kills it (SIGKILL)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10) -> RedisServer:
        cmd = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def own_redis():
    """A started private redis-server (skipped locally / failed under CI=true when
    the binary is missing); killed after the test."""
    require_service(shutil.which("redis-server") is not None, "redis-server binary")
    server = RedisServer().start()
    yield server
    server.stop()
