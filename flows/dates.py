"""Reading the date and time a customer says an example message was sent.

Understood in English, Italian and Spanish, whatever the conversation's
language, relative to now in the provider's time zone: "ieri alle 15:30",
"oggi verso le 10", "anteayer a las 9", "yesterday 3pm", "21/11/2026 10:05",
"21 novembre alle 10", "el lunes a las 9 de la mañana".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.understand import normalize

OLDEST_DAYS = 366  # an example older than a year is no use to find a message in the logs

# Phrases are folded (lower case, no accents). Longer phrases are tried first.
RELATIVE_DAYS: dict[str, int] = {
    # English
    "the day before yesterday": 2,
    "day before yesterday": 2,
    "yesterday": 1,
    "today": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    "tonight": 0,
    # Italian
    "l altro ieri": 2,
    "altro ieri": 2,
    "altroieri": 2,
    "avantieri": 2,
    "ieri": 1,
    "oggi": 0,
    "stamattina": 0,
    "stamani": 0,
    "stamane": 0,
    "questa mattina": 0,
    "oggi pomeriggio": 0,
    "questo pomeriggio": 0,
    "stasera": 0,
    "stanotte": 0,
    # Spanish
    "antes de ayer": 2,
    "antes de anoche": 2,
    "anteayer": 2,
    "ayer": 1,
    "anoche": 1,
    "hoy": 0,
    "esta manana": 0,
    "esta tarde": 0,
    "esta noche": 0,
}
# Relative days that also say it was afternoon or evening.
PM_DAYS = frozenset(
    {
        "this afternoon",
        "this evening",
        "tonight",
        "oggi pomeriggio",
        "questo pomeriggio",
        "stasera",
        "esta tarde",
        "esta noche",
        "anoche",
    }
)
FUTURE_DAYS: dict[str, int] = {"tomorrow": 1, "domani": 1, "manana": 1, "pasado manana": 2}
WEEKDAY_NAMES: dict[str, int] = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
    "lunedi": 0, "martedi": 1, "mercoledi": 2, "giovedi": 3, "venerdi": 4, "sabato": 5,
    "domenica": 6,
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
    "domingo": 6,
}  # fmt: skip
MONTH_NAMES: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
    "gen": 1, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9, "ott": 10, "dic": 12,
    "enero": 1, "febrero": 2, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "ene": 1, "abr": 4,
}  # fmt: skip
# Words that say morning or afternoon: "3 del pomeriggio", "9 de la manana", "3 pm".
PM_WORDS = (
    "pm", "p.m", "in the afternoon", "in the evening", "at night",
    "del pomeriggio", "di pomeriggio", "pomeriggio", "di sera", "della sera", "sera",
    "de la tarde", "por la tarde", "de la noche", "por la noche", "tarde", "noche",
)  # fmt: skip
AM_WORDS = (
    "am", "a.m", "in the morning", "del mattino", "di mattina", "della mattina", "mattina",
    "de la manana", "por la manana", "de la madrugada", "madrugada",
)  # fmt: skip
NAMED_TIMES = {
    "noon": time(12), "midday": time(12), "midnight": time(0), "mezzogiorno": time(12),
    "mezzanotte": time(0), "mediodia": time(12), "medianoche": time(0),
}  # fmt: skip
FILLER = frozenset(
    {
        "last", "on", "at", "around", "about", "approximately", "approx", "circa", "ca", "h", "o",
        "clock", "oclock", "the", "of", "alle", "all", "alla", "ore", "verso", "le", "la", "il",
        "lo", "l", "di", "del", "dello", "dei", "intorno", "attorno", "sul", "scorso", "scorsa",
        "passato", "passata", "a", "las", "el", "de", "sobre", "hacia", "eso", "alrededor",
        "pasado", "aproximadamente", "mas", "menos",
    }
)  # fmt: skip

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})(?:[/-](\d{1,2})(?:[/.-](\d{2,4}))?|\.(\d{1,2})\.(\d{2,4}))\b")
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?(am|pm)?$")


class DateProblem(Exception):
    """Why a date and time could not be read: 'unclear', 'no_time', 'future', 'too_old'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Parts:
    day: date | None
    clock: time | None
    future: bool = False


def parse_sent_at(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Read `text` as a moment in the past, relative to `now` in `zone`."""
    local_now = now.astimezone(zone)
    folded = normalize(text, keep="/:").replace("'", " ")
    parts = _parse(folded, local_now.date())
    if parts.future:
        raise DateProblem("future")
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


def _take(rest: str, phrase: str) -> tuple[str, bool]:
    """Remove `phrase` (as whole words) from `rest`; tell whether it was there."""
    padded = f" {phrase} "
    if padded in rest:
        return rest.replace(padded, " ", 1), True
    return rest, False


def _parse(said: str, today: date) -> _Parts:
    rest = " " + re.sub(r"(\d)t(\d)", r"\1 \2", said) + " "
    day: date | None = None
    if m := _ISO.search(rest):
        day = _date(int(m[1]), int(m[2]), int(m[3]))
        if day is None:
            return _Parts(None, None)
        rest = rest.replace(m[0], " ", 1)
        pm = False
    elif m := _DMY.search(rest):
        month_s, year_s = (m[2], m[3]) if m[2] else (m[4], m[5])
        year = int(year_s) if year_s else today.year
        year = year + 2000 if year < 100 else year
        day = _date(year, int(month_s), int(m[1]))
        if day is not None and not year_s and day > today:
            day = _date(year - 1, int(month_s), int(m[1]))
        if day is None:
            return _Parts(None, None)
        rest = rest.replace(m[0], " ", 1)
        pm = False
    else:
        day, rest, pm = _named_day(rest, today)
    am = False
    for phrase in sorted(PM_WORDS, key=len, reverse=True):
        rest, found = _take(rest, phrase)
        pm = pm or found
    for phrase in sorted(AM_WORDS, key=len, reverse=True):
        rest, found = _take(rest, phrase)
        am = am or found
    for phrase, back in sorted(FUTURE_DAYS.items(), key=lambda kv: -len(kv[0])):
        rest, found = _take(rest, phrase)
        if found:
            return _Parts(today + timedelta(days=back), None, future=True)
    words = [w for w in rest.split() if w not in FILLER]
    if not words:
        return _Parts(day, None)
    if len(words) == 1 and words[0] in NAMED_TIMES:
        return _Parts(day, NAMED_TIMES[words[0]])
    words = [w.replace(":", ".") if w.count(":") == 1 else w for w in words]
    m = _TIME.match("".join(words)) if len(words) <= 2 else None
    if m is None:
        return _Parts(None, None)
    hour, minute = int(m[1]), int(m[2] or 0)
    marker = m[3] or ("pm" if pm else "am" if am else None)
    if m[3] and not 1 <= hour <= 12:
        return _Parts(None, None)  # "13pm", "0am"
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return _Parts(None, None)
    return _Parts(day, time(hour, minute))


def _named_day(rest: str, today: date) -> tuple[date | None, str, bool]:
    """Find a day said in words: relative, a weekday, or a day and a month.

    Also tell whether the words said it was afternoon or evening ("stasera").
    """
    for phrase, back in sorted(RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        rest, found = _take(rest, phrase)
        if found:
            return today - timedelta(days=back), rest, phrase in PM_DAYS
    for name, month in MONTH_NAMES.items():
        pattern = (
            rf" (\d{{1,2}})(?:st|nd|rd|th)? (?:de )?{name}(?: (?:de |del )?(\d{{4}}))? "
            rf"| {name} (\d{{1,2}})(?:st|nd|rd|th)?,?(?: (\d{{4}}))? "
        )
        if m := re.search(pattern, rest):
            number = int(m[1] or m[3])
            year = int(m[2] or m[4] or today.year)
            found_day = _date(year, month, number)
            if found_day is not None and not (m[2] or m[4]) and found_day > today:
                found_day = _date(year - 1, month, number)
            return found_day, rest.replace(m[0], " ", 1), False
    for name, weekday in WEEKDAY_NAMES.items():
        rest, found = _take(rest, name)
        if found:
            back = (today.weekday() - weekday) % 7 or 7
            return today - timedelta(days=back), rest, False
    return None, rest, False


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
