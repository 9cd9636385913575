"""Reading what customers type: dates and times (flows.dates) and answers (flows.understand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.dates import DateProblem, parse_sent_at
from flows.understand import INTENTS, clean, match_intent, normalize
from tests.conftest import ROME

# Friday 20 November 2026, 11:00 in Rome (10:00 UTC).
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=ROME)

YES_NO = ["yes", "no"]
YES_NO_UNSURE = ["yes", "no", "unsure"]
DIRECTION = ["send", "receive"]
WEBMAIL = ["webmail_fails", "webmail_works", "not_tried"]


def rome(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ROME)


def parse(text: str, now: datetime = NOW) -> datetime:
    return parse_sent_at(text, now, ROME)


# --- dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        # ISO
        ("2026-11-19 15:30", rome(2026, 11, 19, 15, 30)),
        ("2026-11-19T15:30", rome(2026, 11, 19, 15, 30)),
        ("2026-11-19 at 15:30", rome(2026, 11, 19, 15, 30)),
        ("2026-01-05 08:05", rome(2026, 1, 5, 8, 5)),
        # dd/mm/yyyy and friends
        ("19/11/2026 15:30", rome(2026, 11, 19, 15, 30)),
        ("19/11/2026, 15:30", rome(2026, 11, 19, 15, 30)),
        ("on 19/11/2026 at 15:30", rome(2026, 11, 19, 15, 30)),
        ("19.11.2026 15.30", rome(2026, 11, 19, 15, 30)),
        ("19-11-2026 15:30", rome(2026, 11, 19, 15, 30)),
        ("19/11/26 15:30", rome(2026, 11, 19, 15, 30)),
        ("1/3/2026 9:05", rome(2026, 3, 1, 9, 5)),
        ("21/11/2025 10:05", rome(2025, 11, 21, 10, 5)),
        # dd/mm: this year, or last year when that day is still to come
        ("19/11 15:30", rome(2026, 11, 19, 15, 30)),
        ("1/3 9:05", rome(2026, 3, 1, 9, 5)),
        ("25/12 10:00", rome(2025, 12, 25, 10, 0)),
        ("21/11 10:00", rome(2025, 11, 21, 10, 0)),
        # relative days
        ("yesterday 3pm", rome(2026, 11, 19, 15, 0)),
        ("yesterday at 3 pm", rome(2026, 11, 19, 15, 0)),
        ("Yesterday 15:30", rome(2026, 11, 19, 15, 30)),
        ("  YESTERDAY   15:30 ", rome(2026, 11, 19, 15, 30)),
        ("yesterday 15h30", rome(2026, 11, 19, 15, 30)),
        ("yesterday about 3:45pm", rome(2026, 11, 19, 15, 45)),
        ("today around 10", rome(2026, 11, 20, 10, 0)),
        ("today at 10:45", rome(2026, 11, 20, 10, 45)),
        ("about 10am today", rome(2026, 11, 20, 10, 0)),
        ("this morning 9:15", rome(2026, 11, 20, 9, 15)),
        ("day before yesterday at 9", rome(2026, 11, 18, 9, 0)),
        ("the day before yesterday 9am", rome(2026, 11, 18, 9, 0)),
        # weekday names: the last one before today
        ("monday 10:00", rome(2026, 11, 16, 10, 0)),
        ("last monday at 10", rome(2026, 11, 16, 10, 0)),
        ("Wednesday 2pm", rome(2026, 11, 18, 14, 0)),
        ("wed 14:00", rome(2026, 11, 18, 14, 0)),
        ("thursday 18:20", rome(2026, 11, 19, 18, 20)),
        ("sunday 23:59", rome(2026, 11, 15, 23, 59)),
        ("sat 8am", rome(2026, 11, 14, 8, 0)),
        # 12am is midnight, 12pm is noon
        ("yesterday 12am", rome(2026, 11, 19, 0, 0)),
        ("yesterday 12:30am", rome(2026, 11, 19, 0, 30)),
        ("yesterday 12pm", rome(2026, 11, 19, 12, 0)),
        ("yesterday 12:45pm", rome(2026, 11, 19, 12, 45)),
        ("yesterday 0:00", rome(2026, 11, 19, 0, 0)),
        # a few minutes ahead of the clock is tolerated (clocks differ)
        ("today 11:05", rome(2026, 11, 20, 11, 5)),
    ],
)
def test_sent_at_phrasings(said: str, expected: datetime) -> None:
    got = parse(said)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("yesterday", "no_time"),
        ("today", "no_time"),
        ("19/11/2026", "no_time"),
        ("2026-11-19", "no_time"),
        ("last monday", "no_time"),
        ("today 15:00", "future"),
        ("today 11:30", "future"),
        ("2027-01-01 10:00", "future"),
        ("21/11/2026 10:05", "future"),
        ("3pm", "future"),
        ("", "unclear"),
        ("   ", "unclear"),
        ("blah", "unclear"),
        ("sometime last week", "unclear"),
        ("tomorrow 10:00", "future"),
        ("31/02/2026 10:00", "unclear"),
        ("2026-02-31 10:00", "unclear"),
        ("32/01/2026 10:00", "unclear"),
        ("19/13/2026 10:00", "unclear"),
        ("yesterday 25:00", "unclear"),
        ("yesterday 10:61", "unclear"),
        ("yesterday 13pm", "unclear"),
    ],
)
def test_sent_at_rejects(said: str, reason: str) -> None:
    with pytest.raises(DateProblem) as problem:
        parse(said)
    assert problem.value.reason == reason


def test_sent_at_reads_the_day_in_the_provider_zone() -> None:
    # 23:30 UTC on 20 November is already 00:30 on 21 November in Rome.
    now = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert parse("yesterday 15:30", now) == rome(2026, 11, 20, 15, 30)
    assert parse("today 0:10", now) == rome(2026, 11, 21, 0, 10)
    # `now` in UTC: 10:00 UTC is 11:00 in Rome, so 10:30 is in the past.
    assert parse("today 10:30", datetime(2026, 11, 20, 10, 0, tzinfo=UTC)) == rome(
        2026, 11, 20, 10, 30
    )


def test_sent_at_across_a_dst_change() -> None:
    # Summer time started on Sunday 29 March 2026 at 02:00 in Rome.
    now = rome(2026, 3, 30, 10, 0)
    before = parse("friday 10:00", now)
    after = parse("yesterday 10:00", now)
    assert before == rome(2026, 3, 27, 10, 0)
    assert before.utcoffset() == timedelta(seconds=3600)
    assert after == rome(2026, 3, 29, 10, 0)
    assert after.utcoffset() == timedelta(seconds=7200)


# --- clean --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufeffhello\u200b world", "hello world"),  # BOM, zero-width space
        ("mario\u200e@example.com\u200f", "mario@example.com"),  # LRM, RLM
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # right-to-left override
        ("\u2066x\u2069", "x"),  # bidi isolates
        ("a\x00b\x07c\x7fd\x85e", "abcde"),  # C0, DEL, C1
        ("\x1b[31mred", "[31mred"),  # the escape that would drive a terminal
        ("line\u2028sep", "linesep"),
        ("join\u2060ed", "joined"),  # word joiner
        ("soft\u00adhyphen", "softhyphen"),  # soft hyphen
    ],
)
def test_clean_strips_control_and_invisible_characters(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "first line\nsecond line\n\nafter a blank line",
        "perché già così, ñandú, Müller, Øre, ça",
        "thanks \U0001f642 \u2764\ufe0f \U0001f44d\U0001f3fd",
        "family \U0001f468\u200d\U0001f469\u200d\U0001f467",  # zero-width joiners inside emoji
        '550 5.1.1 <anna@example.com>: Recipient address rejected; "quoted"',
        "日本語のメール",
    ],
)
def test_clean_keeps_newlines_emoji_and_accents(kept: str) -> None:
    assert clean(kept) == kept


def test_clean_normalizes_line_ends_spaces_and_composition() -> None:
    assert clean("one\r\ntwo\rthree") == "one\ntwo\nthree"
    assert clean("  a \t  b  \n   c   ") == "a b\nc"
    assert clean("cafe\u0301") == "caf\u00e9"  # NFC: one code point, as typed elsewhere
    assert clean("\u200b \u200b") == ""


# --- normalize ----------------------------------------------------------------


def test_normalize_folds_case_accents_and_punctuation() -> None:
    assert normalize("Non Funziona, NEANCHE da WebMail!!") == "non funziona neanche da webmail"
    assert normalize("¿No puedo ENVIAR?") == "no puedo enviar"
    assert normalize("It\u2019s Mario.Rossi+tag@Example.COM.") == "it's mario.rossi+tag@example.com"
    assert normalize("Straße") == "strasse"
    assert normalize("15/11 10:30") == "15 11 10 30"
    assert normalize("15/11 10:30", keep="/:") == "15/11 10:30"
    assert normalize(" ... !? ") == ""


# --- match_intent ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("yes", "yes"),
        ("Yes!", "yes"),
        ("YEAH", "yes"),
        ("y", "yes"),
        ("sure", "yes"),
        ("of course", "yes"),
        ("yes it does", "yes"),
        ("Correct.", "yes"),
        ("no", "no"),
        ("No.", "no"),
        ("n", "no"),
        ("nope", "no"),
        ("not really", "no"),
        ("I do not", "no"),
        ("I don\u2019t", "no"),
    ],
)
def test_yes_and_no(said: str, intent: str) -> None:
    assert match_intent(said, YES_NO) == intent


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("not sure", "unsure"),  # longer than "sure"
        ("I don't know", "unsure"),  # longer than "I don't"
        ("maybe", "unsure"),
        ("no idea", "unsure"),
        ("how do I check?", "unsure"),
        ("yes", "yes"),
        ("no", "no"),
    ],
)
def test_yes_no_or_unsure(said: str, intent: str) -> None:
    assert match_intent(said, YES_NO_UNSURE) == intent


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("send", "send"),
        ("Sending", "send"),
        ("I can't send", "send"),
        ("I can\u2019t send any mail", "send"),
        ("cannot send mail", "send"),
        ("my mails don't go out", "send"),
        ("outgoing", "send"),
        ("everything bounces back", "send"),
        ("receive", "receive"),
        ("Receiving", "receive"),
        ("mail doesn't arrive", "receive"),
        ("I'm not receiving anything", "receive"),
        ("incoming", "receive"),
        ("nothing in my inbox", "receive"),
    ],
)
def test_send_or_receive(said: str, intent: str) -> None:
    assert match_intent(said, DIRECTION) == intent


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("yes", "webmail_fails"),
        ("It fails in webmail too", "webmail_fails"),
        ("it doesn't work in webmail either", "webmail_fails"),
        ("it doesn\u2019t work in webmail", "webmail_fails"),
        ("not in webmail either", "webmail_fails"),  # longer than "not in webmail"
        ("same in webmail", "webmail_fails"),
        ("no", "webmail_works"),
        ("webmail works", "webmail_works"),
        ("Webmail is fine", "webmail_works"),
        ("no, webmail works fine", "webmail_works"),
        ("it works in webmail", "webmail_works"),
        ("not in webmail", "webmail_works"),
        ("only in Outlook", "webmail_works"),
        ("haven't tried", "not_tried"),
        ("I have not tried", "not_tried"),
        ("what is webmail?", "not_tried"),
    ],
)
def test_webmail_answers(said: str, intent: str) -> None:
    assert match_intent(said, WEBMAIL) == intent


@pytest.mark.parametrize(
    ("said", "intents"),
    [
        ("", YES_NO),
        ("   ", YES_NO),
        ("!!!", YES_NO),
        ("blah", YES_NO),
        ("purple", DIRECTION),
        ("y n", YES_NO),  # two intents, phrases of equal length: a tie
        ("sure nope", YES_NO),
    ],
)
def test_nothing_or_a_tie_is_none(said: str, intents: list[str]) -> None:
    assert match_intent(said, intents) is None


@pytest.mark.parametrize(
    ("said", "intents"),
    [
        ("yes and no", YES_NO),
        ("yes no", YES_NO),
        ("send and receive", DIRECTION),
        ("I can't send or receive", DIRECTION),
        ("both sending and receiving", DIRECTION),
    ],
)
def test_contradictory_answers_are_ambiguous(said: str, intents: list[str]) -> None:
    """Two different intents said side by side: ask again, don't pick the longer word."""
    assert match_intent(said, intents) is None


@pytest.mark.parametrize(
    ("said", "intents", "wrong"),
    [
        ("it does not", WEBMAIL, "webmail_fails"),
        ("no it does not fail in webmail", WEBMAIL, "webmail_fails"),
        ("that's not right", YES_NO, "yes"),
        ("not correct", YES_NO, "yes"),
        ("it is not", YES_NO, "yes"),
        ("not true", YES_NO, "yes"),
        ("i can receive but not send", DIRECTION, "receive"),
    ],
)
def test_negated_answers_never_mean_the_opposite(said: str, intents: list[str], wrong: str) -> None:
    """Asking again is fine; recording the opposite of what was said is not."""
    assert match_intent(said, intents) != wrong


def test_the_longest_phrase_wins_when_one_contains_the_other() -> None:
    assert match_intent("not sure", YES_NO_UNSURE) == "unsure"
    assert match_intent("not in webmail either", WEBMAIL) == "webmail_fails"
    assert match_intent("no, webmail works", WEBMAIL) == "webmail_works"


def test_whole_words_only() -> None:
    assert match_intent("nothing", YES_NO) is None  # "no" inside "nothing"
    assert match_intent("yesterday", YES_NO) is None
    assert match_intent("resend", DIRECTION) is None
    assert match_intent("sender", DIRECTION) is None


def test_extra_phrasings_and_unknown_intents() -> None:
    assert match_intent("certo", YES_NO, extra={"yes": ["certo"]}) == "yes"
    assert match_intent("boh", ["yes", "no", "nonexistent"]) is None
    assert match_intent("yes", []) is None


def test_every_phrase_matches_its_own_intent() -> None:
    for intent, phrases in INTENTS.items():
        for phrase in phrases:
            assert match_intent(phrase, [intent]) == intent, (intent, phrase)
