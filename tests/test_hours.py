"""Support hours in Iran time, closure days from YAML, and the Persian sentences about them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jdatetime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError, DataError
from bot.hours import describe, faq_note, status, upcoming_closures
from bot.schedule import ALL_DAY, TEHRAN, Channel, Closure, Schedule, Window, load_closures
from bot.text import to_persian_digits

SHIPPED = Path(__file__).resolve().parents[1] / "nlu_data" / "closures.yml"
LATIN_DIGIT = re.compile(r"[0-9]")

# 1403 is a leap year, so 1403-12-30 (2025-03-20) is the last day before Nowruz 1404.
CLOSURES_YML = """\
# روزهای تعطیلی فروشگاه
closures:
  - date: 1404-01-01
    title: "نوروز"
    channels: [phone, chat]
  - date: ۱۴۰۴-۰۱-۰۲
    title: "تعطیلات نوروز"
  - date: 1404-01-13
    channels:
      - seller_phone
"""


def at(text: str) -> datetime:
    """An aware datetime from ISO text: `Z` is UTC, `+03:30` Tehran (since 2022)."""
    return datetime.fromisoformat(text)


def tehran(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TEHRAN)


@pytest.fixture(scope="module")
def closures_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hours") / "closures.yml"
    path.write_text(CLOSURES_YML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def schedule(closures_file: Path) -> Schedule:
    return Schedule.default(closures=load_closures(closures_file))


# --- opening hours in Iran time ---------------------------------------------------------

# fmt: off
SELLER_HOURS = [
    (at("2025-03-20T04:00Z"), "outside_hours", tehran("2025-03-20T08:00")),  # 07:30 Tehran
    (at("2025-03-20T04:30Z"), "open", None),  # 08:00 Tehran sharp: the opening minute
    (at("2025-03-20T04:31Z"), "open", None),  # 08:01 Tehran
    (at("2025-03-20T20:29Z"), "open", None),  # 23:59 Tehran
    (at("2025-03-20T20:29:59Z"), "open", None),  # 23:59:59 Tehran, the last second
    (at("2025-03-20T20:30Z"), "outside_hours", tehran("2025-03-21T08:00")),  # 24:00 is already closed
    (at("2025-03-20T20:31Z"), "outside_hours", tehran("2025-03-21T08:00")),  # 00:01 the next day
    (tehran("2025-03-20T07:59:59"), "outside_hours", tehran("2025-03-20T08:00")),  # given in Tehran time
    (at("2025-03-20T09:00+05:30"), "outside_hours", tehran("2025-03-20T08:00")),  # India's 09:00 is 07:00 Tehran
    (at("2025-03-20T01:00-04:00"), "open", None),  # New York's night is 08:30 Tehran
    (at("2021-06-01T03:00Z"), "outside_hours", tehran("2021-06-01T08:00")),  # Iran DST era (+04:30): 07:30
    (at("2021-06-01T03:31Z"), "open", None),  # Iran DST era: 08:01
]
# fmt: on


@pytest.mark.parametrize(("now", "reason", "opens_at"), SELLER_HOURS)
def test_seller_phone_is_open_from_8_to_midnight_tehran(now, reason, opens_at):
    state = status(Channel.SELLER_PHONE, now)
    assert (state.open, state.reason, state.opens_at) == (reason == "open", reason, opens_at)


@pytest.mark.parametrize(
    "now",
    [
        at("2025-03-20T04:00Z"),  # seller phone still closed
        at("2025-03-20T20:31Z"),  # just after midnight in Tehran
        at("2025-01-01T00:00Z"),  # New Year's night in UTC
        at("2024-03-20T20:00+03:30"),  # Nowruz 1403 eve, with no closures listed
    ],
)
@pytest.mark.parametrize(
    "channel",
    [Channel.PHONE, Channel.CHAT, Channel.EMAIL, Channel.TICKET, Channel.OPERATOR],
)
def test_customer_channels_are_open_around_the_clock(channel, now):
    assert status(channel, now).open


def test_operator_hours_are_configurable():
    late = Schedule.default(operator_hours=[Window.parse("09:00-21:00")])
    now = at("2025-03-20T18:00Z")  # 21:30 Tehran
    assert status(Channel.OPERATOR, now, schedule=late).opens_at == tehran("2025-03-21T09:00")
    assert status(Channel.CHAT, now, schedule=late).open


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        status(Channel.PHONE, datetime(2025, 3, 20, 12, 0))


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("08:00-24:00", Window(480, 1440)),  # the seller hours
        ("00:00-24:00", ALL_DAY),  # around the clock
        ("۰۹:۳۰-۲۱:۰۰", Window(570, 1260)),  # Persian digits
        (" 9:00 - 12:15 ", Window(540, 735)),  # spaces, one-digit hour
    ],
)
def test_window_parse(text, window):
    assert Window.parse(text) == window


@pytest.mark.parametrize(
    "text",
    [
        "21:00-09:00",  # across midnight: write two windows
        "08:00-25:00",  # past 24:00
        "08:60-09:00",  # minute 60
        "8-24",  # no minutes
        "10:00-10:00",  # empty window
    ],
)
def test_window_parse_rejects(text):
    with pytest.raises(ConfigError):
        Window.parse(text)


# --- closure days -----------------------------------------------------------------------


def test_closures_file_is_read(schedule):
    assert [(str(c.date), c.title, sorted(c.channels)) for c in schedule.closures] == [
        ("1404-01-01", "نوروز", ["chat", "phone"]),
        ("1404-01-02", "تعطیلات نوروز", sorted(Channel)),
        ("1404-01-13", "", ["seller_phone"]),
    ]


# fmt: off
CLOSURE_STATUS = [
    (Channel.PHONE, at("2025-03-20T20:29Z"), "open", None),  # 23:59 on 30 Esfand 1403, the day before
    (Channel.PHONE, at("2025-03-20T20:31Z"), "closure", tehran("2025-03-23T00:00")),  # 00:01 on 1 Farvardin; 2 Farvardin is closed too
    (Channel.CHAT, at("2025-03-21T12:00+03:30"), "closure", tehran("2025-03-23T00:00")),  # chat closed on 1 and 2 Farvardin
    (Channel.OPERATOR, at("2025-03-21T12:00+03:30"), "closure", tehran("2025-03-23T00:00")),  # closing the chat closes its operators
    (Channel.EMAIL, at("2025-03-21T12:00+03:30"), "open", None),  # 1 Farvardin closes only phone and chat
    (Channel.SELLER_PHONE, at("2025-03-21T12:00+03:30"), "open", None),  # ... and not the sellers' line
    (Channel.EMAIL, at("2025-03-22T12:00+03:30"), "closure", tehran("2025-03-23T00:00")),  # 2 Farvardin (no channels:) closes all
    (Channel.SELLER_PHONE, at("2025-03-22T12:00+03:30"), "closure", tehran("2025-03-23T08:00")),  # sellers reopen at 8 the next day
    (Channel.PHONE, at("2025-03-22T20:30Z"), "open", None),  # 00:00 on 3 Farvardin: open again
    (Channel.SELLER_PHONE, at("2025-03-22T21:00Z"), "outside_hours", tehran("2025-03-23T08:00")),  # 00:30 on 3 Farvardin
    (Channel.SELLER_PHONE, at("2025-04-01T23:00+03:30"), "open", None),  # 23:00 on 12 Farvardin, the evening before
    (Channel.SELLER_PHONE, at("2025-04-02T03:00Z"), "closure", tehran("2025-04-03T08:00")),  # 06:30 on 13 Farvardin
    (Channel.SELLER_PHONE, at("2025-04-02T10:00+03:30"), "closure", tehran("2025-04-03T08:00")),  # 13 Farvardin closes sellers only
    (Channel.PHONE, at("2025-04-02T10:00+03:30"), "open", None),  # 13 Farvardin: the customer phone stays open
]
# fmt: on


@pytest.mark.parametrize(("channel", "now", "reason", "opens_at"), CLOSURE_STATUS)
def test_status_on_closure_days(schedule, channel, now, reason, opens_at):
    state = status(channel, now, schedule=schedule)
    assert (state.open, state.reason, state.opens_at) == (reason == "open", reason, opens_at)
    assert (state.closure is not None) == (reason == "closure")


@pytest.mark.parametrize(
    ("now", "days", "expected"),
    [
        (at("2025-03-19T12:00+03:30"), 30, ["1404-01-01", "1404-01-02", "1404-01-13"]),  # a month
        (at("2025-03-19T12:00+03:30"), 2, ["1404-01-01"]),  # today + 2 days ends on 1 Farvardin
        (at("2025-03-20T20:31Z"), 0, ["1404-01-01"]),  # 00:01 Tehran is already 1 Farvardin
        (at("2025-03-20T20:29Z"), 0, []),  # 23:59 Tehran is still 30 Esfand
        (at("2025-04-03T12:00+03:30"), 30, []),  # after the last one
    ],
)
def test_upcoming_closures(schedule, now, days, expected):
    found = upcoming_closures(now, days, schedule=schedule)
    assert [str(c.date) for c in found] == expected


def test_without_a_schedule_no_closure_is_assumed():
    assert upcoming_closures(at("2025-03-19T12:00Z")) == []
    assert status(Channel.PHONE, at("2025-03-21T12:00+03:30")).open  # 1 Farvardin, none listed


def test_shipped_closures_file_lists_no_dates():
    # The support article names no dates; the content team fills them in. Whoever adds
    # real closure days updates this test too, so no invented date slips in unnoticed.
    assert load_closures(SHIPPED) == []


# fmt: off
INVALID_FILES = [
    ("closures:\n  - date: 1404-12-30\n", 2, "not a real Jalali date"),  # 1404 is not a leap year
    ("closures:\n  - date: 1403-13-01\n", 2, "not a real Jalali date"),  # month 13
    ("closures:\n  - date: 1404-01-32\n", 2, "not a real Jalali date"),  # day 32
    ("closures:\n  - date: 2025-03-21\n", 2, "not a Jalali"),  # a Gregorian date typed by mistake
    ("closures:\n  - date: 1404/01/01\n", 2, "YYYY-MM-DD"),  # slashes
    ("closures:\n  - date: [1404, 1, 1]\n", 2, "YYYY-MM-DD"),  # not a scalar
    ("closures:\n  - date: 1404-01-01\n    channels: [phone, fax]\n", 3, "unknown channel 'fax'"),  # unknown channel
    ("closures:\n  - date: 1404-01-01\n    channels:\n      - phone\n      - sms\n", 5, "unknown channel 'sms'"),  # unknown channel in a block list
    ("closures:\n  - date: 1404-01-01\n    channels: []\n", 3, "non-empty list"),  # would close nothing
    ("closures:\n  - date: 1404-01-01\n    channels: phone\n", 3, "non-empty list"),  # not a list
    ("closures:\n  - date: 1404-01-01\n    chanels: [phone]\n", 3, "unknown key 'chanels'"),  # a typo would close every channel
    ("closures:\n  - date: 1404-01-01\n    title:\n", 3, "'title'"),  # empty title
    ("closures:\n  - title: نوروز\n", 2, "without 'date'"),  # no date
    ("closures:\n  - 1404-01-01\n", 2, "mapping"),  # a bare date
    ("closures:\n  date: 1404-01-01\n", 2, "must be a list"),  # a mapping, not a list
    ("closure:\n  - date: 1404-01-01\n", 1, "unknown key 'closure'"),  # misspelt top key
    ("- date: 1404-01-01\n", 1, "mapping with 'closures:'"),  # no top key at all
    ("closures:\n  - date: 1404-01-01\n    date: 1404-01-02\n", 3, "twice"),  # repeated key
    ('closures:\n  - date: 1404-01-01\n    title: "نوروز\n', 4, "invalid YAML"),  # unclosed quote
    ("closures:\n  - date: 1404-01-01\n   title: x\n", 3, "invalid YAML"),  # bad indentation
]
# fmt: on


@pytest.mark.parametrize(("text", "line", "message"), INVALID_FILES)
def test_invalid_closures_file_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "closures.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(message)) as caught:
        load_closures(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert str(caught.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty file
        "# only comments\n",  # comments only
        "closures:\n",  # empty key
        "closures: []\n",  # empty list
    ],
)
def test_empty_closures_file_is_fine(tmp_path, text):
    path = tmp_path / "closures.yml"
    path.write_text(text, encoding="utf-8")
    assert load_closures(path) == []


@pytest.mark.parametrize(
    ("date_text", "jalali"),
    [
        ("1403-12-30", jdatetime.date(1403, 12, 30)),  # 1403 is a leap year
        ("1404-1-1", jdatetime.date(1404, 1, 1)),  # one-digit month and day
        ("'1404-07-15'", jdatetime.date(1404, 7, 15)),  # quoted
        ("۱۴۰۴-۰۷-۱۵", jdatetime.date(1404, 7, 15)),  # Persian digits
    ],
)
def test_valid_jalali_dates(tmp_path, date_text, jalali):
    path = tmp_path / "closures.yml"
    path.write_text(f"closures:\n  - date: {date_text}\n", encoding="utf-8")
    assert load_closures(path) == [Closure(jalali)]


def test_missing_closures_file_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_closures(tmp_path / "nope.yml")


# --- Persian sentences ------------------------------------------------------------------

# fmt: off
DESCRIBE = [
    (Channel.SELLER_PHONE, at("2025-03-20T04:31Z"), "پشتیبانی فروشندگان الان باز است (هر روز از ساعت ۸ صبح تا ۲۴)."),  # open, 08:01 Tehran
    (Channel.SELLER_PHONE, at("2025-03-20T04:00Z"), "پشتیبانی فروشندگان الان بسته است و از ساعت ۸ صبح باز می‌شود."),  # before 8, same day
    (Channel.SELLER_PHONE, at("2025-03-20T20:31Z"), "پشتیبانی فروشندگان الان بسته است و از ساعت ۸ صبح باز می‌شود."),  # just after midnight
    (Channel.SELLER_PHONE, at("2025-03-21T23:30+03:30"), "پشتیبانی فروشندگان الان باز است (هر روز از ساعت ۸ صبح تا ۲۴)."),  # 1 Farvardin leaves sellers open
    (Channel.PHONE, at("2025-03-20T04:00Z"), "پشتیبانی تلفنی الان باز است (۲۴ ساعته و ۷ روز هفته)."),  # 24/7
    (Channel.PHONE, at("2025-03-21T12:00+03:30"), "امروز (۱ فروردین ۱۴۰۴، نوروز) روز تعطیلی فروشگاه است و پشتیبانی تلفنی در دسترس نیست؛ از ۳ فروردین ۱۴۰۴ دوباره در دسترس است."),  # closure; the next day is closed too
    (Channel.EMAIL, at("2025-03-22T12:00+03:30"), "امروز (۲ فروردین ۱۴۰۴، تعطیلات نوروز) روز تعطیلی فروشگاه است و پشتیبانی ایمیلی در دسترس نیست؛ از فردا (۳ فروردین ۱۴۰۴) دوباره در دسترس است."),  # reopens at midnight
    (Channel.SELLER_PHONE, at("2025-04-02T10:00+03:30"), "امروز (۱۳ فروردین ۱۴۰۴) روز تعطیلی فروشگاه است و پشتیبانی فروشندگان در دسترس نیست؛ از فردا (۱۴ فروردین ۱۴۰۴) ساعت ۸ صبح دوباره در دسترس است."),  # closure without title
]
# fmt: on


@pytest.mark.parametrize(("channel", "now", "expected"), DESCRIBE)
def test_describe(schedule, channel, now, expected):
    text = describe(channel, now, schedule=schedule)
    assert text == expected
    assert not LATIN_DIGIT.search(text)


def test_describe_operator_opening_on_a_later_date():
    late = Schedule.default(
        closures=[Closure(jdatetime.date(1404, 1, 1), "نوروز")],
        operator_hours=[Window.parse("09:00-21:00")],
    )
    # 22:30 on 30 Esfand; 1 Farvardin is closed, so operators are back on 2 Farvardin at 9
    assert describe(Channel.OPERATOR, at("2025-03-20T19:00Z"), schedule=late) == (
        "گفت‌وگو با کارشناس در چت الان بسته است و از ۲ فروردین ۱۴۰۴ ساعت ۹ صبح باز می‌شود."
    )


# fmt: off
FAQ_NOTES = [
    ("contact_phone", at("2025-03-20T04:00Z"), "پشتیبانی تلفنی الان باز است (۲۴ ساعته و ۷ روز هفته)."),  # ordinary day
    ("contact_phone", at("2025-03-21T12:00+03:30"), "امروز (۱ فروردین ۱۴۰۴، نوروز) روز تعطیلی فروشگاه است و پشتیبانی تلفنی در دسترس نیست؛ از ۳ فروردین ۱۴۰۴ دوباره در دسترس است."),  # closure day
    ("online_chat", at("2025-03-20T04:00Z"), "چت آنلاین الان باز است (۲۴ ساعته و ۷ روز هفته)."),  # chat and operators alike: one sentence
    ("online_chat", at("2025-03-21T12:00+03:30"), "امروز (۱ فروردین ۱۴۰۴، نوروز) روز تعطیلی فروشگاه است و چت آنلاین در دسترس نیست؛ از ۳ فروردین ۱۴۰۴ دوباره در دسترس است."),  # chat closed
    ("support_hours", at("2025-03-20T04:00Z"), "پشتیبانی مشتریان الان باز است (۲۴ ساعته و ۷ روز هفته)."),  # ordinary day
    ("support_hours", at("2025-03-21T12:00+03:30"), "امروز (۱ فروردین ۱۴۰۴، نوروز) روز تعطیلی فروشگاه است و پشتیبانی تلفنی و چت آنلاین در دسترس نیست؛ از ۳ فروردین ۱۴۰۴ دوباره در دسترس است. پشتیبانی ایمیلی و سرویس تیکت الان باز است (۲۴ ساعته و ۷ روز هفته)."),  # partial closure
    ("contact_channels", at("2025-03-20T04:00Z"), "پشتیبانی مشتریان الان باز است (۲۴ ساعته و ۷ روز هفته)."),  # ordinary day
    ("contact_channels", at("2025-03-22T12:00+03:30"), "امروز (۲ فروردین ۱۴۰۴، تعطیلات نوروز) روز تعطیلی فروشگاه است و پشتیبانی مشتریان در دسترس نیست؛ از فردا (۳ فروردین ۱۴۰۴) دوباره در دسترس است."),  # every channel closed
    ("seller_support", at("2025-03-20T04:00Z"), "پشتیبانی فروشندگان الان بسته است و از ساعت ۸ صبح باز می‌شود."),  # 07:30 Tehran
    ("seller_support", at("2025-03-20T20:29Z"), "پشتیبانی فروشندگان الان باز است (هر روز از ساعت ۸ صبح تا ۲۴)."),  # 23:59 Tehran
    ("holidays", at("2025-03-20T04:00Z"), "امروز جزو روزهای تعطیلیِ ثبت‌شده نیست. روز تعطیلیِ ثبت‌شده‌ی بعدی ۱ فروردین ۱۴۰۴ (نوروز) است و در آن روز پشتیبانی تلفنی و چت آنلاین در دسترس نیست."),  # the next one listed
    ("holidays", at("2025-03-22T12:00+03:30"), "امروز (۲ فروردین ۱۴۰۴، تعطیلات نوروز) روز تعطیلی فروشگاه است و پشتیبانی در دسترس نیست. روز تعطیلیِ ثبت‌شده‌ی بعدی ۱۳ فروردین ۱۴۰۴ است و در آن روز پشتیبانی فروشندگان در دسترس نیست."),  # today and the next
    ("holidays", at("2025-04-02T10:00+03:30"), "امروز (۱۳ فروردین ۱۴۰۴) روز تعطیلی فروشگاه است و پشتیبانی فروشندگان در دسترس نیست. برای روزهای پیش رو روز تعطیلی‌ای در فهرست من ثبت نشده است."),  # the last one listed
    ("contact_email", at("2025-03-21T12:00+03:30"), None),  # its answer does not depend on the time
    ("return_howto", at("2025-03-21T12:00+03:30"), None),  # nor this one's
    ("no_such_key", at("2025-03-21T12:00+03:30"), None),  # unknown key
]
# fmt: on


@pytest.mark.parametrize(("key", "now", "expected"), FAQ_NOTES)
def test_faq_note(schedule, key, now, expected):
    note = faq_note(key, now, schedule=schedule)
    assert note == expected
    assert note is None or not LATIN_DIGIT.search(note)


def test_holidays_note_without_listed_closures_invents_none():
    assert faq_note("holidays", at("2025-03-21T12:00+03:30")) == (
        "امروز جزو روزهای تعطیلیِ ثبت‌شده نیست. "
        "برای روزهای پیش رو روز تعطیلی‌ای در فهرست من ثبت نشده است."
    )


def test_titles_with_latin_digits_are_shown_in_persian_digits():
    day = Schedule.default(closures=[Closure(jdatetime.date(1404, 3, 14), "14 Khordad")])
    text = describe(Channel.PHONE, at("2025-06-04T12:00+03:30"), schedule=day)
    assert "(۱۴ خرداد ۱۴۰۴، ۱۴ Khordad)" in text
    assert not LATIN_DIGIT.search(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("021-91000100", "۰۲۱-۹۱۰۰۰۱۰۰"),  # ASCII digits
        ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"),  # Arabic-Indic digits
        ("ساعت ۸", "ساعت ۸"),  # already Persian
        ("info@digikala.com", "info@digikala.com"),  # no digits
    ],
)
def test_to_persian_digits(text, expected):
    assert to_persian_digits(text) == expected


# --- properties -------------------------------------------------------------------------

_DAY = timedelta(hours=23, minutes=59)
aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 12, 31, 23, 59, 59),
    timezones=st.one_of(
        st.just(UTC),
        st.just(TEHRAN),
        st.builds(timezone, st.timedeltas(min_value=-_DAY, max_value=_DAY)),  # any fixed offset
        st.timezones(),  # every IANA zone
    ),
)
operator_hours = st.sampled_from(
    [(ALL_DAY,), (Window(540, 1260),), (Window(0, 60), Window(1380, 1440))]
)


@settings(max_examples=300, deadline=None)
@given(
    now=aware_datetimes,
    channel=st.sampled_from(Channel),
    closed=st.sets(st.integers(min_value=-1, max_value=3), max_size=4),
    operator=operator_hours,
)
def test_status_never_raises_and_is_consistent(now, channel, closed, operator):
    """`closed` holds day offsets from today (Iran time) that are closure days."""
    today = now.astimezone(TEHRAN).date()
    closures = [Closure(jdatetime.date.fromgregorian(date=today + timedelta(d))) for d in closed]
    schedule = Schedule.default(closures=closures, operator_hours=operator)
    state = status(channel, now, schedule=schedule)
    assert state.open == (state.reason == "open") == (state.opens_at is None)
    assert (state.reason == "closure") == (0 in closed)
    if state.opens_at is not None:
        assert state.opens_at > now
        assert (state.opens_at.astimezone(TEHRAN).date() - today).days not in closed
    assert not LATIN_DIGIT.search(describe(channel, now, schedule=schedule))
