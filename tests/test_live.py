"""The single-process live backends (bot.live): conversation locks."""

from __future__ import annotations

import threading
import time

from bot.live import LocalLocks


def test_turns_of_one_conversation_take_turns_and_others_do_not_wait() -> None:
    locks = LocalLocks()
    events: list[str] = []
    inside = threading.Event()

    def slow_turn() -> None:
        with locks.hold("c1"):
            inside.set()
            time.sleep(0.3)
            events.append("c1 first done")

    worker = threading.Thread(target=slow_turn)
    worker.start()
    assert inside.wait(5)
    with locks.hold("c2"):  # another customer is not held up
        events.append("c2")
    with locks.hold("c1"):
        events.append("c1 second")
    worker.join()

    assert events == ["c2", "c1 first done", "c1 second"]


def test_locks_are_forgotten_once_no_turn_holds_them() -> None:
    locks = LocalLocks()
    for n in range(10_000):
        with locks.hold(f"customer-{n}"), locks.hold(f"customer-{n}"):  # re-entrant
            assert len(locks) == 1
    assert len(locks) == 0
