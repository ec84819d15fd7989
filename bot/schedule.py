"""The support schedule: channels, their daily opening windows and the shop's closure days.

Facts from the support article: the customer channels (phone, chat, email, tickets) are
open 24 hours a day, 7 days a week; seller support (phone) every day from 08:00 to 24:00;
on the shop's closure days support cannot be reached. The article lists no dates, so the
closure days come only from `nlu_data/closures.yml`, which the content team fills in.

Deciding is pure: `now` is passed in (timezone-aware) and read in Iran time; only
`load_closures` touches the disk. The Persian sentences about all this are in `bot.hours`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import jdatetime
import yaml

from bot.errors import ConfigError, DataError
from bot.text import fold_digits

__all__ = [
    "ALL_DAY",
    "CUSTOMER_CHANNELS",
    "TEHRAN",
    "Channel",
    "ChannelStatus",
    "Closure",
    "Schedule",
    "Window",
    "iran_time",
    "load_closures",
]

TEHRAN = ZoneInfo("Asia/Tehran")
_MINUTES_PER_DAY = 24 * 60


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    TICKET = "ticket"
    SELLER_PHONE = "seller_phone"
    OPERATOR = "operator"  # live operators in the chat


CUSTOMER_CHANNELS: tuple[Channel, ...] = (
    Channel.PHONE,
    Channel.CHAT,
    Channel.EMAIL,
    Channel.TICKET,
)

# Reasons in `ChannelStatus.reason`; stable machine codes.
OPEN = "open"
CLOSURE = "closure"
OUTSIDE_HOURS = "outside_hours"


@dataclass(frozen=True, slots=True)
class Window:
    """A daily opening window in Iran local time, in minutes after midnight; `end` is
    exclusive and may be 1440 (24:00). A window across midnight is written as two."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= _MINUTES_PER_DAY:
            raise ConfigError(f"bad opening window {self.start}-{self.end} (minutes, 0-1440)")

    @classmethod
    def parse(cls, text: str) -> Window:
        """`"08:00-24:00"` → `Window(480, 1440)`."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", fold_digits(text))
        if not match:
            raise ConfigError(f"bad opening window {text!r}; expected HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59:
            raise ConfigError(f"bad opening window {text!r}; minutes must be 00-59")
        return cls(h1 * 60 + m1, h2 * 60 + m2)

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end


ALL_DAY = Window(0, _MINUTES_PER_DAY)


@dataclass(frozen=True, slots=True)
class Closure:
    """One closure day of the shop (a Jalali date) and the channels it closes; closing
    the chat also closes the live operators in it."""

    date: jdatetime.date
    title: str = ""
    channels: frozenset[Channel] = frozenset(Channel)

    @property
    def gregorian(self) -> date:
        return self.date.togregorian()

    def covers(self, channel: Channel) -> bool:
        # the live operators answer inside the chat: no chat, no operators
        if channel is Channel.OPERATOR and Channel.CHAT in self.channels:
            return True
        return channel in self.channels


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    open: bool
    reason: str  # "open", "closure" or "outside_hours"
    opens_at: datetime | None  # Iran time; None when open, or when it never opens again
    closure: Closure | None = None  # the closure that shuts the channel today


@dataclass(frozen=True)
class Schedule:
    """Per channel the daily opening windows, plus the closure days."""

    hours: Mapping[Channel, tuple[Window, ...]]
    closures: tuple[Closure, ...] = ()
    _by_day: dict[date, list[Closure]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [c.value for c in Channel if c not in self.hours]
        if missing:
            raise ConfigError(f"opening hours missing for {', '.join(missing)}")
        hours = {c: tuple(sorted(self.hours[c], key=lambda w: w.start)) for c in Channel}
        closures = tuple(sorted(self.closures, key=lambda c: c.gregorian))
        by_day: dict[date, list[Closure]] = {}
        for closure in closures:
            by_day.setdefault(closure.gregorian, []).append(closure)
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "closures", closures)
        object.__setattr__(self, "_by_day", by_day)

    @classmethod
    def default(
        cls,
        closures: Iterable[Closure] = (),
        operator_hours: Sequence[Window] = (ALL_DAY,),
    ) -> Schedule:
        """The hours from the support article; live operators 24/7 unless told otherwise."""
        hours = {c: (ALL_DAY,) for c in CUSTOMER_CHANNELS}
        hours[Channel.SELLER_PHONE] = (Window(8 * 60, _MINUTES_PER_DAY),)
        hours[Channel.OPERATOR] = tuple(operator_hours)
        return cls(hours, tuple(closures))

    def closures_on(self, day: date) -> list[Closure]:
        """The closures on a Gregorian `day` (usually none, at most a few)."""
        return list(self._by_day.get(day, ()))

    def closure_for(self, channel: Channel, day: date) -> Closure | None:
        return next((c for c in self._by_day.get(day, ()) if c.covers(channel)), None)

    def status(self, channel: Channel, now: datetime) -> ChannelStatus:
        local = iran_time(now)
        closure = self.closure_for(channel, local.date())
        if closure is not None:
            tomorrow = datetime.combine(local.date() + timedelta(days=1), time())
            return ChannelStatus(False, CLOSURE, self._next_opening(channel, tomorrow), closure)
        minute = local.hour * 60 + local.minute
        if any(w.contains(minute) for w in self.hours[channel]):
            return ChannelStatus(True, OPEN, None)
        naive = local.replace(tzinfo=None)
        return ChannelStatus(False, OUTSIDE_HOURS, self._next_opening(channel, naive))

    def upcoming_closures(self, now: datetime, days: int = 30) -> list[Closure]:
        """Closures from today (Iran time) up to and including `days` days later."""
        today = iran_time(now).date()
        last = today + timedelta(days=days)
        return [c for c in self.closures if today <= c.gregorian <= last]

    def next_closure(self, now: datetime) -> Closure | None:
        """The first listed closure after today (Iran time)."""
        today = iran_time(now).date()
        return next((c for c in self.closures if c.gregorian > today), None)

    def _next_opening(self, channel: Channel, after: datetime) -> datetime | None:
        """The first window start at or after the naive Iran-local `after` on a day the
        channel is not closed; each closure blocks at most one day, so the search ends."""
        for offset in range(len(self.closures) + 2):
            day = after.date() + timedelta(days=offset)
            if self.closure_for(channel, day) is not None:
                continue
            for window in self.hours[channel]:
                start = datetime.combine(day, time()) + timedelta(minutes=window.start)
                if start >= after:
                    # via UTC, so a wall time skipped by a (pre-2022) DST change becomes real
                    return start.replace(tzinfo=TEHRAN).astimezone(UTC).astimezone(TEHRAN)
        return None


def iran_time(now: datetime) -> datetime:
    """`now` in Iran time; a naive datetime is refused, since its zone is a guess."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware")
    return now.astimezone(TEHRAN)


# --- the closure-days file -------------------------------------------------------------

_CLOSURE_KEYS = ("date", "title", "channels")
_CHANNEL_VALUES = frozenset(c.value for c in Channel)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# A year outside this range is almost surely a Gregorian date typed by mistake.
_JALALI_YEARS = range(1300, 1500)


def load_closures(path: Path | str) -> list[Closure]:
    """Read and check the closure-days YAML file; an empty or missing list is fine."""
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file", path) from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise DataError(f"{path}:{line}: invalid YAML: {exc.problem}", path, line) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot read: {exc}", path) from exc
    if root is None:
        return []
    fields = _fields(path, root, ("closures",), "the file must be a mapping with 'closures:'")
    node = fields.get("closures")
    if node is None or _is_null(node):
        return []
    if not isinstance(node, yaml.SequenceNode):
        _fail(path, node, "'closures' must be a list of '- date: ...' items")
    return [_closure(path, item) for item in node.value]


def _closure(path: Path, node: yaml.Node) -> Closure:
    fields = _fields(path, node, _CLOSURE_KEYS, "each closure must be a mapping with 'date:'")
    if "date" not in fields:
        _fail(path, node, "closure without 'date'")
    day = _jalali_date(path, fields["date"])
    title = ""
    if "title" in fields:
        title_node = fields["title"]
        if not isinstance(title_node, yaml.ScalarNode) or not str(title_node.value).strip():
            _fail(path, title_node, "'title' must be a non-empty text")
        title = str(title_node.value).strip()
    channels = frozenset(Channel)
    if "channels" in fields:
        channels = _channels(path, fields["channels"])
    return Closure(day, title, channels)


def _jalali_date(path: Path, node: yaml.Node) -> jdatetime.date:
    raw = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
    match = _DATE.fullmatch(fold_digits(raw))
    if not match:
        _fail(path, node, f"date {raw!r} is not a Jalali date in YYYY-MM-DD form (1404-01-01)")
    year, month, day = (int(g) for g in match.groups())
    if year not in _JALALI_YEARS:
        _fail(path, node, f"year {year} in {raw!r} is not a Jalali (شمسی) year like 1404")
    try:
        return jdatetime.date(year, month, day)
    except ValueError as exc:
        _fail(path, node, f"{raw!r} is not a real Jalali date: {exc}")


def _channels(path: Path, node: yaml.Node) -> frozenset[Channel]:
    known = ", ".join(c.value for c in Channel)
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        _fail(path, node, f"'channels' must be a non-empty list such as [phone, chat] ({known})")
    channels: set[Channel] = set()
    for item in node.value:
        value = str(item.value).strip() if isinstance(item, yaml.ScalarNode) else ""
        if value not in _CHANNEL_VALUES:
            _fail(path, item, f"unknown channel {value!r}; known channels: {known}")
        channels.add(Channel(value))
    return frozenset(channels)


def _fields(
    path: Path, node: yaml.Node, allowed: Sequence[str], message: str
) -> dict[str, yaml.Node]:
    """A mapping node's values by key; unknown or repeated keys are errors, since a
    misspelt `channels:` would otherwise silently close every channel."""
    if not isinstance(node, yaml.MappingNode):
        _fail(path, node, message)
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
        if name not in allowed:
            _fail(path, key, f"unknown key {name!r}; expected {', '.join(allowed)}")
        if name in fields:
            _fail(path, key, f"key {name!r} given twice")
        fields[name] = value
    return fields


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _fail(path: Path, node: yaml.Node, message: str) -> NoReturn:
    line = node.start_mark.line + 1
    raise DataError(f"{path}:{line}: {message}", path, line)
