"""Reading the date and time a customer says an example message was sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.understand import normalize

RELATIVE_DAYS: dict[str, int] = {
    "day before yesterday": 2,
    "the day before yesterday": 2,
    "yesterday": 1,
    "today": 0,
    "this morning": 0,
    "this afternoon": 0,
    "tonight": 0,
    "this evening": 0,
}
WEEKDAY_NAMES: dict[str, int] = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_FILLER = ("last", "on", "at", "around", "about", "approximately", "approx", "circa", "ca", "h")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?")
_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?")


OLDEST_DAYS = 366  # an example older than a year is no use to find a message in the logs


class DateProblem(Exception):
    """Why a date and time could not be read: 'unclear', 'no_time', 'future', 'too_old'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Parts:
    day: date | None
    clock: time | None


def parse_sent_at(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Read `text` as a moment in the past, relative to `now` in `zone`."""
    local_now = now.astimezone(zone)
    parts = _parse(normalize(text, keep="/:").replace("'", ""), local_now.date())
    if parts.day is None and parts.clock is None:
        raise DateProblem("unclear")
    if parts.clock is None:
        raise DateProblem("no_time")
    day = parts.day or local_now.date()
    moment = datetime.combine(day, parts.clock, tzinfo=zone)
    if moment > local_now + timedelta(minutes=10):
        raise DateProblem("future")
    if moment < local_now - timedelta(days=OLDEST_DAYS):
        raise DateProblem("too_old")
    return moment


def _parse(said: str, today: date) -> _Parts:
    day: date | None = None
    rest = " " + re.sub(r"(\d)t(\d)", r"\1 \2", said) + " "
    if m := _ISO.search(rest):
        day = _date(int(m[1]), int(m[2]), int(m[3]))
        if day is None:
            return _Parts(None, None)
        rest = rest.replace(m[0], " ", 1)
    elif m := _DMY.search(rest):
        year = int(m[3]) if m[3] else today.year
        year = year + 2000 if year < 100 else year
        day = _date(year, int(m[2]), int(m[1]))
        if day is not None and not m[3] and day > today:
            day = _date(year - 1, int(m[2]), int(m[1]))
        if day is None:
            return _Parts(None, None)
        rest = rest.replace(m[0], " ", 1)
    else:
        for phrase, back in sorted(RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
            if f" {phrase} " in rest:
                day = today - timedelta(days=back)
                rest = rest.replace(f" {phrase} ", " ", 1)
                break
        else:
            for name, weekday in WEEKDAY_NAMES.items():
                if f" {name} " in rest:
                    back = (today.weekday() - weekday) % 7 or 7
                    day = today - timedelta(days=back)
                    rest = rest.replace(f" {name} ", " ", 1)
                    break
    words = [w for w in rest.split() if w not in _FILLER]
    remaining = " ".join(words)
    if not remaining:
        return _Parts(day, None)
    m = _TIME.fullmatch(remaining)
    if m is None:
        return _Parts(None, None)
    hour, minute = int(m[1]), int(m[2] or 0)
    if m[3] and not 1 <= hour <= 12:
        return _Parts(None, None)  # "13pm", "0am"
    if m[3] == "pm" and hour < 12:
        hour += 12
    elif m[3] == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return _Parts(None, None)
    return _Parts(day, time(hour, minute))


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
