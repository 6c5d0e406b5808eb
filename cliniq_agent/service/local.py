"""Start a real `cliniq-agent serve` on a free localhost port and wait until it is ready.

Used by the service tests and the ``service-load`` benchmark: the server runs as its own process,
exactly as an operator starts it, and is stopped (SIGTERM, then SIGKILL) when the block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_TIMEOUT_S = 600.0  # a cold start builds nothing, but loading the code index takes ~30 s on 2 cores


@dataclass(frozen=True)
class LocalServer:
    base_url: str
    pid: int
    log_path: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_server(args: list[str], *, log_path: Path, env: dict[str, str] | None = None,
                 ready_timeout_s: float = READY_TIMEOUT_S) -> Iterator[LocalServer]:
    """Run ``cliniq-agent serve --host 127.0.0.1 --port <free> *args``; its JSON log goes to ``log_path``."""
    port = free_port()
    command = [sys.executable, "-m", "cliniq_agent.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                   start_new_session=True)
    server = LocalServer(f"http://127.0.0.1:{port}", process.pid, log_path)
    try:
        _wait_ready(server, process, ready_timeout_s)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: LocalServer, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}; log: {server.log_path}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not ready after {timeout_s:g} s; log: {server.log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the workers go too
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
