"""Live retraining: a failed run leaves the old model serving, the swap drops no request
under concurrent traffic, one run at a time across workers, other workers follow a new
model, and `pasokhgoo train` trains from the database."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from apihelpers import ADMIN, assert_error
from typer.testing import CliRunner
from workbenchkit import GIFT_CARD, GIFT_CARD_PARAPHRASE, say, small_settings, train, wait_for_run

from bot.cli import app

PHONE_QUESTION = "شماره تلفن پشتیبانی چنده"
PHONE_ANSWER = "شماره پشتیبانی ۰۲۱-۱۲۳۴ است."


@pytest.mark.parametrize("failure", ["validation", "broken_file"])
def test_a_failed_training_leaves_the_old_model_serving(serve, tmp_path, failure: str) -> None:
    settings = small_settings(tmp_path)
    with serve(**settings) as client:
        served = client.get("/readyz").json()["model"]
        if failure == "validation":
            # a greeting taught as a FAQ question too: one sentence, two intents
            entry = GIFT_CARD | {"questions": [*GIFT_CARD["questions"], "سلام"]}
            assert client.post("/v1/admin/faq", headers=ADMIN, json=entry).status_code == 201
        else:
            (settings["data_dir"] / "nlu.yml").write_text("nlu:\n- intent: [broken\n", "utf-8")

        run = train(client)
        assert run["status"] == "failed" and run["stage"] == "failed"
        if failure == "validation":
            assert "'سلام' is an example of both" in run["error"]
            assert any(f["severity"] == "error" for f in run["findings"])
        else:
            assert "invalid YAML" in run["error"]

        assert client.get("/readyz").json()["model"] == served
        assert say(client, PHONE_QUESTION)["replies"][0]["text"].startswith(PHONE_ANSWER)
        assert say(client, GIFT_CARD_PARAPHRASE, "c2")["action"] != "answer"
        status = client.get("/v1/admin/train", headers=ADMIN).json()
        assert status["run"]["error"] == run["error"]
        assert status["serving"] == served


def test_no_request_fails_while_a_new_model_is_swapped_in(serve, tmp_path) -> None:
    with serve(**small_settings(tmp_path)) as client:
        client.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD)
        statuses: Counter[int] = Counter()
        answers: list[tuple[float, str | None]] = []
        stop = threading.Event()
        lock = threading.Lock()

        def customer(n: int) -> None:
            i = 0
            while not stop.is_set() and i < 2000:  # bounded, whatever happens
                text = (PHONE_QUESTION, GIFT_CARD_PARAPHRASE)[i % 2]
                sent = time.monotonic()
                response = client.post(
                    "/v1/chat", json={"sender_id": f"load-{n}-{i}", "text": text}
                )
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code == 200 and text == GIFT_CARD_PARAPHRASE:
                        answers.append((sent, response.json()["replies"][0]["text"]))
                i += 1

        threads = [threading.Thread(target=customer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.3)
            started_training = time.monotonic()
            run = train(client)
            swapped_at = time.monotonic()
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        assert run["status"] == "succeeded"
        assert set(statuses) == {200}, statuses
        assert statuses[200] > 20
        # asked after the swap: the new answer; asked before training began: the old one
        before = [text for at, text in answers if at < started_training]
        after = [text for at, text in answers if at > swapped_at]
        assert after and all(text == GIFT_CARD["answer"] for text in after)
        assert GIFT_CARD["answer"] not in before


def test_one_training_at_a_time_across_workers(serve, tmp_path) -> None:
    with serve(**small_settings(tmp_path)) as client:
        knowledge = client.app.state.services.stores.knowledge
        now = datetime.now(UTC)
        other = knowledge.begin_run("another worker", now, now - timedelta(minutes=15))
        assert other is not None
        assert_error(client.post("/v1/admin/train", headers=ADMIN), 409, "training_running")

        # a run that stopped reporting long ago belonged to a process that died
        other.updated_at = now - timedelta(hours=1)
        knowledge.save_run(other)
        assert train(client)["status"] == "succeeded"
        abandoned = client.get("/v1/admin/train", headers=ADMIN).json()["recent"][1]
        assert abandoned["status"] == "failed" and "abandoned" in abandoned["error"]


def test_every_worker_serves_the_new_model(serve, tmp_path) -> None:
    settings = small_settings(tmp_path, model_poll_seconds=0.1)
    with serve(**settings) as first, serve(**settings) as second:
        first.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD)
        assert train(first)["status"] == "succeeded"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if say(second, GIFT_CARD_PARAPHRASE, f"w{time.monotonic()}")["action"] == "answer":
                break
            time.sleep(0.1)
        answered = say(second, GIFT_CARD_PARAPHRASE, "w-final")
        assert answered["replies"][0]["text"] == GIFT_CARD["answer"]
        assert second.get("/readyz").json()["model"] == first.get("/readyz").json()["model"]
        # the second worker reports the run the first one made
        assert wait_for_run(second)["author"] == "admin"


def test_cli_trains_from_the_database_and_the_server_follows(serve, tmp_path, monkeypatch) -> None:
    settings = small_settings(tmp_path, model_poll_seconds=0.1)
    for name, value in (
        ("VAR_DIR", tmp_path / "var"),
        ("DATA_DIR", settings["data_dir"]),
        ("MODEL_DIR", settings["model_dir"]),
    ):
        monkeypatch.setenv(f"PASOKHGOO_{name}", str(value))
    with serve(**settings) as client:
        client.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD)
        result = CliRunner().invoke(app, ["train"])
        assert result.exit_code == 0, result.output
        assert "3 FAQ entries (database knowledge)" in result.output
        deadline = time.monotonic() + 15
        while client.get("/v1/admin/train", headers=ADMIN).json()["pending_changes"]:
            assert time.monotonic() < deadline, "the server did not pick the model up"
            time.sleep(0.1)
        assert say(client, GIFT_CARD_PARAPHRASE)["replies"][0]["text"] == GIFT_CARD["answer"]

        # a failing run exits non-zero and says why
        client.post(
            "/v1/admin/examples", headers=ADMIN, json={"intent": "faq/gift_card", "texts": ["x"]}
        )
        client.patch(
            "/v1/admin/faq/gift_card",
            headers=ADMIN,
            json={"questions": [*GIFT_CARD["questions"], "سلام"]},
        )
        failed = CliRunner().invoke(app, ["train"])
        assert failed.exit_code == 1
        assert "Training failed" in failed.output and "old model keeps serving" in failed.output
