"""Uvicorn servers in subprocesses on loopback, for the HTTP benchmarks (bench/http_chat.py):
start one on a free port, wait until it answers, read its CPU time, stop it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "free_port", "start_server", "wait_ready"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(name: str, target: str, env: dict[str, str], log: Path) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", target, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    handle = log.open("w")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    return Server(name, process, port, log)


def wait_ready(server: Server, path: str, method: str, timeout: float = 180.0) -> float:
    import httpx

    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()}")
        try:
            body = {"sender_id": "ready", "text": "سلام"} if method == "POST" else None
            response = httpx.request(method, server.url + path, json=body, timeout=5)
            if response.status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {timeout} s:\n{server.log.read_text()}")
