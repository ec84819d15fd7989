"""Faults a deployment meets: a worker killed, Redis or PostgreSQL going away. Real server
processes; Redis is a throwaway `redis-server` of this test, PostgreSQL is reached
through a TCP proxy the test can cut."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass

import pytest
import redis
from apihelpers import SARA, TICKET_FORM
from serverkit import (
    Server,
    TcpProxy,
    ThrowawayRedis,
    postgres_schema,
    prepare_var_dir,
    servers,
    ticket_count,
    ticket_in_database,
)
from websockets.sync.client import connect

from bot.dialogue.texts import TICKET_FAILED

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

FAQ = "شماره تلفن پشتیبانی چنده؟"
FAQ_NUMBER = "۰۲۱-۹۱۰۰۰۱۰۰"


@dataclass
class Deployment:
    steady: Server  # reaches PostgreSQL through the proxy
    victim: Server  # gets killed
    schema: str
    proxy: TcpProxy
    redis: ThrowawayRedis
    prefix: str


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, model_dir):
    workdir = tmp_path_factory.mktemp("faults")
    var_dir = prepare_var_dir(workdir / "var", model_dir)
    throwaway = ThrowawayRedis(workdir)
    throwaway.start()
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.up()
    try:
        with postgres_schema() as (schema, url):
            query = f"?options=-csearch_path%3D{schema}&connect_timeout=3"
            proxied = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test{query}"
            shared = {"PASOKHGOO_REDIS_URL": throwaway.url, "PASOKHGOO_REDIS_PREFIX": "faults"}
            steady = shared | {"PASOKHGOO_DATABASE_URL": proxied}
            # the victim's locks expire soon, so its death holds nobody up for long
            victim = shared | {"PASOKHGOO_DATABASE_URL": url, "PASOKHGOO_LOCK_TTL_SECONDS": "3"}
            with servers(("steady", steady), ("victim", victim), var_dir=var_dir) as started:
                yield Deployment(*started, schema, proxy, throwaway, "faults")
    finally:
        proxy.down()
        throwaway.stop()


def test_worker_killed_mid_form_conversation_continues_on_another(deployment) -> None:
    steady, victim, sender = deployment.steady, deployment.victim, "killed-1"
    for text in TICKET_FORM[:2]:
        victim.say(sender, text)
    # killed during (or just after) a turn: the customer's message may or may not be in
    in_flight = threading.Thread(target=lambda: _quietly(victim.say, sender, TICKET_FORM[2]))
    in_flight.start()
    time.sleep(0.05)
    victim.kill()
    in_flight.join(30)

    # not knowing whether it arrived, the customer repeats it (as a name or a bad email)
    assert steady.say(sender, TICKET_FORM[2])["form"]["requested_slot"] == "email"
    for text in TICKET_FORM[3:]:
        body = steady.say(sender, text)
    assert body["form"]["requested_slot"] == "confirm"
    done = steady.say(sender, "/affirm")
    assert done["action"] == "ticket_created"
    assert ticket_in_database(deployment.schema, done["ticket"]["tracking_code"])


def _quietly(call, *args) -> None:
    try:
        call(*args)
    except Exception:  # the server died under the request, as intended
        return


def test_redis_outage_answers_keep_flowing_then_recovers(deployment) -> None:
    """Redis goes away under a live handoff and comes back empty on the same port: answers
    never stop, the customer's socket hears the operator throughout (from this worker
    while Redis is down), and presence, rate limits and live events go back to Redis
    without a restart."""
    steady, throwaway, sender = deployment.steady, deployment.redis, "redis-1"
    assert steady.client.post("/v1/operator/presence", headers=SARA).json()["available"]
    assert steady.say(sender, "لطفا وصلم کنید به اپراتور")["handoff"] == {"status": "waiting"}
    base = f"/v1/operator/conversations/{sender}"
    with connect(f"ws://127.0.0.1:{steady.port}/v1/chat/{sender}/ws") as socket:
        assert steady.client.post(f"{base}/claim", headers=SARA).status_code == 200
        assert "کارشناس" in json.loads(socket.recv(timeout=15))["text"]

        throwaway.stop()
        try:
            for _ in range(3):
                answer = steady.say("redis-2", FAQ)
                assert answer["action"] == "answer" and FAQ_NUMBER in answer["replies"][0]["text"]
            assert steady.client.post("/v1/operator/presence", headers=SARA).status_code == 200
            said = steady.client.post(f"{base}/messages", headers=SARA, json={"text": "هنوز هستم"})
            assert said.status_code == 200
            assert json.loads(socket.recv(timeout=15))["text"] == "هنوز هستم"
        finally:
            throwaway.start()  # the same port, empty

        client = redis.Redis.from_url(throwaway.url)
        try:
            deadline = time.monotonic() + 20
            presence = f"{deployment.prefix}:presence:sara"
            while not client.exists(presence):  # the worker writes to Redis again by itself
                assert time.monotonic() < deadline, "the worker never went back to Redis"
                assert steady.client.post("/v1/operator/presence", headers=SARA).status_code == 200
                time.sleep(0.3)
            assert steady.say("redis-2", FAQ)["action"] == "answer"
            assert list(client.scan_iter(match=f"{deployment.prefix}:rate:*"))  # limits too

            # events travel through Redis again: the socket resubscribed by itself
            heard = None
            while heard is None:
                assert time.monotonic() < deadline, "the socket never heard Redis again"
                said = steady.client.post(f"{base}/messages", headers=SARA, json={"text": "برگشتم"})
                assert said.status_code == 200
                with contextlib.suppress(TimeoutError):
                    heard = json.loads(socket.recv(timeout=1))
            assert heard["text"] == "برگشتم"
            assert client.pubsub_numsub(f"{deployment.prefix}:events:{sender}")[0][1] >= 1
        finally:
            client.close()


def test_postgres_outage_faq_answers_tickets_wait_for_the_database(deployment) -> None:
    steady, sender = deployment.steady, "pg-1"
    for text in TICKET_FORM:
        body = steady.say(sender, text)
    assert body["form"]["requested_slot"] == "confirm"
    before = ticket_count(deployment.schema)

    deployment.proxy.down()
    try:
        assert steady.client.get("/readyz").status_code == 503
        faq = steady.say("pg-2", FAQ)
        assert faq["action"] == "answer" and FAQ_NUMBER in faq["replies"][0]["text"]
        failed = steady.say(sender, "/affirm")
        assert failed["ticket"] is None
        assert [r["text"] for r in failed["replies"]] == [TICKET_FAILED]
        assert ticket_count(deployment.schema) == before  # nothing half-written
    finally:
        deployment.proxy.up()

    done = steady.say(sender, "/affirm")
    assert done["action"] == "ticket_created"
    # acknowledged to the customer, so in the database
    assert ticket_in_database(deployment.schema, done["ticket"]["tracking_code"])
    assert ticket_count(deployment.schema) == before + 1
