"""`pasokhgoo serve --workers 2`: one port, two worker processes under uvicorn's
supervisor, sharing PostgreSQL and Redis. Which worker answered a request is read from
/proc, as an operator would: the worker holding the server end of its TCP connection.

The tests share one server and run in file order; the last one stops it."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from apihelpers import TICKET_FORM
from serverkit import (
    REDIS_URL,
    Server,
    postgres_schema,
    prepare_var_dir,
    redis_prefix,
    rss_kib,
    ticket_in_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

FAQ = "شماره تلفن پشتیبانی چنده؟"
FAQ_ANSWER = "۰۲۱-۹۱۰۰۰۱۰۰"


@dataclass
class Deployment:
    server: Server
    schema: str


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, model_dir):
    var_dir = prepare_var_dir(tmp_path_factory.mktemp("workers") / "var", model_dir)
    with postgres_schema() as (schema, url), redis_prefix() as prefix:
        env = {
            "PASOKHGOO_DATABASE_URL": url,
            "PASOKHGOO_REDIS_URL": REDIS_URL,
            "PASOKHGOO_REDIS_PREFIX": prefix,
        }
        server = Server("workers", var_dir, env, ["--workers", "2"], own_group=True)
        try:
            yield Deployment(server.wait_ready(), schema)
        finally:
            server.stop()  # the process group too: no worker outlives the module


# --- processes and connections, from /proc -------------------------------------------


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:  # the thread ended meanwhile
            continue
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds no socket and serves nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def workers(server: Server) -> set[int]:
    """The serve process's worker children (uvicorn spawns them with multiprocessing,
    whose resource tracker is a third child)."""
    found = set()
    for pid in children(server.process.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing.spawn" in command and running(pid):
            found.add(pid)
    return found


def serving_worker(response: httpx.Response, pids: set[int]) -> int | None:
    """The worker that holds the server end of the (still open) connection `response`
    came on: its socket's inode, from /proc/net/tcp, among the worker's descriptors."""
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    server_end = f":{response.url.port:04X}", f":{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (fields[1][-5:], fields[2][-5:]) == server_end:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def visit(server: Server, pids: set[int], method: str, path: str, **kwargs):
    """One request on a connection of its own, as a new visitor would make it: the
    response, and which of `pids` served it."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.request(method, path, **kwargs)
        return response, serving_worker(response, pids)


def chat(server: Server, pids: set[int], sender: str, text: str) -> tuple[dict, int | None]:
    response, pid = visit(
        server, pids, "POST", "/v1/chat", json={"sender_id": sender, "text": text}
    )
    assert response.status_code == 200, response.text
    return response.json(), pid


def is_faq_answer(body: dict) -> bool:
    return body["action"] == "answer" and FAQ_ANSWER in body["replies"][0]["text"]


def wait_for(condition, timeout: float, what: str, server: Server) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {timeout} s:\n{server.log()}"
        time.sleep(0.1)


@dataclass
class Prober:
    """Asks the FAQ question on a new connection, one request after the other, until
    stopped: what a customer arriving at any moment would get."""

    server: Server
    results: list[tuple[float, str]] = field(default_factory=list)  # (started, outcome)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Prober:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            sender = f"probe-{len(self.results)}"
            try:
                response = httpx.post(
                    f"{self.server.url}/v1/chat",
                    json={"sender_id": sender, "text": FAQ},
                    timeout=10,
                )
                ok = response.status_code == 200 and is_faq_answer(response.json())
                outcome = "ok" if ok else f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as exc:
                outcome = repr(exc)
            self.results.append((started, outcome))
            time.sleep(0.2)


# --- the tests -----------------------------------------------------------------------


def test_two_workers_on_one_port_take_a_whole_ticket(deployment: Deployment) -> None:
    server, sender = deployment.server, "form-1"
    pids = workers(server)
    assert len(pids) == 2
    # the supervisor only watches: migrating and training ran in a child that is gone
    assert rss_kib(server.process.pid) * 3 < min(rss_kib(pid) for pid in pids)
    assert server.client.get("/readyz").json()["status"] == "ready"
    for text in TICKET_FORM:
        body = server.say(sender, text)
    assert body["form"]["requested_slot"] == "confirm"
    done = server.say(sender, "/affirm")
    assert done["action"] == "ticket_created"
    assert ticket_in_database(deployment.schema, done["ticket"]["tracking_code"])


def test_both_workers_answer_customers(deployment: Deployment) -> None:
    """New connections are taken by either worker (the second may still be loading its
    model when /readyz first answers, hence rounds until both have answered)."""
    server = deployment.server
    pids = workers(server)
    served: Counter[int | None] = Counter()
    deadline = time.monotonic() + 60
    rounds = 0
    while len(served.keys() & pids) < 2:
        assert time.monotonic() < deadline, f"answered by {served} only, workers {pids}"
        with ThreadPoolExecutor(8) as pool:
            senders = [f"share-{rounds}-{i}" for i in range(16)]
            for body, pid in pool.map(lambda s: chat(server, pids, s, FAQ), senders):
                assert is_faq_answer(body)
                served[pid] += 1
        rounds += 1
    assert set(served) == pids  # each answer traced to a worker, each worker answered


def test_killed_worker_is_replaced_and_the_port_keeps_answering(deployment: Deployment) -> None:
    server, sender = deployment.server, "killed-1"
    before = workers(server)
    assert len(before) == 2
    for text in TICKET_FORM[:3]:
        _, victim = chat(server, before, sender, text)
    assert victim in before  # the worker that took the conversation's last turn
    (survivor,) = before - {victim}

    prober = Prober(server).start()
    try:
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: not running(victim), 5, "the killed worker gone", server)
        dead_at = time.monotonic()

        # at once, before any replacement could have loaded its model: the conversation
        # goes on where it was, on the other worker
        for text in TICKET_FORM[3:]:
            body, _ = chat(server, set(), sender, text)
        assert body["form"]["requested_slot"] == "confirm"
        done, _ = chat(server, set(), sender, "/affirm")
        assert done["action"] == "ticket_created"
        assert ticket_in_database(deployment.schema, done["ticket"]["tracking_code"])
        messages, _ = visit(server, set(), "GET", f"/v1/chat/{sender}/messages")
        said = [m["text"] for m in messages.json()["messages"] if m["role"] == "customer"]
        assert said == [*TICKET_FORM, "/affirm"]  # nothing lost, nothing twice

        # uvicorn's supervisor looks every 0.5 s and starts a replacement at once
        wait_for(lambda: len(workers(server)) == 2, 10, "a replacement worker", server)
        (replacement,) = workers(server) - {survivor}
        assert replacement not in before
        batches = itertools.count()

        def replacement_takes_connections() -> bool:
            with ThreadPoolExecutor(4) as pool:
                visits = pool.map(
                    lambda _: visit(server, {replacement}, "GET", "/healthz"), range(4)
                )
                return replacement in {pid for response, pid in visits if response.is_success}

        def replacement_answers() -> bool:
            batch = next(batches)
            with ThreadPoolExecutor(4) as pool:
                senders = [f"after-{batch}-{i}" for i in range(4)]
                answers = list(pool.map(lambda s: chat(server, {replacement}, s, FAQ), senders))
            assert all(is_faq_answer(body) for body, _ in answers)
            return replacement in {pid for _, pid in answers}

        # the replacement loads the model, as long as a first start, before it accepts
        # connections (cheap /healthz calls tell when); then it answers customers too
        wait_for(replacement_takes_connections, 120, "the replacement accepting", server)
        wait_for(replacement_answers, 30, "an answer from the replacement", server)
    finally:
        prober.stop()

    after_death = [outcome for started, outcome in prober.results if started >= dead_at]
    assert len(after_death) >= 10 and set(after_death) == {"ok"}, after_death
    # a request the killed worker had taken when it died is lost, with its connection
    lost = [outcome for started, outcome in prober.results if started < dead_at and outcome != "ok"]
    assert len(lost) <= 1 and all("Error" in outcome for outcome in lost), lost


def test_sigterm_stops_the_server_and_every_worker(deployment: Deployment) -> None:
    server = deployment.server
    assert server.process.poll() is None and len(workers(server)) == 2
    spawned = children(server.process.pid)  # the workers and the resource tracker

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0, server.log()
    wait_for(lambda: not any(map(running, spawned)), 5, "every child process gone", server)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
