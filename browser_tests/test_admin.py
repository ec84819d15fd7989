"""The content team on the admin page: log in, find an entry, edit and save it (and see
the Persian error for an invalid one); what they type is shown as text, never run."""

from __future__ import annotations

import re

from drivers import ADMIN_TOKEN
from playwright.sync_api import Page, expect

KEY = "contact_phone"
PHONE = "۰۲۱-۹۱۰۰۰۱۰۰"
EMPTY_ANSWER = "پاسخ نمی‌تواند خالی باشد"
HEADER = "key,questions,answer\n"
GIFT_ROW = 'gift_card_new,"کارت هدیه دارید؟\nکارت هدیه چطور بخرم؟\nبن خرید هدیه میفروشید؟",بله.\n'
OTHER_QUESTIONS = '"ساعت کاری انبار؟\nانبار کی باز است؟\nانبار چه ساعتی تعطیل میشه؟"'
SCRIPT_TITLE = "<script>window.hacked = 1</script> <b>شماره</b>"


def log_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/admin")
    page.get_by_label("توکن مدیر").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("heading", name="پرسش‌های متداول")).to_be_visible()


def open_entry(page: Page, key: str) -> None:
    page.get_by_role("searchbox", name="جستجو").fill(key)
    page.get_by_role("button", name="جستجو", exact=True).click()
    page.get_by_role("button", name=key, exact=True).click()
    expect(page.get_by_role("heading", name=f"ویرایش {key}")).to_be_visible()


def save(page: Page) -> None:
    page.get_by_role("button", name="ذخیره").click()


def test_edit_an_entry_and_see_it_after_reload(server, new_page, artifacts) -> None:
    page, problems = new_page(width=1440, height=1000)
    log_in(page, server.url)
    open_entry(page, KEY)
    expect(page.get_by_label("پاسخ", exact=True)).to_have_value(re.compile(PHONE))

    page.get_by_label("عنوان").fill("شماره تلفن پشتیبانی (ویرایش شده)")
    save(page)
    expect(page.get_by_role("status").filter(has_text="ذخیره شد")).to_be_visible()
    expect(page.locator("#history li")).not_to_have_count(0)

    page.reload()  # the token is kept for the tab
    expect(page.get_by_role("heading", name="پرسش‌های متداول")).to_be_visible()
    open_entry(page, KEY)
    expect(page.get_by_label("عنوان")).to_have_value("شماره تلفن پشتیبانی (ویرایش شده)")
    expect(page.locator("#faq-rows")).to_contain_text("شماره تلفن پشتیبانی (ویرایش شده)")
    expect(page.locator("#charts img")).to_have_count(3)
    page.screenshot(path=artifacts / "admin.png", full_page=True)

    # an enabled entry with no answer is refused, in Persian, next to the field
    page.get_by_label("پاسخ", exact=True).fill("")
    save(page)
    expect(page.locator("#err-answer")).to_have_text(EMPTY_ANSWER + " (برای مورد فعال).")
    expect(page.locator("#err-form")).to_contain_text("ذخیره نشد")
    stored = server.api("GET", f"/v1/admin/faq/{KEY}", token=ADMIN_TOKEN)["entry"]
    assert PHONE in stored["answer"]

    assert problems.errors == [] and problems.dialogs == []


def test_a_script_in_a_title_is_shown_as_text(server, new_page) -> None:
    page, problems = new_page()
    log_in(page, server.url)
    open_entry(page, KEY)
    page.get_by_label("عنوان").fill(SCRIPT_TITLE)
    save(page)
    expect(page.get_by_role("status").filter(has_text="ذخیره شد")).to_be_visible()
    expect(page.locator("#faq-rows")).to_contain_text(SCRIPT_TITLE)
    expect(page.locator("#history")).to_contain_text(SCRIPT_TITLE)
    assert page.locator("#faq-rows script, #faq-rows b, #history script").count() == 0
    assert page.evaluate("() => window.hacked") is None
    assert problems.errors == [] and problems.dialogs == []


def test_import_previews_rows_before_applying(server, new_page) -> None:
    page, problems = new_page(width=1440, height=1000)
    log_in(page, server.url)
    upload = page.get_by_label("فایل CSV یا XLSX")
    preview = page.get_by_role("button", name="پیش‌نمایش")
    apply = page.get_by_role("button", name="اعمال")
    rows = page.locator("#import-rows tr")

    bad = HEADER + GIFT_ROW + f"empty_one,{OTHER_QUESTIONS},\n"
    upload.set_input_files(files=[csv("bad.csv", bad)])
    preview.click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("gift_card_new")
    expect(rows.nth(0)).to_contain_text("افزوده")
    expect(rows.nth(1)).to_contain_text("۳")  # the spreadsheet's row number
    expect(rows.nth(1)).to_contain_text(EMPTY_ANSWER)
    expect(apply).to_be_hidden()

    good = HEADER + GIFT_ROW
    upload.set_input_files(files=[csv("good.csv", good)])
    preview.click()
    expect(rows).to_have_count(1)
    apply.click()
    expect(page.get_by_role("status").filter(has_text="وارد شد")).to_be_visible()
    expect(page.get_by_role("button", name="gift_card_new")).to_be_visible()
    assert server.api("GET", "/v1/admin/faq/gift_card_new", token=ADMIN_TOKEN)["entry"]
    assert problems.errors == [] and problems.dialogs == []


def csv(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_train_and_promote_a_knowledge_gap(server, new_page) -> None:
    for i, text in enumerate(["قیمت طلای آب شده امروز چنده", "طلای آب شده امروز چند است"]):
        server.api("POST", "/v1/chat", {"sender_id": f"gap-{i}", "text": text})
    page, problems = new_page(width=1440, height=1000)
    log_in(page, server.url)

    gap = page.locator("#gaps article").filter(has_text="امروز").first
    expect(gap).to_be_visible()
    gap.get_by_label("کلید مورد تازه").fill("gold_price")
    gap.get_by_role("button", name="ساخت پیش‌نویس پرسش متداول").click()
    expect(page.get_by_role("alert").filter(has_text="gold_price")).to_be_visible()
    draft = server.api("GET", "/v1/admin/faq/gold_price", token=ADMIN_TOKEN)["entry"]
    assert draft["enabled"] is False and draft["questions"]

    page.get_by_role("button", name="آموزش دوباره").click()
    expect(page.locator("#train-status")).to_contain_text("آموزش تمام شد", timeout=120_000)
    assert problems.errors == [] and problems.dialogs == []
