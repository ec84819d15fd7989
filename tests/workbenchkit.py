"""Helpers for the workbench tests: a small knowledge base of the tests' own (so training
takes a fraction of a second), and waiting for a training run."""

from __future__ import annotations

import time
from pathlib import Path

from apihelpers import ADMIN
from fastapi.testclient import TestClient

NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - سلام
    - سلام وقت بخیر
    - درود بر شما
    - سلام خسته نباشید
    - عرض ادب و احترام
    - سلام روزتون بخیر
- intent: thanks
  examples: |
    - ممنون
    - مرسی از راهنمایی
    - خیلی ممنونم
    - سپاسگزارم
    - دستتون درد نکنه
    - تشکر فراوان
- intent: out_of_scope
  examples: |
    - هوای فردا چطوره
    - یه جوک بگو
    - پایتخت فرانسه کجاست
    - فوتبال دیشب رو دیدی
    - دستور پخت قورمه سبزی
    - قیمت دلار امروز چنده
- intent: request_human
  metadata:
    title: صحبت با کارشناس
  examples: |
    - میخوام با اپراتور صحبت کنم
    - وصلم کن به کارشناس
    - یه آدم واقعی میخوام
    - اپراتور
    - با پشتیبان انسانی حرف بزنم
    - کارشناس پشتیبانی لطفا
- intent: faq/contact_phone
  metadata:
    title: شماره تلفن
  examples: |
    - شماره تلفن پشتیبانی چنده
    - شماره تماس شما چیه
    - به چه شماره‌ای زنگ بزنم
    - تلفن پشتیبانی رو بدید
    - شماره پشتیبانی
    - چطوری تلفنی تماس بگیرم
- intent: faq/support_hours
  metadata:
    title: ساعت کاری
  examples: |
    - ساعت کاری پشتیبانی
    - چه ساعتی جواب میدید
    - تا چه ساعتی باز هستید
    - پشتیبانی از ساعت چند شروع میشه
    - ساعت کارتون چیه
    - شبها هم جواب میدید
"""

RESPONSES = """\
version: "3.1"
responses:
  utter_greet:
  - text: سلام! چطور کمکتان کنم؟
  utter_thanks:
  - text: خواهش می‌کنم.
  utter_out_of_scope:
  - text: در این مورد اطلاعی ندارم.
  utter_faq/contact_phone:
  - text: شماره پشتیبانی ۰۲۱-۱۲۳۴ است.
  utter_faq/support_hours:
  - text: پشتیبانی هر روز از ۸ تا ۲۲ پاسخ می‌دهد.
"""

GIFT_CARD = {
    "key": "gift_card",
    "title": "کارت هدیه",
    "category": "پرداخت",
    "questions": [
        "کارت هدیه رو چطوری فعال کنم",
        "فعال سازی کارت هدیه",
        "کد کارت هدیه رو کجا وارد کنم",
    ],
    "answer": "کارت هدیه را در بخش کیف پول فعال کنید.",
    "tags": ["کیف پول"],
}
GIFT_CARD_PARAPHRASE = "میخوام کارت هدیمو فعال کنم"


def write_small_kb(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nlu.yml").write_text(NLU, "utf-8")
    (folder / "responses.yml").write_text(RESPONSES, "utf-8")
    return folder


def small_settings(tmp_path: Path, **overrides) -> dict:
    """Overrides for `serve`: the small knowledge base, a model folder of this test's own."""
    return {
        "data_dir": write_small_kb(tmp_path / "kb"),
        "model_dir": tmp_path / "model",
        "model_poll_seconds": 0,
    } | overrides


def say(client: TestClient, text: str, sender: str = "c1") -> dict:
    response = client.post("/v1/chat", json={"sender_id": sender, "text": text})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_run(client: TestClient, timeout: float = 90.0) -> dict:
    """The latest training run once it finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get("/v1/admin/train", headers=ADMIN).json()["run"]
        if run and run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError("the training run did not finish in time")


def train(client: TestClient) -> dict:
    started = client.post("/v1/admin/train", headers=ADMIN)
    assert started.status_code == 202, started.text
    assert started.json()["run"]["status"] == "running"
    return wait_for_run(client)
