"""A worker started while PostgreSQL is unreachable waits for it instead of failing
(uvicorn stops every worker when one cannot start), and still stops on SIGTERM."""

from __future__ import annotations

import signal
import time

import pytest
from serverkit import Server, TcpProxy, postgres_schema, prepare_var_dir

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def wait_for_log(server: Server, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log():
        assert server.process.poll() is None, f"the server exited:\n{server.log()}"
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{server.log()}"
        time.sleep(0.2)


@pytest.fixture
def unreachable_database(tmp_path, model_dir):
    """(var dir, a database URL through a proxy that is down for now, the proxy)."""
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.up()
    proxy.down()
    try:
        with postgres_schema() as (schema, _):
            query = f"?options=-csearch_path%3D{schema}&connect_timeout=2"
            url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test{query}"
            yield prepare_var_dir(tmp_path / "var", model_dir), url, proxy
    finally:
        proxy.down()


def test_startup_waits_for_the_database_then_serves(unreachable_database) -> None:
    var_dir, url, proxy = unreachable_database
    server = Server("waits", var_dir, {"PASOKHGOO_DATABASE_URL": url})
    try:
        wait_for_log(server, "storage.waiting")
        time.sleep(3)  # several retries later it is still waiting, not gone
        assert server.process.poll() is None
        proxy.up()
        server.wait_ready(timeout=120)
        reply = server.say("c1", "شماره تلفن پشتیبانی چنده؟")
        assert reply["action"] == "answer"
    finally:
        server.stop()


def test_sigterm_ends_the_wait(unreachable_database) -> None:
    var_dir, url, _ = unreachable_database
    server = Server("stops", var_dir, {"PASOKHGOO_DATABASE_URL": url})
    try:
        wait_for_log(server, "storage.waiting")
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(15)  # raises TimeoutExpired if the wait ignored the signal
    finally:
        server.stop()
