"""FAQ curation over the admin API: the token on every route, validation with field
details, history and revert, and an edit that answers after retraining and survives a
restart. Trained on the tests' own small knowledge base (tests/workbenchkit.py)."""

from __future__ import annotations

import pytest
from apihelpers import ADMIN, SARA, assert_error
from workbenchkit import GIFT_CARD, GIFT_CARD_PARAPHRASE, say, small_settings, train

from bot.training_data import load_training_data


@pytest.fixture
def admin(serve, tmp_path):
    with serve(**small_settings(tmp_path)) as client:
        yield client


def _admin_routes(client) -> list[tuple[str, str]]:
    """Every (method, path) the app serves under /v1/admin, from its OpenAPI schema."""
    paths = client.app.openapi()["paths"]
    return sorted(
        (method, path.replace("{", "").replace("}", ""))  # `{key}` → `key`: any value will do
        for path, operations in paths.items()
        if path.startswith("/v1/admin")
        for method in operations
    )


def test_every_admin_route_needs_the_admin_token(admin) -> None:
    routes = _admin_routes(admin)
    assert len(routes) >= 25  # FAQ, import/export, examples, training, gaps, drafts, figures
    for method, path in routes:
        call = getattr(admin, method)
        assert_error(call(path), 401, "unauthorized")
        assert_error(call(path, headers={"Authorization": "Bearer nope"}), 403, "forbidden")
        # an operator's token is a staff token, but not the admin's
        assert_error(call(path, headers=SARA), 403, "forbidden")


def test_entries_are_seeded_from_the_shipped_data(client, knowledge_base) -> None:
    listed = client.get("/v1/admin/faq", headers=ADMIN).json()["entries"]
    assert [e["key"] for e in listed] == sorted(knowledge_base.faq_keys)
    first = listed[0]
    shipped = [x.text for x in knowledge_base.examples if x.intent == f"faq/{first['key']}"]
    assert first["questions"] == list(dict.fromkeys(shipped))
    assert first["answer"] == knowledge_base.response(f"utter_faq/{first['key']}")
    assert first["title"] == knowledge_base.titles[f"faq/{first['key']}"]
    assert first["author"] == "nlu_data" and first["enabled"] is True
    history = client.get(f"/v1/admin/faq/{first['key']}/history", headers=ADMIN).json()
    assert [h["action"] for h in history["history"]] == ["seed"]


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"answer": "   "}, "answer", "empty_answer"),
        ({"key": "contact_phone"}, "key", "duplicate_key"),
        ({"key": "Gift Card"}, "key", "invalid_key"),
        ({"questions": ["کارت هدیه", "فعال سازی کارت هدیه"]}, "questions", "too_few_questions"),
        # contact_phone's question, typed with Arabic ي: the same question after normalising
        (
            {"questions": [*GIFT_CARD["questions"], "تلفن پشتيباني رو بديد"]},
            "questions[3]",
            "question_taken",
        ),
        (
            {"questions": [*GIFT_CARD["questions"], "فعال‌سازی کارت هدیه"]},
            "questions[3]",
            "duplicate_question",
        ),
    ],
)
def test_invalid_entries_are_refused_with_field_details(
    admin, change: dict, field: str, kind: str
) -> None:
    before = admin.get("/v1/admin/faq", headers=ADMIN).json()
    error = assert_error(
        admin.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD | change), 422, "invalid_entry"
    )
    assert {"field": field, "type": kind} in [
        {"field": d["field"], "type": d["type"]} for d in error["details"]
    ]
    if kind == "question_taken":
        assert "contact_phone" in error["details"][0]["message"]
    assert admin.get("/v1/admin/faq", headers=ADMIN).json() == before


def test_a_draft_may_lack_an_answer_until_it_is_enabled(admin) -> None:
    draft = GIFT_CARD | {"answer": "", "questions": GIFT_CARD["questions"][:1], "enabled": False}
    assert admin.post("/v1/admin/faq", headers=ADMIN, json=draft).status_code == 201
    error = assert_error(
        admin.patch("/v1/admin/faq/gift_card", headers=ADMIN, json={"enabled": True}),
        422,
        "invalid_entry",
    )
    assert {d["type"] for d in error["details"]} == {"empty_answer", "too_few_questions"}


def test_a_new_entry_answers_a_paraphrase_after_retraining_and_after_a_restart(
    serve, tmp_path
) -> None:
    settings = small_settings(tmp_path)
    with serve(**settings) as client:
        assert say(client, GIFT_CARD_PARAPHRASE)["action"] != "answer"
        created = client.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD)
        assert created.status_code == 201, created.text
        status = client.get("/v1/admin/train", headers=ADMIN).json()
        assert status["pending_changes"] is True
        # saved, but not answered before training
        assert say(client, GIFT_CARD_PARAPHRASE)["action"] != "answer"

        run = train(client)
        assert run["status"] == "succeeded" and run["counts"]["faq_keys"] == 3
        answered = say(client, GIFT_CARD_PARAPHRASE, sender="c2")
        assert answered["intent"]["name"] == "faq/gift_card"
        assert answered["replies"][0]["text"] == GIFT_CARD["answer"]
        assert client.get("/v1/admin/train", headers=ADMIN).json()["pending_changes"] is False
        served = client.get("/readyz").json()["model"]

    with serve(**settings) as restarted:
        assert restarted.app.state.services.assistant.trained_now is False
        assert restarted.get("/readyz").json()["model"] == served
        again = say(restarted, GIFT_CARD_PARAPHRASE, sender="c3")
        assert again["replies"][0]["text"] == GIFT_CARD["answer"]
        entry = restarted.get("/v1/admin/faq/gift_card", headers=ADMIN).json()["entry"]
        assert entry["questions"] == GIFT_CARD["questions"] and entry["author"] == "admin"


def test_disabling_an_entry_stops_it_being_answered(admin) -> None:
    asked = say(admin, "شماره تلفن پشتیبانی چنده")
    assert asked["action"] == "answer"
    disabled = admin.patch("/v1/admin/faq/contact_phone", headers=ADMIN, json={"enabled": False})
    assert disabled.json()["entry"]["enabled"] is False
    assert train(admin)["status"] == "succeeded"
    after = say(admin, "شماره تلفن پشتیبانی چنده", sender="c2")
    assert after["action"] != "answer"
    assert all(r["text"] != asked["replies"][0]["text"] for r in after["replies"])
    # a button for it, left in an old chat, no longer answers either
    pressed = say(admin, "/faq/contact_phone", sender="c3")
    assert pressed["action"] != "answer"


def test_history_records_who_and_what_and_a_change_can_be_reverted(admin) -> None:
    editor = ADMIN | {"X-Editor": "maryam"}
    admin.post("/v1/admin/faq", headers=editor, json=GIFT_CARD)
    changed = admin.put(
        "/v1/admin/faq/gift_card",
        headers=ADMIN,
        json=GIFT_CARD | {"answer": "پاسخ تازه", "revision": 1},
    )
    assert changed.json()["entry"]["revision"] == 2
    stale = admin.put("/v1/admin/faq/gift_card", headers=ADMIN, json=GIFT_CARD | {"revision": 1})
    assert_error(stale, 409, "edit_conflict")

    history = admin.get("/v1/admin/faq/gift_card/history", headers=ADMIN).json()["history"]
    assert [(h["action"], h["author"]) for h in history] == [
        ("update", "admin"),
        ("create", "maryam"),
    ]
    assert history[0]["before"]["answer"] == GIFT_CARD["answer"]
    assert history[0]["after"]["answer"] == "پاسخ تازه"

    reverted = admin.post(f"/v1/admin/faq/gift_card/revert/{history[0]['id']}", headers=ADMIN)
    assert reverted.json()["entry"]["answer"] == GIFT_CARD["answer"]
    assert reverted.json()["entry"]["revision"] == 3

    deleted = admin.delete("/v1/admin/faq/gift_card", headers=ADMIN)
    assert_error(admin.get("/v1/admin/faq/gift_card", headers=ADMIN), 404, "not_found")
    restored = admin.post(
        f"/v1/admin/faq/gift_card/revert/{deleted.json()['history_id']}", headers=ADMIN
    )
    assert restored.json()["entry"]["questions"] == GIFT_CARD["questions"]
    actions = [
        h["action"]
        for h in admin.get("/v1/admin/faq/gift_card/history", headers=ADMIN).json()["history"]
    ]
    assert actions == ["revert", "delete", "revert", "update", "create"]
    # undoing the creation removes the entry again
    created = history[-1]["id"]
    undone = admin.post(f"/v1/admin/faq/gift_card/revert/{created}", headers=ADMIN)
    assert undone.json() == {"entry": None}
    assert_error(admin.get("/v1/admin/faq/gift_card", headers=ADMIN), 404, "not_found")
    assert_error(
        admin.post("/v1/admin/faq/support_hours/revert/1", headers=ADMIN), 404, "not_found"
    )


def test_a_misunderstood_question_is_added_as_an_example_of_the_right_intent(admin) -> None:
    question = "کی میتونم زنگ بزنم که کسی جواب بده"
    added = admin.post(
        "/v1/admin/examples",
        headers=ADMIN,
        json={"intent": "faq/support_hours", "texts": [question]},
    )
    assert added.status_code == 201, added.text
    assert question in added.json()["entry"]["questions"]
    greet = admin.post(
        "/v1/admin/examples",
        headers=ADMIN,
        json={"intent": "greet", "texts": ["سلام عصر بخیر", "سلام", "  "]},
    ).json()
    assert [x["text"] for x in greet["added"]] == ["سلام عصر بخیر"]
    assert [s["type"] for s in greet["skipped"]] == ["known_example", "empty_example"]
    conflict = admin.post(
        "/v1/admin/examples", headers=ADMIN, json={"intent": "thanks", "texts": ["سلام عصر بخیر"]}
    )
    assert assert_error(conflict, 422, "invalid_entry")["details"][0]["type"] == "example_conflict"
    unknown = admin.post("/v1/admin/examples", headers=ADMIN, json={"intent": "x", "texts": ["a"]})
    assert assert_error(unknown, 422, "invalid_entry")["details"][0]["field"] == "intent"

    intents = {
        i["name"]: i["examples"]
        for i in admin.get("/v1/admin/intents", headers=ADMIN).json()["intents"]
    }
    assert intents["greet"] == 7 and intents["faq/support_hours"] == 7
    assert train(admin)["status"] == "succeeded"
    assert say(admin, question)["intent"]["name"] == "faq/support_hours"
    listed = admin.get("/v1/admin/examples", headers=ADMIN, params={"intent": "greet"}).json()
    removed = admin.delete(f"/v1/admin/examples/{listed['examples'][0]['id']}", headers=ADMIN)
    assert removed.json()["removed"]["text"] == "سلام عصر بخیر"
    assert admin.get("/v1/admin/examples", headers=ADMIN).json()["examples"] == []


def test_rasa_export_loads_as_training_data(admin, tmp_path) -> None:
    admin.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD | {"answer": "خط اول\nخط دوم"})
    admin.post(
        "/v1/admin/examples", headers=ADMIN, json={"intent": "greet", "texts": ["سلام عصر بخیر"]}
    )
    exported = admin.get("/v1/admin/faq/export", headers=ADMIN, params={"format": "rasa"})
    assert exported.headers["content-type"].startswith("application/x-yaml")
    (tmp_path / "faq.yml").write_bytes(exported.content)
    data = load_training_data(tmp_path / "faq.yml")
    assert data.faq_keys == ["contact_phone", "gift_card", "support_hours"]
    assert [x.text for x in data.examples if x.intent == "faq/gift_card"] == GIFT_CARD["questions"]
    assert data.response("utter_faq/gift_card") == "خط اول\nخط دوم"
    assert data.titles["faq/gift_card"] == GIFT_CARD["title"]
    assert [x.text for x in data.examples if x.intent == "greet"] == ["سلام عصر بخیر"]
