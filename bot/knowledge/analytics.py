"""Figures from the recorded turns, per day (Iran time) and per channel — pure functions.

Definitions (a *conversation* is one sender on one day, per channel):

    conversations   distinct senders
    messages        turns (customer messages)
    answered        messages answered from the FAQ (action `answer`)
    clarified       messages where the bot offered choices (action `clarify`)
    fallbacks       messages not understood (action `fallback`)
    escalated       conversations with a handoff to an operator
    tickets         tickets and return requests created
    deflected       conversations answered automatically: at least one answer, no handoff,
                    no ticket
    deflection_rate deflected / conversations
    fallback_rate   fallbacks / messages
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import Turn

__all__ = ["METRICS", "TIMEZONE", "Figures", "Report", "parse_moment", "report"]

TIMEZONE = ZoneInfo("Asia/Tehran")
METRICS = (
    "conversations",
    "messages",
    "answered",
    "clarified",
    "fallbacks",
    "escalated",
    "tickets",
    "deflected",
    "deflection_rate",
    "fallback_rate",
)
_RELATIVE = re.compile(r"^(\d{1,4})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(value: str, now: datetime) -> datetime:
    """`7d`, `24h`, `30m`, `2w` before `now`; or an ISO date (midnight, Iran time) or
    an ISO time (Iran time unless it names a zone). Raises ValueError."""
    value = value.strip()
    relative = _RELATIVE.match(value)
    if relative:
        return now - timedelta(**{_UNITS[relative[2]]: int(relative[1])})
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=TIMEZONE) if moment.tzinfo is None else moment


@dataclass
class Figures:
    conversations: int = 0
    messages: int = 0
    answered: int = 0
    clarified: int = 0
    fallbacks: int = 0
    escalated: int = 0
    tickets: int = 0
    deflected: int = 0

    @property
    def deflection_rate(self) -> float:
        return round(self.deflected / self.conversations, 4) if self.conversations else 0.0

    @property
    def fallback_rate(self) -> float:
        return round(self.fallbacks / self.messages, 4) if self.messages else 0.0

    def add(self, other: Figures) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "deflection_rate": self.deflection_rate,
            "fallback_rate": self.fallback_rate,
        }


def _figures(turns: Sequence[Turn]) -> Figures:
    """Figures of one day's turns on one channel."""
    figures = Figures(messages=len(turns))
    by_sender: dict[str, set[str]] = defaultdict(set)
    for turn in turns:
        by_sender[turn.sender_id].add(turn.action)
        figures.answered += turn.action == "answer"
        figures.clarified += turn.action == "clarify"
        figures.fallbacks += turn.action == "fallback"
        figures.tickets += turn.action == "ticket_created"
    figures.conversations = len(by_sender)
    for actions in by_sender.values():
        escalated = "handoff" in actions
        figures.escalated += escalated
        figures.deflected += (
            "answer" in actions and not escalated and "ticket_created" not in actions
        )
    return figures


@dataclass
class Report:
    since: datetime
    until: datetime
    totals: Figures
    days: dict[date, Figures]
    channels: dict[str, Figures]
    days_by_channel: dict[tuple[date, str], Figures]
    top_intents: list[tuple[str, int]]
    top_faq_keys: list[tuple[str, int]]

    def series(self) -> dict[str, list]:
        """Chart-ready: one list per metric, one value per day (days without turns: 0)."""
        dates = list(self.days)
        out: dict[str, list] = {"dates": [d.isoformat() for d in dates]}
        for metric in METRICS:
            out[metric] = [getattr(self.days[d], metric) for d in dates]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "timezone": str(TIMEZONE),
            "totals": self.totals.to_dict(),
            "channels": {name: f.to_dict() for name, f in self.channels.items()},
            "days": [{"date": d.isoformat()} | f.to_dict() for d, f in self.days.items()],
            "days_by_channel": [
                {"date": d.isoformat(), "channel": c} | f.to_dict()
                for (d, c), f in self.days_by_channel.items()
            ],
            "top_intents": [{"name": n, "count": c} for n, c in self.top_intents],
            "top_faq_keys": [{"key": k, "count": c} for k, c in self.top_faq_keys],
            "series": self.series(),
        }


def _days(since: datetime, until: datetime) -> Iterable[date]:
    day, last = since.astimezone(TIMEZONE).date(), until.astimezone(TIMEZONE).date()
    if until.astimezone(TIMEZONE).time() == datetime.min.time() and last > day:
        last -= timedelta(days=1)  # `until` is exclusive: midnight starts no day
    while day <= last:
        yield day
        day += timedelta(days=1)


def report(
    turns: Sequence[Turn],
    since: datetime,
    until: datetime,
    top: int = 10,
    min_confidence: float = 0.45,
) -> Report:
    """The figures of `turns` (those with since <= at < until are counted). Top intents
    count messages understood at `min_confidence` or more, so a form's answers (a name, a
    phone number), which no intent fits, stay out."""
    groups: dict[tuple[date, str], list[Turn]] = defaultdict(list)
    intents: Counter[str] = Counter()
    faq_keys: Counter[str] = Counter()
    for turn in turns:
        if not since <= turn.at < until:
            continue
        groups[(turn.at.astimezone(TIMEZONE).date(), turn.channel)].append(turn)
        understood = turn.confidence >= min_confidence
        if turn.intent and understood and turn.action not in ("fallback", "clarify"):
            intents[turn.intent] += 1
        if turn.faq_key:
            faq_keys[turn.faq_key] += 1
    days = {d: Figures() for d in _days(since, until)}
    channels: dict[str, Figures] = {}
    by_channel: dict[tuple[date, str], Figures] = {}
    totals = Figures()
    for (day, channel), group in sorted(groups.items()):
        figures = _figures(group)
        by_channel[(day, channel)] = figures
        days.setdefault(day, Figures()).add(figures)
        channels.setdefault(channel, Figures()).add(figures)
        totals.add(figures)
    return Report(
        since=since,
        until=until,
        totals=totals,
        days=dict(sorted(days.items())),
        channels=dict(sorted(channels.items())),
        days_by_channel=by_channel,
        top_intents=intents.most_common(top),
        top_faq_keys=faq_keys.most_common(top),
    )
