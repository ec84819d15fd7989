"""What runs where in a worker: work that takes milliseconds of CPU or may wait on Redis
runs in the thread pool, so one slow call never stalls every other customer of that
worker; and a live-events socket is accepted only once its subscription delivers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apihelpers import SARA

from bot.live import LocalBus, LocalPresence, Subscription


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Watched:
    """A callable that records, for each call, whether it ran on the event loop."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call
        self.on_loop: list[bool] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.on_loop.append(on_event_loop())
        return self.call(*args, **kwargs)


class WatchedPresence(LocalPresence):
    def __init__(self) -> None:
        super().__init__()
        self.on_loop: list[bool] = []

    def seen(self, operator: str, now: datetime) -> None:
        self.on_loop.append(on_event_loop())
        super().seen(operator, now)

    def online(self, now: datetime) -> list[str]:
        self.on_loop.append(on_event_loop())
        return super().online(now)


class SlowToSubscribeBus(LocalBus):
    """Like Redis: a subscription delivers only after `ready()` has awaited the server."""

    def __init__(self) -> None:
        super().__init__()
        self.ready: list[str] = []

    def subscribe(self, sender_id: str) -> Subscription:
        subscription = super().subscribe(sender_id)

        async def ready() -> None:
            await asyncio.sleep(0.05)
            self.ready.append(sender_id)

        subscription.ready = ready  # type: ignore[attr-defined]
        return subscription


def test_faq_search_and_rasa_parse_run_in_the_thread_pool(client) -> None:
    interpreter = client.app.state.services.assistant.interpreter
    search = Watched(interpreter.model.index.search)
    parse = Watched(interpreter.parse)
    interpreter.model.index.search = search
    interpreter.parse = parse

    hits = client.get("/v1/faq/search", params={"q": "شماره تلفن پشتیبانی"}).json()["hits"]
    parsed = client.post("/model/parse", json={"text": "هزینه ارسال چقدره"}).json()

    assert hits and parsed["intent"]["name"]
    assert search.on_loop == [False]
    assert parse.on_loop == [False]


def test_operator_presence_never_waits_on_the_event_loop(client) -> None:
    presence = WatchedPresence()
    client.app.state.services.engine.presence = presence

    assert client.get("/v1/operator/queue", headers=SARA).status_code == 200
    body = client.post("/v1/operator/presence", headers=SARA).json()
    client.post("/v1/chat", json={"sender_id": "c1", "text": "وصلم کنید به اپراتور"})
    assert client.post("/v1/operator/conversations/c1/claim", headers=SARA).status_code == 200

    assert body["online"] == ["sara"]
    assert len(presence.on_loop) >= 4  # queue, presence (seen + online), chat, claim
    assert not any(presence.on_loop)


def test_sockets_are_accepted_once_their_subscription_delivers(client) -> None:
    bus = SlowToSubscribeBus()
    client.app.state.services.engine.bus = bus

    with (
        client.websocket_connect("/v1/chat/c1/ws") as customer,
        client.websocket_connect("/v1/operator/ws?token=sara-secret") as operator,
    ):
        assert bus.ready == ["c1", "*"]  # both were subscribed before "connected"
        bus.publish("c1", {"type": "message", "text": "سلام از اپراتور"})
        assert customer.receive_json()["text"] == "سلام از اپراتور"
        assert operator.receive_json() == {
            "sender_id": "c1",
            "type": "message",
            "text": "سلام از اپراتور",
        }
