"""Two real server processes sharing one PostgreSQL schema, one Redis prefix and one var
dir (a model trained once): whichever worker a load balancer picks, the customer and the
operators see one conversation, and a model retrained on one is served by both."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
import redis
from apihelpers import ADMIN, SARA, TICKET_FORM, assert_error
from serverkit import (
    REDIS_URL,
    Server,
    postgres_schema,
    prepare_var_dir,
    redis_prefix,
    servers,
    ticket_in_database,
)
from websockets.sync.client import connect
from workbenchkit import GIFT_CARD

GIFT_CARD_QUESTION = GIFT_CARD["questions"][0]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@dataclass
class Cluster:
    a: Server
    b: Server
    schema: str
    prefix: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, model_dir):
    var_dir = prepare_var_dir(tmp_path_factory.mktemp("cluster") / "var", model_dir)
    with postgres_schema() as (schema, url), redis_prefix() as prefix:
        env = {
            "PASOKHGOO_DATABASE_URL": url,
            "PASOKHGOO_REDIS_URL": REDIS_URL,
            "PASOKHGOO_REDIS_PREFIX": prefix,
        }
        with servers(("a", env), ("b", env), var_dir=var_dir) as (a, b):
            yield Cluster(a, b, schema, prefix)


def transcript(server: Server, sender: str) -> list[tuple[str, str]]:
    body = server.client.get(f"/v1/chat/{sender}/messages", params={"limit": 500}).json()
    return [(m["role"], m["text"]) for m in body["messages"]]


def test_one_conversation_alternates_between_workers(cluster: Cluster) -> None:
    a, b, sender = cluster.a, cluster.b, "alternating-1"
    workers = [a, b]
    for i, text in enumerate(TICKET_FORM):
        body = workers[i % 2].say(sender, text)
    assert body["form"]["requested_slot"] == "confirm"
    done = a.say(sender, "/affirm")
    assert done["action"] == "ticket_created"
    code = done["ticket"]["tracking_code"]
    assert ticket_in_database(cluster.schema, code)
    found = b.client.get(f"/v1/tickets/{code}", params={"contact": "09121234567"})
    assert found.status_code == 200 and found.json()["status"] == "open"

    # presence told to A is seen by B; the queue on A shows what B handed off
    assert a.client.post("/v1/operator/presence", headers=SARA).json()["available"] is True
    asked = b.say(sender, "لطفا وصلم کنید به اپراتور")
    assert asked["handoff"] == {"status": "waiting"}
    queue = a.client.get("/v1/operator/queue", headers=SARA).json()["conversations"]
    assert sender in [item["sender_id"] for item in queue]
    assert b.client.post(f"/v1/operator/conversations/{sender}/claim", headers=SARA).is_success
    relayed = a.say(sender, "شماره تلفن پشتیبانی چنده؟")
    assert relayed["replies"] == [] and relayed["handoff"] == {"status": "with_operator"}

    said = [text for role, text in transcript(b, sender) if role == "customer"]
    expected = [*TICKET_FORM, "/affirm", "لطفا وصلم کنید به اپراتور", "شماره تلفن پشتیبانی چنده؟"]
    assert said == expected


def test_operator_reply_through_one_worker_reaches_socket_on_the_other(cluster: Cluster) -> None:
    a, b, sender = cluster.a, cluster.b, "socket-1"
    assert a.client.post("/v1/operator/presence", headers=SARA).json()["available"] is True
    assert a.say(sender, "لطفا وصلم کنید به اپراتور")["handoff"] == {"status": "waiting"}
    with connect(f"ws://127.0.0.1:{b.port}/v1/chat/{sender}/ws") as socket:
        claimed = a.client.post(f"/v1/operator/conversations/{sender}/claim", headers=SARA)
        assert claimed.status_code == 200
        assert "کارشناس" in json.loads(socket.recv(timeout=15))["text"]
        sent = a.client.post(
            f"/v1/operator/conversations/{sender}/messages",
            headers=SARA,
            json={"text": "سلام، سارا هستم. چطور کمکتان کنم؟"},
        )
        assert sent.status_code == 200
        event = json.loads(socket.recv(timeout=15))
        assert event["role"] == "operator" and event["text"] == "سلام، سارا هستم. چطور کمکتان کنم؟"


def test_concurrent_messages_of_one_sender_take_turns(cluster: Cluster) -> None:
    """While another worker holds the conversation's lock, both workers' messages wait;
    once it is released they are answered, one turn after the other."""
    a, b, sender = cluster.a, cluster.b, "locked-1"
    client = redis.Redis.from_url(REDIS_URL)
    key = f"{cluster.prefix}:lock:{sender}"
    try:
        assert client.set(key, "a-turn-on-another-worker", nx=True, px=60_000)
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(a.say, sender, "شماره تلفن پشتیبانی چنده؟")
            second = pool.submit(b.say, sender, "شماره تلفن پشتیبانی چنده؟")
            time.sleep(1.5)
            assert not first.done() and not second.done()
            client.delete(key)
            answers = [first.result(timeout=30), second.result(timeout=30)]
        assert all(answer["action"] == "answer" for answer in answers)
        roles = [role for role, _ in transcript(a, sender)]
        assert roles == ["customer", "bot", "customer", "bot"]
        assert client.get(key) is None  # each worker released its own lock

        # a worker killed mid-turn leaves its lock behind: it expires, the customer waits
        # at most that long
        assert client.set(key, "a-killed-worker", nx=True, px=2_000)
        started = time.monotonic()
        assert b.say(sender, "شماره تلفن پشتیبانی چنده؟")["action"] == "answer"
        assert 1.0 <= time.monotonic() - started < 9
    finally:
        client.delete(key)
        client.close()


def test_ten_thousand_messages_from_one_sender(cluster: Cluster) -> None:
    """A flood from one sender is refused cheaply (429 + Retry-After, in the error body
    shape), the worker's memory stays flat, and everybody else is still answered."""
    a = cluster.a
    flood = {"sender_id": "flood-1", "text": "شماره تلفن پشتیبانی چنده؟"}
    rss_before = a.rss_kib()
    started = time.monotonic()

    def send(count: int) -> Counter[int]:
        with httpx.Client(base_url=a.url, timeout=30) as client:
            return Counter(client.post("/v1/chat", json=flood).status_code for _ in range(count))

    with ThreadPoolExecutor(4) as pool:  # four connections, as a flooding script would
        statuses = sum(pool.map(send, [2_500] * 4), Counter())
    elapsed = time.monotonic() - started
    assert set(statuses) == {200, 429}
    # the burst (a minute's worth, 30), then one every 2 s
    assert 30 <= statuses[200] <= 31 + elapsed / 2
    assert a.rss_kib() - rss_before < 40_000  # KiB
    refused = a.client.post("/v1/chat", json=flood)
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["details"] == [
        {"limit": "sender", "retry_after": int(refused.headers["Retry-After"])}
    ]
    assert cluster.b.say("someone-else", "شماره تلفن پشتیبانی چنده؟")["action"] == "answer"


def test_a_model_trained_on_one_worker_is_served_by_the_other_at_once(cluster: Cluster) -> None:
    """B never polls (PASOKHGOO_MODEL_POLL_SECONDS=0): the release signal through Redis
    alone makes it load the model A saved to the shared folder. Last in this module: the
    cluster serves the retrained model afterwards."""
    a, b = cluster.a, cluster.b
    served_before = b.client.get("/readyz").json()["model"]["data_hash"]
    assert a.client.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD).status_code == 201
    assert b.say("release-before", GIFT_CARD_QUESTION)["action"] != "answer"

    assert a.client.post("/v1/admin/train", headers=ADMIN).status_code == 202
    run = _finished_run(a)
    trained_at = time.monotonic()
    assert run["status"] == "succeeded", run
    trained = a.client.get("/readyz").json()["model"]["data_hash"]
    assert trained == run["data_hash"] != served_before

    while b.client.get("/readyz").json()["model"]["data_hash"] != trained:
        assert time.monotonic() - trained_at < 3, "B did not load the new model"
        time.sleep(0.05)
    answered = b.say("release-after", GIFT_CARD_QUESTION)
    assert answered["action"] == "answer"
    assert answered["replies"][0]["text"].startswith(GIFT_CARD["answer"])


def _finished_run(server: Server, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = server.client.get("/v1/admin/train", headers=ADMIN).json()["run"]
        if run and run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"the training run did not finish in time:\n{server.log()}")
