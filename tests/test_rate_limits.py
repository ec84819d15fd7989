"""Per-sender and per-IP rate limits on the chat endpoints, and CORS."""

from __future__ import annotations

import pytest
from apihelpers import assert_error
from fastapi.testclient import TestClient
from serverkit import REDIS_URL, free_port, redis_prefix

from api.app import create_app
from api.ratelimit import LocalRateLimit

PHONE_QUESTION = "شماره تلفن پشتیبانی چنده؟"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_minutes_worth_at_once_then_one_per_interval() -> None:
    clock = FakeClock()
    limit = LocalRateLimit(6, clock=clock)  # one every 10 s on average
    assert [limit.hit("s") for _ in range(6)] == [0.0] * 6  # the burst
    assert limit.hit("s") == pytest.approx(10.0)
    clock.now += 10
    assert limit.hit("s") == 0.0
    assert limit.hit("s") > 0
    assert limit.hit("other") == 0.0  # senders do not share a bucket
    clock.now += 60
    assert [limit.hit("s") for _ in range(6)] == [0.0] * 6  # refilled after a quiet minute


def test_memory_is_bounded_by_the_number_of_keys_kept() -> None:
    limit = LocalRateLimit(30, max_keys=1000)
    for n in range(20_000):
        limit.hit(f"sender-{n}")
    assert len(limit) == 1000


def chat(client: TestClient, sender: str, text: str = PHONE_QUESTION):
    return client.post("/v1/chat", json={"sender_id": sender, "text": text})


def test_rasa_channel_counts_against_the_same_sender(serve) -> None:
    with serve(rate_per_sender=2) as client:
        assert chat(client, "r1").status_code == 200
        rasa = {"sender": "r1", "message": PHONE_QUESTION}
        assert client.post("/webhooks/rest/webhook", json=rasa).status_code == 200
        assert_error(client.post("/webhooks/rest/webhook", json=rasa), 429, "rate_limited")


def test_per_ip_limit_for_routable_clients_only(make_settings) -> None:
    app = create_app(make_settings(rate_per_ip=3))
    with TestClient(app, client=("203.0.113.7", 40000)) as remote:
        assert [chat(remote, f"ip-{n}").status_code for n in range(3)] == [200] * 3
        refused = chat(remote, "ip-4")
        assert_error(refused, 429, "rate_limited")
        assert refused.json()["error"]["details"][0]["limit"] == "ip"
    # loopback is a local reverse proxy speaking for many customers: not limited per IP
    with TestClient(create_app(make_settings(rate_per_ip=3)), client=("127.0.0.1", 1)) as local:
        assert [chat(local, f"lo-{n}").status_code for n in range(5)] == [200] * 5


def test_zero_switches_a_limit_off(serve) -> None:
    with serve(rate_per_sender=0) as client:
        assert {chat(client, "free").status_code for _ in range(40)} == {200}


@pytest.mark.redis
def test_workers_share_the_limit_through_redis(make_settings) -> None:
    with redis_prefix() as prefix:
        settings = make_settings(rate_per_sender=3, redis_url=REDIS_URL, redis_prefix=prefix)
        with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
            assert chat(one, "shared").status_code == 200
            assert chat(two, "shared").status_code == 200
            assert chat(one, "shared").status_code == 200
            assert_error(chat(two, "shared"), 429, "rate_limited")


def test_without_redis_each_worker_still_limits(make_settings) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with TestClient(create_app(make_settings(rate_per_sender=2, redis_url=dead))) as client:
        assert [chat(client, "s").status_code for _ in range(3)] == [200, 200, 429]


def test_cors_only_for_configured_origins(serve) -> None:
    preflight = {
        "Origin": "https://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with serve() as client:
        response = client.options("/v1/chat", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    with serve(cors_origins=["https://shop.example"]) as client:
        allowed = client.options("/v1/chat", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        other = client.post(
            "/v1/chat",
            json={"sender_id": "c", "text": PHONE_QUESTION},
            headers={"Origin": "https://evil.example"},
        )
        assert "access-control-allow-origin" not in other.headers
