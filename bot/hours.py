"""What customers read about support hours: Persian sentences saying whether a channel is
open now and when it opens, appended to the FAQ answers whose truth depends on the moment.

The schedule behind them (channels, opening windows, closure days) is `bot.schedule`.
Pure, as there: `now` is passed in (timezone-aware) and read in Iran time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import jdatetime

from bot.schedule import (
    ALL_DAY,
    CUSTOMER_CHANNELS,
    TEHRAN,
    Channel,
    ChannelStatus,
    Closure,
    Schedule,
    Window,
    iran_time,
)
from bot.text import to_persian_digits

__all__ = ["describe", "faq_note", "status", "upcoming_closures"]

_MINUTES_PER_DAY = 24 * 60


_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)

_NAMES = {
    Channel.PHONE: "پشتیبانی تلفنی",
    Channel.CHAT: "چت آنلاین",
    Channel.EMAIL: "پشتیبانی ایمیلی",
    Channel.TICKET: "سرویس تیکت",
    Channel.SELLER_PHONE: "پشتیبانی فروشندگان",
    Channel.OPERATOR: "گفت‌وگو با کارشناس در چت",
}

# FAQ answers whose truth depends on the moment: the subject of the note and its channels.
_FAQ_CHANNELS: dict[str, tuple[str, tuple[Channel, ...]]] = {
    "contact_phone": (_NAMES[Channel.PHONE], (Channel.PHONE,)),
    "online_chat": (_NAMES[Channel.CHAT], (Channel.CHAT, Channel.OPERATOR)),
    "support_hours": ("پشتیبانی مشتریان", CUSTOMER_CHANNELS),
    "contact_channels": ("پشتیبانی مشتریان", CUSTOMER_CHANNELS),
    "seller_support": (_NAMES[Channel.SELLER_PHONE], (Channel.SELLER_PHONE,)),
}

_DEFAULT_SCHEDULE = Schedule.default()


def status(channel: Channel, now: datetime, *, schedule: Schedule | None = None) -> ChannelStatus:
    """Whether `channel` is open at `now`. Without `schedule`: the article's hours and
    no closure days — pass the schedule built from `load_closures` to honour them."""
    return (schedule or _DEFAULT_SCHEDULE).status(channel, now)


def upcoming_closures(
    now: datetime, days: int = 30, *, schedule: Schedule | None = None
) -> list[Closure]:
    return (schedule or _DEFAULT_SCHEDULE).upcoming_closures(now, days)


def describe(channel: Channel, now: datetime, *, schedule: Schedule | None = None) -> str:
    """One Persian sentence: is `channel` open now, and if not, when does it open."""
    schedule = schedule or _DEFAULT_SCHEDULE
    today = iran_time(now).date()
    state = schedule.status(channel, now)
    return to_persian_digits(_sentence(_NAMES[channel], state, schedule.hours[channel], today))


def faq_note(faq_key: str, now: datetime, *, schedule: Schedule | None = None) -> str | None:
    """The sentence to append to the FAQ answer `faq_key` at `now`, or None if its
    answer does not depend on the time."""
    schedule = schedule or _DEFAULT_SCHEDULE
    if faq_key == "holidays":
        return to_persian_digits(_holidays_note(schedule, now))
    if faq_key not in _FAQ_CHANNELS:
        return None
    subject, channels = _FAQ_CHANNELS[faq_key]
    today = iran_time(now).date()
    # channels in the same state share one sentence: «پشتیبانی تلفنی و چت آنلاین ...»
    groups: dict[tuple[ChannelStatus, tuple[Window, ...]], list[Channel]] = {}
    for channel in channels:
        key = (schedule.status(channel, now), schedule.hours[channel])
        groups.setdefault(key, []).append(channel)
    if len(groups) == 1:
        ((state, hours),) = groups
        return to_persian_digits(_sentence(subject, state, hours, today))
    sentences = [
        _sentence(_scope(frozenset(members)), state, hours, today)
        for (state, hours), members in groups.items()
    ]
    return to_persian_digits(" ".join(sentences))


def _sentence(subject: str, state: ChannelStatus, hours: tuple[Window, ...], today: date) -> str:
    if state.open:
        return f"{subject} الان باز است ({_hours_phrase(hours)})."
    if state.closure is not None:
        label = _closure_label(state.closure)
        text = f"امروز ({label}) روز تعطیلی فروشگاه است و {subject} در دسترس نیست"
        if state.opens_at is None:
            return text + "."
        return f"{text}؛ از {_when(state.opens_at, today)} دوباره در دسترس است."
    if state.opens_at is None:
        return f"{subject} الان بسته است."
    return f"{subject} الان بسته است و از {_when(state.opens_at, today)} باز می‌شود."


def _holidays_note(schedule: Schedule, now: datetime) -> str:
    today = iran_time(now).date()
    todays = schedule.closures_on(today)
    if todays:
        label = _closure_label(todays[0])
        scope = _scope(_closed_channels(todays))
        first = f"امروز ({label}) روز تعطیلی فروشگاه است و {scope} در دسترس نیست."
    else:
        # an empty list may only mean nobody has filled it in: claim no more than the list
        first = "امروز جزو روزهای تعطیلیِ ثبت‌شده نیست."
    upcoming = schedule.next_closure(now)
    if upcoming is None:
        return f"{first} برای روزهای پیش رو روز تعطیلی‌ای در فهرست من ثبت نشده است."
    day = _jalali(upcoming.gregorian)
    title = f" ({upcoming.title})" if upcoming.title else ""
    scope = _scope(_closed_channels(schedule.closures_on(upcoming.gregorian)))
    return f"{first} روز تعطیلیِ ثبت‌شده‌ی بعدی {day}{title} است و در آن روز {scope} در دسترس نیست."


def _closed_channels(closures: Iterable[Closure]) -> frozenset[Channel]:
    closures = list(closures)
    return frozenset(ch for ch in Channel if any(c.covers(ch) for c in closures))


def _scope(channels: frozenset[Channel]) -> str:
    """`پشتیبانی` when every channel is meant, else the channels by name."""
    if channels == frozenset(Channel):
        return "پشتیبانی"
    if Channel.CHAT in channels:  # «چت آنلاین» already says the operators in it
        channels = channels - {Channel.OPERATOR}
    names = [_NAMES[c] for c in Channel if c in channels]
    return names[0] if len(names) == 1 else "، ".join(names[:-1]) + " و " + names[-1]


def _closure_label(closure: Closure) -> str:
    day = _jalali(closure.gregorian)
    return f"{day}، {closure.title}" if closure.title else day


def _jalali(day: date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.day} {_MONTHS[j.month - 1]} {j.year}"


def _when(opens_at: datetime, today: date) -> str:
    """`ساعت ۸ صبح`, `فردا (۲ فروردین ۱۴۰۴) ساعت ۸ صبح` or `۳ فروردین ۱۴۰۴`."""
    local = opens_at.astimezone(TEHRAN)
    day = local.date()
    if day == today:
        when = ""
    elif day == today + timedelta(days=1):
        when = f"فردا ({_jalali(day)})"
    else:
        when = _jalali(day)
    minute = local.hour * 60 + local.minute
    if when and minute == 0:
        return when
    return f"{when} ساعت {_clock(minute)}".strip()


def _hours_phrase(hours: tuple[Window, ...]) -> str:
    if hours == (ALL_DAY,):
        return "۲۴ ساعته و ۷ روز هفته"
    spans = " و ".join(f"از ساعت {_clock(w.start)} تا {_clock(w.end)}" for w in hours)
    return f"هر روز {spans}"


def _clock(minute: int) -> str:
    """Minutes after midnight as customers say them: `۸ صبح`, `۱۲ ظهر`, `۲۱`, `۲۴`."""
    if minute in (0, _MINUTES_PER_DAY):
        return "۲۴" if minute else "۰ بامداد"
    hour, rest = divmod(minute, 60)
    clock = f"{hour}:{rest:02d}" if rest else str(hour)
    if hour < 5:
        return f"{clock} بامداد"
    if hour < 12:
        return f"{clock} صبح"
    if hour == 12:
        return f"{clock} ظهر"
    return clock
