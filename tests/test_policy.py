"""The provider's policy (flows.policy): loading, validation, office hours, priority, codes."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from flows.policy import (
    CATEGORIES,
    DEFAULT_POLICY,
    OfficeHours,
    Policy,
    PolicyError,
    PriorityRule,
    PriorityRules,
    Tickets,
    easter_sunday,
    load_policy,
    parse_policy,
)
from tests.conftest import ROME

SHIPPED = DEFAULT_POLICY.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    """The shipped policy with one piece of text replaced, as an operator would edit it."""
    assert old in SHIPPED, old
    return SHIPPED.replace(old, new, 1)


def rome(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ROME)


@pytest.fixture(scope="module")
def shipped() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def hours(shipped: Policy) -> OfficeHours:
    return shipped.office_hours


# --- the shipped policy -----------------------------------------------------------


def test_the_shipped_policy_loads(shipped: Policy) -> None:
    assert load_policy(DEFAULT_POLICY) == shipped
    assert parse_policy(SHIPPED) == shipped
    assert shipped.provider.name
    assert "example.com" in shipped.provider.hosted_domains
    assert shipped.provider.webmail_url.startswith("https://")
    assert set(shipped.teams) == set(CATEGORIES)
    assert shipped.teams["sales_administration"] == "sales"
    assert shipped.teams["email_receiving"] == "technical"
    assert shipped.scope.out_of_scope
    assert shipped.partners
    assert shipped.priority.default == "low"
    assert len(shipped.priority.rules) == 3
    assert shipped.tickets.code_format == "SPT-###-#####"
    oh = shipped.office_hours
    assert oh.timezone == "Europe/Rome"
    assert oh.days == ("mon", "tue", "wed", "thu", "fri")
    assert (oh.open, oh.close) == (time(9, 0), time(17, 30))
    for day in ("01-01", "12-25", "12-26", "easter_monday"):
        assert day in oh.holidays


def test_the_policy_is_immutable(shipped: Policy) -> None:
    with pytest.raises(ValidationError):
        shipped.provider.name = "Someone else"


# --- validation ---------------------------------------------------------------

DOMAINS = 'hosted_domains = ["example.com", "example.org", "rossi-srl.example", "garcia.example"]'
DAYS = 'days = ["mon", "tue", "wed", "thu", "fri"]'
CODE = 'code_format = "SPT-###-#####"'


@pytest.mark.parametrize(
    ("old", "new", "key", "says"),
    [
        ('name = "Esempio Hosting"', 'name = ""', "provider.name", "at least 1"),
        (DOMAINS, "hosted_domains = []", "provider.hosted_domains", "at least 1"),
        (DOMAINS, 'hosted_domains = ["not a domain"]', "provider.hosted_domains", "not a domain"),
        (DOMAINS, 'hosted_domains = ["-bad-.com"]', "provider.hosted_domains", "-bad-.com"),
        (DOMAINS, 'hosted_domains = ["localhost"]', "provider.hosted_domains", "localhost"),
        (
            'webmail_url = "https://webmail.example.net"',
            'webmail_url = "webmail.example.net"',
            "provider.webmail_url",
            "http",
        ),
        ("[provider]", '[provider]\nhosted_domain = "x.com"', "provider.hosted_domain", "Extra"),
        (
            "in_scope = [",
            'in_scope = ["coffee", ',
            "scope.in_scope",
            "'coffee'",
        ),
        (
            '"mail_client", "other_provider"]',
            '"mail_client", "other_provider", "printers"]',
            "scope.out_of_scope",
            "'printers'",
        ),
        (
            'name = "Studio Informatico Bianchi"',
            'name = ""',
            "partners.0.name",
            "at least 1",
        ),
        ('general = "technical"', 'general = "marketing"', "teams", "'marketing'"),
        ('general = "technical"', "", "teams", "general"),
        ('general = "technical"', 'general = "technical"\nbogus = "sales"', "teams", "'bogus'"),
        ('default = "low"', 'default = "high"', "priority.default", "'low' or 'normal'"),
        ('channel = ["email"]', 'channel = ["fax"]', "priority.rules.0.channel", "'fax'"),
        (
            'category = ["mailbox_administration"]',
            'category = ["printing"]',
            "priority.rules.2.category",
            "'printing'",
        ),
        ('topic = ["password"]', 'topic = ["coffee"]', "priority.rules.2.topic", "'coffee'"),
        (
            "webmail_fails = true",
            'webmail_fails = "maybe"',
            "priority.rules.1.webmail_fails",
            "boolean",
        ),
        (
            'priority = "normal"\n\n[[priority.rules]]',
            'priority = "urgent"\n\n[[priority.rules]]',
            "priority.rules.1.priority",
            "'low' or 'normal'",
        ),
        (CODE, 'code_format = "SPT-##-###"', "tickets.code_format", "six '#'"),
        (CODE, 'code_format = "SPT-#####"', "tickets.code_format", "six '#'"),
        (CODE, 'code_format = "spt-###-#####"', "tickets.code_format", "capital letters"),
        (CODE, 'code_format = "SPT ###_#####"', "tickets.code_format", "capital letters"),
        ("max_examples = 5", "max_examples = 0", "tickets.max_examples", "1"),
        ("max_examples = 5", "max_examples = 21", "tickets.max_examples", "20"),
        (
            'timezone = "Europe/Rome"',
            'timezone = "Mars/Olympus"',
            "office_hours.timezone",
            "Mars/Olympus",
        ),
        ('timezone = "Europe/Rome"', 'timezone = ""', "office_hours.timezone", "time zone"),
        (
            'timezone = "Europe/Rome"',
            'timezone = "../../etc/passwd"',
            "office_hours.timezone",
            "time zone",
        ),
        (DAYS, "days = []", "office_hours.days", "at least one"),
        (DAYS, 'days = ["monday"]', "office_hours.days", "'monday'"),
        ('open = "09:00"', 'open = "18:00"', "office_hours", "'open' must come before 'close'"),
        ('open = "09:00"', 'open = "17:30"', "office_hours", "'open' must come before 'close'"),
        ('open = "09:00"', 'open = "25:00"', "office_hours.open", "hour"),
        ('"12-25", "12-26"', '"12-32", "12-26"', "office_hours.holidays", "'12-32'"),
        ('"12-25", "12-26"', '"2026-02-30", "12-26"', "office_hours.holidays", "'2026-02-30'"),
        ('"12-25", "12-26"', '"christmas", "12-26"', "office_hours.holidays", "'christmas'"),
        ('"12-25", "12-26"', '"25/12", "12-26"', "office_hours.holidays", "'25/12'"),
    ],
)
def test_a_bad_value_is_named_with_its_key(old: str, new: str, key: str, says: str) -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy(edited(old, new), "my-policy.toml")
    message = str(error.value)
    assert message.startswith("my-policy.toml: invalid policy")
    assert f"  {key}: " in message, message
    assert says in message, message


def test_every_problem_is_reported_at_once() -> None:
    text = edited('timezone = "Europe/Rome"', 'timezone = "Mars/Olympus"')
    text = text.replace(CODE, 'code_format = "SPT-#"')
    text = text.replace('default = "low"', 'default = "high"')
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "p.toml")
    message = str(error.value)
    for key in ("office_hours.timezone", "tickets.code_format", "priority.default"):
        assert key in message


def test_missing_sections_are_named() -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy('[tickets]\ncode_format = "SPT-###-#####"\n', "p.toml")
    message = str(error.value)
    for key in ("provider", "scope", "teams"):
        assert f"  {key}: Field required" in message


def test_a_leap_day_holiday_is_allowed() -> None:
    policy = parse_policy(edited('"12-25", "12-26"', '"12-25", "12-26", "02-29", "2028-02-29"'))
    assert policy.office_hours.is_holiday(date(2028, 2, 29))


def test_invalid_toml_says_so() -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy("[provider\nname = ", "broken.toml")
    assert str(error.value).startswith("broken.toml: not valid TOML")
    assert "line 1" in str(error.value)


def test_load_policy_names_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(PolicyError) as error:
        load_policy(missing)
    assert str(missing) in str(error.value)
    assert "cannot read" in str(error.value)
    with pytest.raises(PolicyError) as error:
        load_policy(tmp_path)  # a folder
    assert "cannot read" in str(error.value)


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(edited('name = "Esempio Hosting"', 'name = "Hosting Müller"'), "utf-8")
    assert load_policy(path).provider.name == "Hosting Müller"


def test_load_policy_rejects_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(edited('name = "Esempio Hosting"', 'name = "Città Hosting"').encode("latin-1"))
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(path) in str(error.value)


def test_domains_are_normalized(shipped: Policy) -> None:
    policy = parse_policy(edited(DOMAINS, 'hosted_domains = ["Example.COM.", "müller.example"]'))
    assert policy.provider.hosted_domains == ("example.com", "xn--mller-kva.example")


# --- office hours -------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        rome(2026, 11, 20, 11, 0),  # Friday morning
        rome(2026, 11, 23, 9, 0),  # Monday, opening time
        rome(2026, 11, 24, 17, 29, 59),  # Tuesday, just before closing
        datetime(2026, 11, 25, 8, 0, tzinfo=UTC),  # 09:00 in Rome
    ],
)
def test_inside_office_hours_is_none(hours: OfficeHours, now: datetime) -> None:
    assert hours.next_examination(now) is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # before opening: the same day
        (rome(2026, 11, 23, 8, 0), rome(2026, 11, 23, 9, 0)),
        (rome(2026, 11, 23, 0, 0), rome(2026, 11, 23, 9, 0)),
        (rome(2026, 11, 23, 8, 59, 59), rome(2026, 11, 23, 9, 0)),
        # after closing: the next day
        (rome(2026, 11, 24, 17, 30), rome(2026, 11, 25, 9, 0)),
        (rome(2026, 11, 24, 18, 0), rome(2026, 11, 25, 9, 0)),
        (rome(2026, 11, 24, 23, 59), rome(2026, 11, 25, 9, 0)),
        # Friday evening, the weekend: Monday 09:00
        (rome(2026, 11, 20, 17, 30), rome(2026, 11, 23, 9, 0)),
        (rome(2026, 11, 20, 20, 0), rome(2026, 11, 23, 9, 0)),
        (rome(2026, 11, 21, 8, 0), rome(2026, 11, 23, 9, 0)),
        (rome(2026, 11, 21, 12, 0), rome(2026, 11, 23, 9, 0)),
        (rome(2026, 11, 22, 23, 0), rome(2026, 11, 23, 9, 0)),
        # `now` in another zone: 17:00 UTC on Tuesday is 18:00 in Rome
        (datetime(2026, 11, 24, 17, 0, tzinfo=UTC), rome(2026, 11, 25, 9, 0)),
        # 23:30 UTC on Friday is already Saturday in Rome
        (datetime(2026, 11, 20, 23, 30, tzinfo=UTC), rome(2026, 11, 23, 9, 0)),
    ],
)
def test_outside_office_hours(hours: OfficeHours, now: datetime, expected: datetime) -> None:
    assert hours.next_examination(now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Christmas and St Stephen's on Thursday and Friday (2025)
        (rome(2025, 12, 24, 18, 0), rome(2025, 12, 29, 9, 0)),
        (rome(2025, 12, 25, 10, 0), rome(2025, 12, 29, 9, 0)),
        # 25 and 26 December on Monday and Tuesday (2028)
        (rome(2028, 12, 22, 18, 0), rome(2028, 12, 27, 9, 0)),
        (rome(2028, 12, 26, 11, 0), rome(2028, 12, 27, 9, 0)),
        # New Year's Day on a Thursday (2026) and on a Friday (2027)
        (rome(2025, 12, 31, 18, 0), rome(2026, 1, 2, 9, 0)),
        (rome(2026, 1, 1, 10, 0), rome(2026, 1, 2, 9, 0)),
        (rome(2026, 12, 31, 17, 45), rome(2027, 1, 4, 9, 0)),
        # Epiphany and Immacolata, on weekdays in 2026
        (rome(2026, 1, 5, 18, 0), rome(2026, 1, 7, 9, 0)),
        (rome(2026, 12, 8, 10, 0), rome(2026, 12, 9, 9, 0)),
        # Easter Monday, computed: 6 April 2026 and 29 March 2027
        (rome(2026, 4, 3, 18, 0), rome(2026, 4, 7, 9, 0)),
        (rome(2026, 4, 6, 10, 0), rome(2026, 4, 7, 9, 0)),
        (rome(2027, 3, 26, 18, 0), rome(2027, 3, 30, 9, 0)),
        (rome(2027, 3, 29, 8, 0), rome(2027, 3, 30, 9, 0)),
    ],
)
def test_holidays_are_skipped(hours: OfficeHours, now: datetime, expected: datetime) -> None:
    assert hours.next_examination(now) == expected


def test_easter_monday_is_a_holiday_only_on_easter_monday(hours: OfficeHours) -> None:
    assert hours.is_holiday(date(2026, 4, 6))
    assert hours.is_holiday(date(2027, 3, 29))
    assert not hours.is_holiday(date(2026, 3, 30))
    assert not hours.is_holiday(date(2027, 4, 5))
    assert hours.is_working_day(date(2026, 4, 7))
    assert not hours.is_working_day(date(2026, 4, 6))
    no_easter = OfficeHours(holidays=("12-25",))
    assert no_easter.is_working_day(date(2026, 4, 6))
    assert no_easter.next_examination(rome(2026, 4, 6, 10, 0)) is None


@pytest.mark.parametrize(
    "sunday",
    [
        date(1943, 4, 25),
        date(2008, 3, 23),
        date(2011, 4, 24),
        date(2019, 4, 21),
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2026, 4, 5),
        date(2027, 3, 28),
        date(2028, 4, 16),
        date(2038, 4, 25),
    ],
)
def test_easter_sunday(sunday: date) -> None:
    assert easter_sunday(sunday.year) == sunday
    assert sunday.weekday() == 6


def test_a_one_off_holiday_counts_only_in_its_year() -> None:
    hours = OfficeHours(holidays=("2026-11-23",))
    assert hours.next_examination(rome(2026, 11, 20, 18, 0)) == rome(2026, 11, 24, 9, 0)
    assert hours.next_examination(rome(2026, 11, 23, 10, 0)) == rome(2026, 11, 24, 9, 0)
    # Tuesday 23 November 2027 is an ordinary working day.
    assert hours.next_examination(rome(2027, 11, 23, 10, 0)) is None
    assert hours.is_holiday(date(2026, 11, 23))
    assert not hours.is_holiday(date(2027, 11, 23))


@pytest.mark.parametrize(
    ("now", "expected", "offset_hours"),
    [
        # Summer time starts on Sunday 29 March 2026: Friday CET -> Monday CEST.
        (rome(2026, 3, 27, 18, 0), rome(2026, 3, 30, 9, 0), 2),
        # Summer time ends on Sunday 25 October 2026: Friday CEST -> Monday CET.
        (rome(2026, 10, 23, 18, 0), rome(2026, 10, 26, 9, 0), 1),
        # The night of the change itself.
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), rome(2026, 3, 30, 9, 0), 2),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), rome(2026, 10, 26, 9, 0), 1),
    ],
)
def test_office_hours_across_dst_changes(
    hours: OfficeHours, now: datetime, expected: datetime, offset_hours: int
) -> None:
    got = hours.next_examination(now)
    assert got == expected
    assert got is not None
    assert got.utcoffset() == timedelta(seconds=offset_hours * 3600)
    assert got.astimezone(UTC).hour == 9 - offset_hours


def test_office_hours_in_the_week_after_a_dst_change(hours: OfficeHours) -> None:
    # Monday 30 March 2026 (CEST, UTC+2): 07:30 UTC is 09:30 in Rome, staff are in.
    assert hours.next_examination(datetime(2026, 3, 30, 7, 30, tzinfo=UTC)) is None
    # 06:30 UTC is 08:30 in Rome: opening is at 07:00 UTC.
    got = hours.next_examination(datetime(2026, 3, 30, 6, 30, tzinfo=UTC))
    assert got is not None and got.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    # Monday 26 October 2026 (CET, UTC+1): 15:45 UTC is 16:45, still in; 16:30 UTC is closing.
    assert hours.next_examination(datetime(2026, 10, 26, 15, 45, tzinfo=UTC)) is None
    assert hours.next_examination(datetime(2026, 10, 26, 16, 30, tzinfo=UTC)) == rome(
        2026, 10, 27, 9, 0
    )


def test_custom_days_hours_and_zone() -> None:
    hours = OfficeHours(
        timezone="America/New_York", days=("mon", "sat"), open=time(8, 0), close=time(12, 0)
    )
    ny = ZoneInfo("America/New_York")
    # Friday 20 November 2026, 15:00 in New York -> Saturday 08:00 there.
    assert hours.next_examination(datetime(2026, 11, 20, 20, 0, tzinfo=UTC)) == datetime(
        2026, 11, 21, 8, 0, tzinfo=ny
    )
    assert hours.next_examination(datetime(2026, 11, 21, 9, 0, tzinfo=ny)) is None
    # Saturday noon -> Monday 08:00.
    assert hours.next_examination(datetime(2026, 11, 21, 12, 0, tzinfo=ny)) == datetime(
        2026, 11, 23, 8, 0, tzinfo=ny
    )


# --- priority -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "channel", "topic", "webmail_fails", "expected"),
    [
        # requests by e-mail are always low, even when webmail fails or a password is lost
        ("email_receiving", "email", "email", True, "low"),
        ("email_sending", "email", "email", True, "low"),
        ("mailbox_administration", "email", "password", None, "low"),
        # webmail fails too: the service itself is at fault
        ("email_receiving", "terminal", "email", True, "normal"),
        ("email_sending", "telegram", "email", True, "normal"),
        ("email_receiving", "slack", "email", True, "normal"),
        ("email_receiving", "terminal", "email", False, "low"),
        ("email_receiving", "terminal", "email", None, "low"),
        # a mailbox nobody can log in to
        ("mailbox_administration", "terminal", "password", None, "normal"),
        ("mailbox_administration", "telegram", "password", None, "normal"),
        ("mailbox_administration", "terminal", "mailbox_admin", None, "low"),
        # everything else: the default
        ("dns_configuration", "terminal", "dns_check", None, "low"),
        ("sales_administration", "telegram", "sales", None, "low"),
        ("domain_registration", "terminal", "domain", None, "low"),
        ("hosting", "terminal", "hosting", None, "low"),
        ("general", "terminal", "other", None, "low"),
        ("hosting", "terminal", "hosting", True, "low"),
    ],
)
def test_priority_with_the_shipped_rules(
    shipped: Policy,
    category: str,
    channel: str,
    topic: str,
    webmail_fails: bool | None,
    expected: str,
) -> None:
    assert shipped.priority_for(category, channel, topic, webmail_fails) == expected


def test_priority_with_custom_rules(shipped: Policy) -> None:
    rules = PriorityRules(
        default="normal",
        rules=(
            PriorityRule(priority="normal", topic=("password",)),
            PriorityRule(priority="low", channel=("email",)),
            PriorityRule(priority="low", category=("email_receiving",), webmail_fails=False),
            PriorityRule(priority="low", category=("sales_administration", "domain_registration")),
        ),
    )
    policy = shipped.model_copy(update={"priority": rules})
    # the first rule that holds wins, so here a password by e-mail is normal
    assert policy.priority_for("mailbox_administration", "email", "password", None) == "normal"
    assert policy.priority_for("hosting", "email", "hosting", None) == "low"
    # webmail_fails = false matches False only, not an unknown answer
    assert policy.priority_for("email_receiving", "terminal", "email", False) == "low"
    assert policy.priority_for("email_receiving", "terminal", "email", None) == "normal"
    assert policy.priority_for("email_receiving", "terminal", "email", True) == "normal"
    assert policy.priority_for("domain_registration", "telegram", "domain", None) == "low"
    assert policy.priority_for("dns_configuration", "telegram", "dns_check", None) == "normal"


def test_priority_rules_from_a_file() -> None:
    text = edited('default = "low"', 'default = "normal"')
    text = text.replace(
        'channel = ["email"]\npriority = "low"', 'channel = ["slack"]\npriority = "low"'
    )
    policy = parse_policy(text)
    assert policy.priority_for("hosting", "terminal", "hosting", None) == "normal"
    assert policy.priority_for("hosting", "slack", "hosting", None) == "low"
    assert policy.priority_for("email_receiving", "email", "email", True) == "normal"


def test_a_rule_with_every_condition_needs_them_all() -> None:
    rule = PriorityRule(
        priority="normal",
        category=("email_sending",),
        channel=("telegram",),
        topic=("email",),
        webmail_fails=True,
    )
    assert rule.matches("email_sending", "telegram", "email", True)
    assert not rule.matches("email_receiving", "telegram", "email", True)
    assert not rule.matches("email_sending", "terminal", "email", True)
    assert not rule.matches("email_sending", "telegram", "other", True)
    assert not rule.matches("email_sending", "telegram", "email", None)
    assert PriorityRule(priority="low").matches("general", "email", "other", None)


# --- ticket codes ---------------------------------------------------------------


def test_new_code_has_the_configured_shape(shipped: Policy) -> None:
    rng = random.Random(42)
    codes = [shipped.tickets.new_code(rng) for _ in range(500)]
    assert all(re.fullmatch(r"SPT-\d{3}-\d{5}", code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert len({code[4] for code in codes}) == 10  # every digit turns up
    assert shipped.tickets.new_code(random.Random(7)) == shipped.tickets.new_code(random.Random(7))


def test_new_code_of_a_custom_format() -> None:
    tickets = Tickets(code_format="FPL-###-#####")
    assert re.fullmatch(r"FPL-\d{3}-\d{5}", tickets.new_code(random.Random(1)))
    assert re.fullmatch(r"\d{6}", Tickets(code_format="######").new_code(random.Random(1)))
    assert re.fullmatch(
        r"HD2026-\d{8}", Tickets(code_format="HD2026-########").new_code(random.Random())
    )
    with pytest.raises(ValidationError):
        Tickets(code_format="AB-#####")


# --- hosted domains -------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "hosted"),
    [
        ("example.com", True),
        ("mail.example.com", True),
        ("a.b.c.example.com", True),
        ("rossi-srl.example", True),
        ("garcia.example", True),
        ("badexample.com", False),
        ("example.com.evil.net", False),
        ("example.co", False),
        ("com", False),
        ("gmail.com", False),
        ("", False),
    ],
)
def test_hosts_the_domains_and_their_subdomains(shipped: Policy, domain: str, hosted: bool) -> None:
    assert shipped.hosts(domain) is hosted


@pytest.fixture(scope="module")
def idn_policy() -> Policy:
    return parse_policy(
        edited(DOMAINS, 'hosted_domains = ["müller.example", "xn--caf-dma.example"]')
    )


@pytest.mark.parametrize(
    "domain",
    [
        "xn--mller-kva.example",
        "posta.xn--mller-kva.example",
        "xn--caf-dma.example",
        "www.xn--caf-dma.example",
    ],
)
def test_hosts_idn_domains_in_ascii_form(idn_policy: Policy, domain: str) -> None:
    assert idn_policy.hosts(domain)
    assert not idn_policy.hosts("xn--muller-kva.example")
    assert not idn_policy.hosts("mueller.example")


def test_hosts_a_domain_in_unicode_or_mixed_case(shipped: Policy, idn_policy: Policy) -> None:
    """The policy file may list "müller.example"; hosts() should accept the same spelling."""
    assert idn_policy.hosts("müller.example")
    assert idn_policy.hosts("posta.müller.example")
    assert shipped.hosts("Mail.Example.COM")
