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
from functools import lru_cache
from zoneinfo import ZoneInfo

from flows.understand import _one_edit, normalize

OLDEST_DAYS = 366  # an example older than a year is no use to find a message in the logs

# Phrases are folded (lower case, no accents). Longer phrases are tried first.
RELATIVE_DAYS: dict[str, int] = {
    # English
    "the day before yesterday": 2,
    "day before yesterday": 2,
    "last night": 1,
    "yesterday": 1,
    "yday": 1,
    "yest": 1,
    "ystday": 1,
    "today": 0,
    "tday": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this arvo": 0,
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
    "antier": 2,
    "anteanoche": 2,
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
        "last night",
        "this afternoon",
        "this arvo",
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
    "sunday": 6, "sun": 6, "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
    "lunedi": 0, "martedi": 1, "mercoledi": 2, "giovedi": 3, "venerdi": 4, "sabato": 5,
    "domenica": 6, "lun": 0, "mer": 2, "merc": 2, "gio": 3, "giov": 3, "ven": 4, "sab": 5, "dom": 6,
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
    "domingo": 6, "mie": 2, "mier": 2, "juev": 3, "vier": 4,
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
    "pm", "p.m", "in the afternoon", "in the evening", "at night", "afternoon", "evening", "arvo",
    "night",
    "del pomeriggio", "di pomeriggio", "pomeriggio", "di sera", "della sera", "sera",
    "de la tarde", "por la tarde", "de la noche", "por la noche", "tarde", "noche",
)  # fmt: skip
AM_WORDS = (
    "am", "a.m", "in the morning", "del mattino", "di mattina", "della mattina", "mattina",
    "de la manana", "por la manana", "de la madrugada", "madrugada",
)  # fmt: skip
NAMED_TIMES = {
    "first thing": time(9), "primera hora": time(9), "prima mattina": time(8),
    "lunchtime": time(13), "lunch time": time(13), "ora di pranzo": time(13),
    "mediamanana": time(11), "metamattina": time(10, 30), "midmorning": time(10, 30),
    "hora de comer": time(14), "noon": time(12), "midday": time(12), "midnight": time(0),
    "mezzogiorno": time(12), "mezzanotte": time(0), "mediodia": time(12), "medianoche": time(0),
    "teatime": time(16), "tea time": time(16), "after lunch": time(14), "dopo pranzo": time(14),
    "despues de comer": time(15), "a la tardecita": time(18), "ora di cena": time(20),
    "dopo cena": time(21), "hora de cenar": time(21), "dinner time": time(19),
    "dinnertime": time(19), "after dinner": time(20), "despues de cenar": time(22),
}  # fmt: skip
# A part of the day narrowed to about when, beside a day: "l'altro ieri verso sera",
# "early this morning", "ayer a media tarde" (a lone "ieri pomeriggio" asks for the hour).
PARTS_OF_DAY = {
    "verso sera": time(18), "in serata": time(19), "sul far della sera": time(18),
    "tardo pomeriggio": time(17), "primo pomeriggio": time(14), "tarda mattinata": time(11),
    "tarda mattina": time(11), "early afternoon": time(14), "late afternoon": time(17),
    "early evening": time(18), "late evening": time(22), "late morning": time(11),
    "early morning": time(7), "a media tarde": time(17), "media tarde": time(17),
    "primera hora de la tarde": time(15), "ultima hora de la tarde": time(19),
    "presto": time(7), "early": time(7), "temprano": time(7), "di buon ora": time(7),
}  # fmt: skip
FILLER = frozenset(
    {
        "last", "on", "at", "around", "round", "about", "approximately", "approx", "circa", "ca",
        "maybe", "probably", "forse", "quizas", "quiza", "probablemente", "probabilmente",
        "h", "o",
        "clock", "oclock", "the", "of", "alle", "all", "alla", "ore", "verso", "le", "la", "il",
        "lo", "l", "di", "del", "dello", "dei", "intorno", "attorno", "sul", "scorso", "scorsa",
        "passato", "passata", "a", "las", "el", "de", "sobre", "hacia", "eso", "alrededor",
        "pasado", "aproximadamente", "mas", "menos",
        "right", "just", "shortly", "before", "poco", "prima", "dopo", "delle", "della", "justo",
        "antes",
        "despues",
    }
)  # fmt: skip

# Words that make a time vague but not wrong: "tipo le 4", "8 y pico", "10ish".
VAGUE = frozenset(
    "tipo ish pico qualcosa something so roughly like more less piu meno mas poco forse "
    "maybe credo think penso creo quizas quiza e y and or o".split()
)
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "venti": "20", "veinte": "20",
    "una": "1", "uno": "1", "due": "2", "tre": "3", "quattro": "4", "cinque": "5", "sei": "6",
    "sette": "7", "otto": "8", "nove": "9", "dieci": "10", "undici": "11", "dodici": "12",
    "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7",
    "ocho": "8", "nueve": "9", "diez": "10", "once": "11", "doce": "12",
}  # fmt: skip
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


_GLUED_TIME = re.compile(r"\b(\d{1,2})[ey](\d{2})\b")
_HOUR_MARK = re.compile(r"\bh\s?(\d{1,2}(?::\d{2})?)\b")


def _fold(text: str) -> str:
    folded = normalize(text, keep="/:").replace("'", " ")
    folded = " ".join(_spelled(w) for w in folded.split())
    folded = _GLUED_TIME.sub(r"\1:\2", folded)  # "verso le 9e30", "a las 9y30"
    folded = _HOUR_MARK.sub(r"\1", folded)  # "ieri h9": the hour
    for said, word in (
        ("media manana", "mediamanana"),
        ("meta mattina", "metamattina"),
        ("mid morning", "midmorning"),
        ("mid-morning", "midmorning"),
        ("en la manana", "de la manana"),  # "antier en la mañana": the morning, not tomorrow
    ):
        folded = folded.replace(said, word)  # not "tomorrow" ("mañana")
    return folded


def best_day(text: str, now: datetime, zone: ZoneInfo) -> date | None:
    """Return the day `text` names, when a whole moment can't be read from it ("lunedì...")."""
    today = now.astimezone(zone).date()
    day = _parse(_fold(text), today).day
    if day is None or day > today or day < today - timedelta(days=OLDEST_DAYS):
        return None
    return day


def parse_sent_at(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Read `text` as a moment in the past, relative to `now` in `zone`."""
    local_now = now.astimezone(zone)
    folded = _denied_days().sub(" ", _fold(text))  # "yesterday at 10:05, not this morning"
    if (ago := _ago(folded)) is not None:
        return (local_now - ago).replace(second=0, microsecond=0)
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


@lru_cache(maxsize=1)
def _denied_days() -> re.Pattern[str]:
    """A day said only to be denied: "…, not this morning", "invece che lunedì"."""
    days = sorted({*RELATIVE_DAYS, *WEEKDAY_NAMES}, key=len, reverse=True)
    return re.compile(
        r"\b(?:not|non|no|y no|e non|instead of|invece che|invece di|en vez de|en lugar de|"
        r"rather than)\s+(?:(?:fue|era|was|fu|e stato|e stata)\s+)?"
        r"(?:(?:il|el|on|the|di|de)\s+)?(?:"
        + "|".join(re.escape(d) for d in days if len(d) > 2)
        + r")\b"
    )


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """The date words a typo is put right to (not the parts of the day: "preso" is no "presto")."""
    words = set(WEEKDAY_NAMES) | set(MONTH_NAMES)
    for phrases in (RELATIVE_DAYS, PM_WORDS, AM_WORDS, NAMED_TIMES, FUTURE_DAYS):
        for phrase in phrases:
            words.update(phrase.split())
    return frozenset(w for w in words if len(w) >= 5)


# Words one letter away from a date word that are words of their own: "dominio" is no "domingo".
_NOT_TYPOS = frozenset({"dominio", "domini", "dominios", "domino"})


@lru_cache(maxsize=1)
def _date_words() -> frozenset[str]:
    """Every word that may say a date or a time, short ones too ("ieri sera verso le nove")."""
    words = set(WEEKDAY_NAMES) | set(MONTH_NAMES) | set(NUMBER_WORDS)
    for phrases in (RELATIVE_DAYS, PM_WORDS, AM_WORDS, NAMED_TIMES, PARTS_OF_DAY, FUTURE_DAYS):
        for phrase in phrases:
            words.update(phrase.split())
    return frozenset(w for w in words if len(w) >= 3)


def _spelled(word: str) -> str:
    """Put right a one-letter typo in a date word ("pomerigio", "yesterdy")."""
    if len(word) < 5 or word in _vocabulary() or not word.isalpha() or word in _NOT_TYPOS:
        return word
    for known in _vocabulary():
        if abs(len(known) - len(word)) <= 1 and known[0] == word[0] and _one_edit(word, known):
            return known
    return word


_AGO = re.compile(
    r"\b(?:(an?|one|un|una|mezz|half an?|media|\d{1,2}) )?(hours?|ore|ora|horas?|minutes?|"
    r"minuti|minutos|mins?) (?:ago|fa)\b|\bhace (?:(una|un|media|\d{1,2}) )?(horas?|minutos?)\b"
)


def _ago(said: str) -> timedelta | None:
    """Read "an hour ago", "2 ore fa", "hace media hora"."""
    m = _AGO.search(said)
    if m is None:
        return None
    amount, unit = (m[1], m[2]) if m[2] else (m[3], m[4])
    if amount is None or amount in ("a", "an", "one", "un", "una"):
        n = 1.0
    elif amount in ("mezz", "half a", "half an", "media"):
        n = 0.5
    else:
        n = float(amount)
    minutes = n * 60 if unit.startswith(("h", "o")) else n
    return timedelta(minutes=minutes)


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
        if day is None and m[2]:  # "11/18": month first, as in the United States
            day = _date(year, int(m[1]), int(month_s))
        if day is not None and not year_s and day > today:
            day = _date(year - 1, int(month_s), int(m[1]))
        if day is None:
            return _Parts(None, None)
        rest = rest.replace(m[0], " ", 1)
        pm = False
    else:
        day, rest, pm = _named_day(rest, today)
    part: time | None = None
    if day is not None:
        for phrase, value in sorted(PARTS_OF_DAY.items(), key=lambda kv: -len(kv[0])):
            rest, found = _take(rest, phrase)
            if found:
                part = value
                break
    am = False
    for phrase in sorted(PM_WORDS, key=len, reverse=True):
        rest, found = _take(rest, phrase)
        pm = pm or found
    for phrase in sorted(AM_WORDS, key=len, reverse=True):
        rest, found = _take(rest, phrase)
        am = am or found
    if day is not None:  # "ayer a las 7, y esta mañana otra vez": a second try, not tomorrow
        for phrase in sorted(RELATIVE_DAYS, key=len, reverse=True):
            rest, _ = _take(rest, phrase)
    for phrase, back in sorted(FUTURE_DAYS.items(), key=lambda kv: -len(kv[0])):
        rest, found = _take(rest, phrase)
        if found:
            return _Parts(today + timedelta(days=back), None, future=True)
    clock = _clock(rest, pm, am) or part
    if clock is None:
        words = [w for w in rest.split() if w not in FILLER and w not in VAGUE]
        return (
            _Parts(day, None)
            if not any(c.isdigit() for c in "".join(words))
            else _Parts(None, None)
        )
    return _Parts(day, clock)


# Words around a bare hour that make it a time: "alle 4", "a las 8", "10ish".
_CUE_BEFORE = (
    r" (?:alle|all|ore|verso le|verso|sulle|tipo|at|around|round|about|approx|circa|sobre las|"
    r"like|"
    r"after|dopo le|passate le|despues de las|pasadas las|"
    r"(?:right|just|shortly) (?:before|after)|(?:poco )?(?:prima|dopo) (?:delle|della|le)|"
    r"(?:justo|poco) (?:antes|despues) de las|"
    r"sobre la|a las|a la|las|a eso de las|hacia las|le|intorno alle|h) (\d{1,2}) "
)
_CUE_AFTER = (
    r" (\d{1,2}) ?(?:ish|o clock|oclock|circa|h|hrs|uhr|y pico|e qualcosa|"
    r"and something|o so|more or less|piu o meno|mas o menos) "
)


def _clock(rest: str, pm: bool, am: bool) -> time | None:
    """Find the time of day in what is left of an answer, as people say it.

    "15:30", "3pm", "alle 4 e mezza", "8 y pico", "half 4", "quarter to 5",
    "10ish", "verso le dieci", "mezzogiorno". A bare number counts only after
    a word that introduces a time ("alle", "at", "a las", "verso", "tipo") or
    before one that follows it ("ish", "o'clock", "circa").
    """
    words = (w.rstrip(":,;.") or w for w in rest.split())  # "alle 8 e 20: da ..."
    rest = " " + " ".join(NUMBER_WORDS.get(w, w) for w in words) + " "
    rest = re.sub(r"(\w)\s*-?\s*ish\b", r"\1 ish", rest)  # "10ish", "5pm-ish"
    found: tuple[int, int, str | None] | None = None
    if m := re.search(r" (\d{1,2})[:.h](\d{2}) ?(am|pm)? ", rest):
        found = (int(m[1]), int(m[2]), m[3])
    elif m := re.search(r" (\d{1,2}) ?(am|pm) ", rest):
        found = (int(m[1]), 0, m[2])
    elif m := re.search(r" half (?:past )?(\d{1,2}) ", rest):
        found = (int(m[1]), 30, None)
    elif m := re.search(r" (?:a )?quarter (past|to) (\d{1,2}) ", rest):
        hour = int(m[2])
        found = (hour, 15, None) if m[1] == "past" else (hour - 1, 45, None)
    elif m := re.search(r" (\d{1,2}) (?:minutes )?(past|after|to) (\d{1,2}) ", rest):
        minutes, hour = int(m[1]), int(m[3])  # "ten past two", "twenty to five"
        if m[2] == "to":
            found = (hour - 1, 60 - minutes, None) if 0 < minutes < 60 else None
        else:
            found = (hour, minutes, None) if minutes < 60 else None
    elif m := re.search(
        r" (\d{1,2}) (?:e|y|and) (?:(mezza|mezzo|media|half)|(?:un )?(quarto|cuarto|quarter)) ",
        rest,
    ):
        found = (int(m[1]), 30 if m[2] else 15, None)
    elif m := re.search(r" (\d{1,2}) (?:e|y|and) (\d{1,2}) ", rest):
        found = (int(m[1]), int(m[2]), None)  # "alle 9 e 10"
    elif m := re.search(r" (\d{1,2}) (?:meno|menos) (?:un )?(?:quarto|cuarto) ", rest):
        found = (int(m[1]) - 1, 45, None)
    elif m := (
        re.search(_CUE_BEFORE, rest)
        or re.search(_CUE_AFTER, rest)
        or re.fullmatch(
            r" (\d{1,2}) ", " " + " ".join(w for w in rest.split() if w not in FILLER) + " "
        )
    ):  # (a lone number, but for "maybe", "around": "Wednesday afternoon, maybe 2 pm")
        past = re.search(r" (?:a )?(quarter|half) past ", rest)  # "after 6 ..., maybe quarter past"
        found = (int(m[1]), (15 if past[1] == "quarter" else 30) if past else 0, None)
    if found is None:  # no hour said: "a mezzogiorno", "a primera hora"
        return next((value for name, value in NAMED_TIMES.items() if f" {name} " in rest), None)
    hour, minute, marker = found
    marker = marker or ("pm" if pm else "am" if am else None)
    if marker is None and 1 <= hour <= 6:
        marker = "pm"  # "at half 4": mail is sent in the afternoon, not before dawn
    if marker in ("am", "pm") and found[2] and not 1 <= hour <= 12:
        return None  # "13pm", "0am"
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _named_day(rest: str, today: date) -> tuple[date | None, str, bool]:
    """Find a day said in words: relative, a weekday, or a day and a month.

    Also tell whether the words said it was afternoon or evening ("stasera").
    """
    # The first day said ("ayer a las 7, y esta mañana otra vez": yesterday); at one place,
    # the longest phrase ("l'altro ieri", not "ieri").
    named = [(rest.find(f" {p} "), -len(p), p) for p in RELATIVE_DAYS if f" {p} " in rest]
    if named:
        phrase = min(named)[2]
        rest, _ = _take(rest, phrase)
        return today - timedelta(days=RELATIVE_DAYS[phrase]), rest, phrase in PM_DAYS
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
            day = today - timedelta(days=back)
            for week in _LAST_WEEK:  # "Thursday last week": the one of the week before this
                rest, said = _take(rest, week)
                if said:
                    day = today - timedelta(days=today.weekday() + 7 - weekday)
            if m := re.search(_ORDINAL, rest):  # "Thursday (the 12th)": the date says which
                dated = _of_this_or_last_month(today, int(m[1]))
                if dated is not None and dated.weekday() == weekday:
                    day, rest = dated, rest.replace(m[0], " ", 1)
            return day, rest, False
    if m := re.search(_ORDINAL, rest):
        found_day = _of_this_or_last_month(today, int(m[1]))  # "on the 3rd"
        return found_day, rest.replace(m[0], " ", 1), False
    day_of_month = r" (?:el|il|the|on the|on|del|dal|giorno|dia|lo) (\d{1,2}) (?![:.h]?\d)"
    if m := re.search(day_of_month, rest):
        number = int(m[1])  # "el 18 a las 13:40": a day of this month, or of the last
        found_day = _date(today.year, today.month, number)
        if found_day is None or found_day > today:
            last = today.replace(day=1) - timedelta(days=1)
            found_day = _date(last.year, last.month, number)
        if found_day is not None:
            return found_day, rest.replace(m[0], " ", 1), False
    return None, rest, False


_ORDINAL = r" (?:the |il |el )?(\d{1,2})(?:st|nd|rd|th|º|°) "
_LAST_WEEK = (
    "last week", "the week before", "settimana scorsa", "scorsa settimana",
    "semana pasado", "semana pasada", "semana anterior",  # ("pasada" is folded to "pasado")
)  # fmt: skip


def _of_this_or_last_month(today: date, number: int) -> date | None:
    """The day `number` of this month, or of the last one when this one's is still to come."""
    found_day = _date(today.year, today.month, number)
    if found_day is None or found_day > today:
        last = today.replace(day=1) - timedelta(days=1)
        found_day = _date(last.year, last.month, number)
    return found_day


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_SENTENCE = re.compile(r"[;!?\n]+|(?<!\d)\.+|\.+(?!\d)")  # "20.11.2026" stays whole
_NAMES = re.compile(r"\S+@\S+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b", re.IGNORECASE)  # addresses, hosts


def find_sent_at(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Find when a message was sent in a longer text ("...mi ha scritto ieri alle 16...")."""
    for sentence in _SENTENCE.split(_NAMES.sub(" ", text).replace("(", " ").replace(")", " ")):
        if not re.search(r"\d", sentence) and not any(
            w in _date_words() or w in NAMED_TIMES for w in normalize(sentence).split()
        ):
            continue
        try:
            return parse_sent_at(sentence, now, zone)
        except DateProblem:
            continue
    return None


# The customer says the hour is not known: "non ricordo", "no me acuerdo", "no idea of the time".
_HOUR_UNKNOWN = re.compile(
    r"\b(?:(?:i )?(?:don t|do not|can t|cannot|couldn t) (?:remember|recall|say|tell)|"
    r"no idea|not sure|(?:i )?(?:don t|do not) know|"
    r"non (?:me |mi )?(?:la |lo )?(?:ricordo|so|saprei)|boh|"
    r"no (?:me )?acuerdo|no (?:lo |la )?recuerdo|no (?:lo |la )?se|no sabria|ni idea)\b"
)
# A part of the day without its hour, as a technician would note it: the middle of it.
_ROUGH_HOURS = (
    (("at night", "noche", "notte", "di notte"), time(22)),
    (("evening", "sera", "serata"), time(19)),
    (("afternoon", "arvo", "pomeriggio", "tarde"), time(15)),
    (("morning", "mattina", "mattino", "mattinata", "manana", "madrugada"), time(9)),
)


def rough_moment(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The moment of a day said with "I don't remember the time": the day, at about when.

    "Tuesday or Wednesday, I don't remember, in the morning" is Tuesday at 9:00
    (the first day named, the middle of the part of the day); a day alone is
    taken at noon. The customer's words go with it, so nobody takes the hour
    for theirs. None when a day is not read or the hour is not said to be unknown.
    """
    folded = _fold(text)
    if not _HOUR_UNKNOWN.search(folded):  # (folded: "don't" is "don t")
        return None
    day = best_day(text, now, zone)
    if day is None:
        return None
    words = f" {folded} "
    hour = next((h for said, h in _ROUGH_HOURS if any(f" {w} " in words for w in said)), time(12))
    moment = datetime.combine(day, hour, tzinfo=zone)
    return min(moment, now.astimezone(zone).replace(second=0, microsecond=0))
