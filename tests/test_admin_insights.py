"""What the recorded conversations teach: knowledge gaps clustered by topic and turned into
answers, drafts from operators' answers, and the figures per day and channel (JSON, PNG,
and `pasokhgoo insights`)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apihelpers import ADMIN, SARA, assert_error
from typer.testing import CliRunner
from workbenchkit import say, small_settings, train

from bot.cli import app
from bot.domain import Turn
from bot.knowledge.analytics import TIMEZONE, parse_moment, report
from bot.stores import open_stores
from bot.text import normalize

# Customers' questions on three topics the shipped knowledge base does not cover.
GIFT_CARD = [
    "کارت هدیه رو چطوری فعال کنم؟",
    "کارت هدیه دیجی کالا رو کجا وارد کنم",
    "یه کارت هدیه گرفتم چجوری ازش استفاده کنم",
    "فعال سازی کارت هدیه",
    "کارت هدیه ام کار نمیکنه",
    "اعتبار کارت هدیه کی تموم میشه؟",
    "میشه با کارت هدیه خرید کرد؟",
    "کد کارت هدیه رو زدم ولی اعتبار نیومد",
    "کارت هدیه خریدم برای دوستم، چطور بفرستم؟",
    "موجودی کارت هدیه رو از کجا ببینم",
]
INSTALMENTS = [
    "خرید اقساطی دارین؟",
    "میشه قسطی خرید کرد",
    "شرایط خرید اقساطی چیه",
    "چطوری گوشی رو قسطی بخرم؟",
    "اقساط چند ماهه است؟",
    "برای خرید قسطی ضامن لازمه؟",
    "پرداخت اقساطی با چک امکان داره؟",
    "وام خرید کالا میدین؟ قسطی",
    "پیش پرداخت خرید اقساطی چقدره",
    "خرید اعتباری و قسطی چطوریه",
]
INVOICES = [
    "فاکتور رسمی میدین؟",
    "چطوری فاکتور رسمی بگیرم",
    "برای شرکت فاکتور رسمی لازم دارم",
    "فاکتور خرید رو از کجا دانلود کنم",
    "فاکتور سفارشم رو میخوام",
    "صدور فاکتور رسمی با کد اقتصادی",
    "فاکتور با مهر شرکت میدین",
    "فاکتورم رو گم کردم دوباره میخوام",
    "میشه فاکتور به نام شرکت صادر بشه؟",
    "پرینت فاکتور سفارش",
]
NOW = datetime.now(UTC)


def _turn(text: str, sender: str, at: datetime, action: str = "fallback", **fields) -> Turn:
    values = {"intent": "out_of_scope", "confidence": 0.3, "faq_key": None, "channel": "rest"}
    values |= fields
    return Turn(
        sender_id=sender, at=at, text=normalize(text), action=action, latency_ms=5.0, **values
    )


@pytest.fixture
def shipped(serve, tmp_path, model_dir):
    """The whole app on the shipped knowledge base, with a model folder it may replace."""
    shutil.copytree(model_dir, tmp_path / "model")
    with serve(model_dir=tmp_path / "model", model_poll_seconds=0) as client:
        turns = client.app.state.services.stores.turns
        for topic, messages in enumerate((GIFT_CARD, INSTALMENTS, INVOICES)):
            for i, text in enumerate(messages):
                turns.record(_turn(text, f"s{topic}-{i}", NOW - timedelta(hours=i + 1)))
        turns.record(_turn("شماره تلفن پشتیبانی", "s-ok", NOW, "answer", confidence=0.97))
        yield client


def _gaps(client) -> dict:
    response = client.get("/v1/admin/gaps", headers=ADMIN, params={"since": "2d"})
    assert response.status_code == 200, response.text
    return response.json()


def test_thirty_unanswered_messages_on_three_topics_make_three_clusters(shipped) -> None:
    listed = _gaps(shipped)
    assert listed["clusters"] == 3 and listed["messages"] == 30
    clusters = [set(gap["messages"]) for gap in listed["gaps"]]
    topics = [{normalize(t) for t in topic} for topic in (GIFT_CARD, INSTALMENTS, INVOICES)]
    assert sorted(clusters, key=sorted) == sorted(topics, key=sorted)
    gap = listed["gaps"][0]
    assert gap["count"] == 10 and gap["senders"] == 10 and len(gap["examples"]) == 5
    assert gap["suggested_intent"] is None  # out_of_scope suggests nothing
    assert datetime.fromisoformat(gap["last_seen"]) > datetime.fromisoformat(gap["first_seen"])
    # the same period gives the same clusters and ids
    assert [g["id"] for g in _gaps(shipped)["gaps"]] == [g["id"] for g in listed["gaps"]]
    assert_error(
        shipped.get("/v1/admin/gaps", headers=ADMIN, params={"since": "last week"}),
        422,
        "invalid_request",
    )


def test_promoting_a_cluster_makes_its_questions_answerable(shipped) -> None:
    listed = _gaps(shipped)
    gap = next(g for g in listed["gaps"] if normalize(GIFT_CARD[0]) in g["messages"])
    for i, text in enumerate(GIFT_CARD[:3]):
        assert say(shipped, text, f"before-{i}")["intent"]["name"] != "faq/gift_card"
    period = {"since": listed["since"], "until": listed["until"]}

    draft = shipped.post(
        f"/v1/admin/gaps/{gap['id']}/promote",
        headers=ADMIN,
        json=period | {"key": "gift_card", "title": "کارت هدیه"},
    )
    assert draft.status_code == 201, draft.text
    entry = draft.json()["entry"]
    assert entry["enabled"] is False and len(entry["questions"]) == 10
    history = shipped.get("/v1/admin/faq/gift_card/history", headers=ADMIN).json()["history"]
    assert history[0]["action"] == "promote" and gap["id"] in history[0]["note"]

    answer = "کارت هدیه را در بخش «کیف پول» حساب کاربری فعال کنید."
    enabled = shipped.patch(
        "/v1/admin/faq/gift_card", headers=ADMIN, json={"answer": answer, "enabled": True}
    )
    assert enabled.status_code == 200, enabled.text
    assert train(shipped)["status"] == "succeeded"
    for i, text in enumerate(GIFT_CARD):
        replied = say(shipped, text, f"after-{i}")
        assert replied["action"] == "answer", (text, replied["intent"])
        assert replied["replies"][0]["text"] == answer

    stale = shipped.post(
        "/v1/admin/gaps/000000000000/promote", headers=ADMIN, json=period | {"key": "x"}
    )
    assert_error(stale, 404, "cluster_not_found")


def test_a_cluster_can_teach_an_existing_intent(shipped) -> None:
    listed = _gaps(shipped)
    gap = next(g for g in listed["gaps"] if normalize(INVOICES[0]) in g["messages"])
    body = {"since": listed["since"], "until": listed["until"], "intent": "out_of_scope"}
    assigned = shipped.post(f"/v1/admin/gaps/{gap['id']}/assign", headers=ADMIN, json=body)
    assert assigned.status_code == 200, assigned.text
    added = {x["text"] for x in assigned.json()["added"]}
    skipped = assigned.json()["skipped"]
    assert len(added) + len(skipped) == 10 and len(added) >= 8
    listed_examples = shipped.get(
        "/v1/admin/examples", headers=ADMIN, params={"intent": "out_of_scope"}
    ).json()["examples"]
    assert {x["text"] for x in listed_examples} == added
    again = shipped.post(f"/v1/admin/gaps/{gap['id']}/assign", headers=ADMIN, json=body)
    assert assert_error(again, 422, "invalid_entry")["details"][0]["type"] == "known_example"


def test_an_operators_answer_is_offered_as_a_draft_entry(client) -> None:
    assert client.post("/v1/operator/presence", headers=SARA).json()["available"] is True
    question = "برای سفارش‌های سازمانی با شماره ۰۹۱۲۳۴۵۶۷۸۹ تخفیف عمده میدین؟"
    say(client, question)
    assert say(client, "میخوام با اپراتور صحبت کنم")["handoff"] == {"status": "waiting"}
    client.post("/v1/operator/conversations/c1/claim", headers=SARA)
    reply = "بله، برای خرید سازمانی به بخش فروش سازمانی در سایت مراجعه کنید."
    client.post("/v1/operator/conversations/c1/messages", headers=SARA, json={"text": reply})
    client.post(
        "/v1/operator/conversations/c1/messages",
        headers=SARA,
        json={"text": "پیوند در پایین صفحه است."},
    )

    [draft] = client.get("/v1/admin/suggestions", headers=ADMIN).json()["suggestions"]
    assert draft["operator"] == "sara" and draft["sender_id"] == "c1"
    assert "۰۹۱۲۳۴۵۶۷۸۹" not in draft["question"] and "تخفیف عمده" in draft["question"]
    assert draft["answer"] == f"{reply}\nپیوند در پایین صفحه است."
    assert draft["draft"] == {"questions": [draft["question"]], "answer": draft["answer"]}

    accepted = client.post(
        f"/v1/admin/suggestions/{draft['id']}/accept",
        headers=ADMIN,
        json={"key": "bulk_orders", "questions": ["خرید سازمانی دارید", "فروش عمده"]},
    )
    assert accepted.status_code == 201, accepted.text
    entry = accepted.json()["entry"]
    assert entry["questions"][0] == draft["question"] and entry["answer"] == draft["answer"]
    assert entry["enabled"] is False
    assert client.get("/v1/admin/suggestions", headers=ADMIN).json()["suggestions"] == []
    done = client.get("/v1/admin/suggestions", headers=ADMIN, params={"status": "accepted"})
    assert done.json()["suggestions"][0]["entry_key"] == "bulk_orders"
    assert_error(
        client.post(
            f"/v1/admin/suggestions/{draft['id']}/accept", headers=ADMIN, json={"key": "y"}
        ),
        404,
        "not_found",
    )


# Two days of turns whose figures are counted by hand below (Iran time is UTC+3:30).
DAY1 = datetime(2025, 3, 18, 6, 0, tzinfo=UTC)  # 09:30 in Tehran, 18 March
DAY2 = datetime(2025, 3, 19, 21, 0, tzinfo=UTC)  # 00:30 in Tehran, 20 March
KNOWN_TURNS = [
    # day 1, rest: a answered twice (deflected); b not understood, then escalated
    _turn(
        "شماره پشتیبانی",
        "a",
        DAY1,
        "answer",
        intent="faq/contact_phone",
        confidence=0.9,
        faq_key="contact_phone",
    ),
    _turn(
        "ساعت کاری",
        "a",
        DAY1,
        "answer",
        intent="faq/support_hours",
        confidence=0.8,
        faq_key="support_hours",
    ),
    _turn("بلابلا", "b", DAY1, "fallback"),
    _turn("اپراتور", "b", DAY1, "handoff", intent="request_human", confidence=0.95),
    # day 1, telegram: c asked to choose, then answered, then made a ticket
    _turn(
        "سفارش",
        "c",
        DAY1,
        "clarify",
        intent="faq/order_tracking",
        confidence=0.5,
        channel="telegram",
    ),
    _turn(
        "/faq/order_tracking",
        "c",
        DAY1,
        "answer",
        intent="faq/order_tracking",
        confidence=1.0,
        faq_key="order_tracking",
        channel="telegram",
    ),
    _turn(
        "تیکت",
        "c",
        DAY1,
        "ticket_created",
        intent="create_ticket",
        confidence=0.9,
        channel="telegram",
    ),
    # day 2 (Tehran), rest: a again (a new conversation), answered
    _turn(
        "شماره پشتیبانی",
        "a",
        DAY2,
        "answer",
        intent="faq/contact_phone",
        confidence=0.9,
        faq_key="contact_phone",
    ),
]


def test_figures_per_day_and_channel_on_known_turns() -> None:
    found = report(KNOWN_TURNS, DAY1 - timedelta(hours=6), DAY2 + timedelta(hours=1))
    totals = found.to_dict()["totals"]
    assert totals == {
        "conversations": 4,
        "messages": 8,
        "answered": 4,
        "clarified": 1,
        "fallbacks": 1,
        "escalated": 1,
        "tickets": 1,
        "deflected": 2,  # a on both days; b escalated, c made a ticket
        "deflection_rate": 0.5,
        "fallback_rate": 0.125,
    }
    days = {d["date"]: d for d in found.to_dict()["days"]}
    assert list(days) == ["2025-03-18", "2025-03-19", "2025-03-20"]
    assert days["2025-03-18"]["conversations"] == 3 and days["2025-03-19"]["messages"] == 0
    assert days["2025-03-20"]["deflection_rate"] == 1.0
    assert found.to_dict()["channels"]["telegram"]["tickets"] == 1
    assert found.top_faq_keys[0] == ("contact_phone", 2)
    assert dict(found.top_faq_keys) == {"contact_phone": 2, "order_tracking": 1, "support_hours": 1}
    assert found.top_intents[0] == ("faq/contact_phone", 2)
    assert found.series()["conversations"] == [3, 0, 1]


def test_analytics_api_and_charts(client) -> None:
    for turn in KNOWN_TURNS:
        client.app.state.services.stores.turns.record(turn)
    params = {"since": "2025-03-18", "until": "2025-03-21"}
    body = client.get("/v1/admin/analytics", headers=ADMIN, params=params).json()
    assert body["timezone"] == "Asia/Tehran"
    assert body["totals"]["deflection_rate"] == 0.5
    assert [d["date"] for d in body["days"]] == ["2025-03-18", "2025-03-19", "2025-03-20"]
    assert {(d["date"], d["channel"]) for d in body["days_by_channel"]} == {
        ("2025-03-18", "rest"),
        ("2025-03-18", "telegram"),
        ("2025-03-20", "rest"),
    }
    only = client.get("/v1/admin/analytics", headers=ADMIN, params=params | {"channel": "telegram"})
    assert only.json()["totals"]["conversations"] == 1

    chart = client.get(
        "/v1/admin/analytics/chart.png",
        headers=ADMIN,
        params=params | {"metric": "deflection_rate"},
    )
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n") and len(chart.content) > 5000
    bad = client.get("/v1/admin/analytics/chart.png", headers=ADMIN, params={"metric": "joy"})
    assert assert_error(bad, 422, "invalid_request")["details"][0]["field"] == "metric"
    backwards = client.get(
        "/v1/admin/analytics", headers=ADMIN, params={"since": "2025-03-21", "until": "2025-03-18"}
    )
    assert_error(backwards, 422, "invalid_request")


def test_cli_insights_prints_the_figures(tmp_path, monkeypatch) -> None:
    settings = small_settings(tmp_path)
    monkeypatch.setenv("PASOKHGOO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PASOKHGOO_DATA_DIR", str(settings["data_dir"]))
    monkeypatch.setenv("COLUMNS", "150")
    recent = NOW - timedelta(days=1)
    with open_stores(f"sqlite:///{tmp_path / 'var' / 'pasokhgoo.db'}", tmp_path / "var") as stores:
        for turn in KNOWN_TURNS:
            stores.turns.record(replace(turn, at=recent))
        for i, text in enumerate(GIFT_CARD[:4]):
            stores.turns.record(_turn(text, f"g{i}", recent))

    result = CliRunner().invoke(app, ["insights", "--since", "7d"])
    assert result.exit_code == 0, result.output
    total = next(line for line in result.output.splitlines() if "total" in line)
    # all on one day now: conversations a, b, c and four gift-card askers; only a was
    # answered without a person or a ticket (1/7); 5 of 12 messages fell back
    cells = total.replace("│", " ").split()
    assert cells == ["total", "7", "12", "4", "14%", "1", "1", "1", "42%"]
    assert "contact_phone" in result.output and "telegram" in result.output
    gaps = result.output[result.output.index("Knowledge gaps") :].splitlines()
    biggest = gaps[4].replace("│", " ").split(maxsplit=1)
    assert biggest[0] == "4" and any(normalize(t) in biggest[1] for t in GIFT_CARD[:4])

    refused = CliRunner().invoke(app, ["insights", "--since", "yesterday"])
    assert refused.exit_code != 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("7d", datetime(2025, 3, 13, 12, 0, tzinfo=UTC)),  # relative: days
        ("24h", datetime(2025, 3, 19, 12, 0, tzinfo=UTC)),  # hours
        ("90m", datetime(2025, 3, 20, 10, 30, tzinfo=UTC)),  # minutes
        ("2w", datetime(2025, 3, 6, 12, 0, tzinfo=UTC)),  # weeks
        ("2025-03-20", datetime(2025, 3, 20, tzinfo=TIMEZONE)),  # a date: midnight in Tehran
        ("2025-03-20T08:30", datetime(2025, 3, 20, 8, 30, tzinfo=TIMEZONE)),  # no zone: Tehran
        ("2025-03-20T08:30:00+00:00", datetime(2025, 3, 20, 8, 30, tzinfo=UTC)),  # its zone
    ],
)
def test_periods_read_as_people_write_them(given: str, expected: datetime) -> None:
    assert parse_moment(given, datetime(2025, 3, 20, 12, 0, tzinfo=UTC)) == expected
