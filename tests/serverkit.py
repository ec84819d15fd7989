"""Real `pasokhgoo serve` processes for the scale-out and fault tests, and the outside
world they share: a PostgreSQL schema, a Redis key prefix, a throwaway Redis server and
a TCP proxy that can cut a server off from PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASOKHGOO = Path(sys.executable).with_name("pasokhgoo")
OPERATORS = '{"sara": "sara-secret", "reza": "reza-secret"}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    """A process's resident memory (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line)


@contextmanager
def postgres_schema() -> Iterator[tuple[str, str]]:
    """A new schema, dropped afterwards: (schema, SQLAlchemy URL using it)."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema, f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def ticket_in_database(schema: str, code: str) -> bool:
    with psycopg.connect(PG_SERVER) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {schema}.tickets WHERE tracking_code = %s", (code,)
        ).fetchone()
    return bool(row and row[0])


def ticket_count(schema: str) -> int:
    with psycopg.connect(PG_SERVER) as conn:
        row = conn.execute(f"SELECT count(*) FROM {schema}.tickets").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def redis_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """A key prefix of this test run; its keys are deleted afterwards."""
    import redis

    prefix = f"pgtest_{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        with contextlib.suppress(redis.RedisError):
            keys = list(client.scan_iter(match=f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        client.close()


def prepare_var_dir(var_dir: Path, model_dir: Path) -> Path:
    """A var dir holding a copy of the session's model (trained once)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(model_dir, var_dir / "model", dirs_exist_ok=True)
    return var_dir


class Server:
    """One `pasokhgoo serve` process on a free loopback port; `args` are more options
    (`["--workers", "2"]`). With `own_group` it leads a process group of its own, so
    `stop()` can also end the worker processes it started."""

    def __init__(
        self,
        name: str,
        var_dir: Path,
        env: dict[str, str],
        args: Sequence[str] = (),
        *,
        own_group: bool = False,
    ) -> None:
        self.name = name
        self.own_group = own_group
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / f"server-{name}-{self.port}.log"
        full_env = {
            **os.environ,
            "PASOKHGOO_VAR_DIR": str(var_dir),
            "PASOKHGOO_OPERATOR_TOKENS": OPERATORS,
            "PASOKHGOO_ADMIN_TOKEN": "admin-secret",
            "PASOKHGOO_MODEL_POLL_SECONDS": "0",
            **env,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(PASOKHGOO), "serve", "--host", "127.0.0.1", "--port", str(self.port), *args],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0 if own_group else None,
            )
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def wait_ready(self, timeout: float = 120) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if self.client.get("/readyz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"server {self.name} not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def say(self, sender: str, text: str) -> dict:
        response = self.client.post("/v1/chat", json={"sender_id": sender, "text": text})
        assert response.status_code == 200, response.text
        return response.json()

    def rss_kib(self) -> int:
        return rss_kib(self.process.pid)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lock released, no connection closed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.own_group:
            # whatever of the group outlived the server (workers orphaned by a SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


@contextmanager
def servers(*specs: tuple[str, dict[str, str]], var_dir: Path) -> Iterator[list[Server]]:
    """Start servers one after the other (the first migrates the schema), stop them all."""
    started: list[Server] = []
    try:
        for name, env in specs:
            started.append(Server(name, var_dir, env).wait_ready())
        yield started
    finally:
        for server in started:
            server.stop()


class ThrowawayRedis:
    """A `redis-server` of our own on a free port, to stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("throwaway redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class TcpProxy:
    """Forwards a loopback port to a server; `down()` refuses and cuts every connection
    (the server looks unreachable), `up()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._guard = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._guard:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._guard:
                self._conns |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
