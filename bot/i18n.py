"""Putting the flows' texts into words, in each conversation's own language.

Catalogs live in `locales/<lang>/LC_MESSAGES/messages.po`. The compiled
`.mo` is used when it is newer than the `.po`; otherwise the `.po` is compiled
in memory, so a fresh clone works before `sportello i18n compile` has run.
There is no process-wide `gettext.install()`: every render names its language.
"""

from __future__ import annotations

import copy
import gettext
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_day_names, get_timezone_location
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from flows.text import Bubble, Days, Lines, T, Turn, Zone

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("en", "it", "es")
DOMAIN = "messages"


def normalize_language(code: str | None) -> str:
    """Map a language tag (`it-IT`, `es-419`, `EN`) to one we speak; English otherwise."""
    base = (code or "").replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else "en"


def _paths(lang: str) -> tuple[Path, Path]:
    folder = LOCALES / lang / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Return the catalog of `lang` (English falls back to the message ids)."""
    po, mo = _paths(lang)
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    if po.exists():
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    return gettext.NullTranslations()


def compile_catalogs() -> list[Path]:
    """Write the `.mo` file of every language; return the files written."""
    written = []
    for lang in LANGUAGES:
        po, mo = _paths(lang)
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        with mo.open("wb") as fp:
            write_mo(fp, catalog)
        written.append(mo)
    translations.cache_clear()
    return written


class Renderer:
    """Turns `T` values into text in a language, dates in the provider's time zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def text(self, lang: str, value: T | Lines | Days | Zone | str | int | datetime | date) -> str:
        if isinstance(value, T):
            tr = translations(lang)
            if value.plural is not None and value.n is not None:
                pattern = tr.ngettext(value.msgid, value.plural, value.n)
            else:
                pattern = tr.gettext(value.msgid)
            if not value.args:
                return pattern
            args = {
                k: ", ".join(self.text(lang, i) for i in v.items)
                if isinstance(v, Lines)
                else self.text(lang, v)
                for k, v in value.args.items()
            }
            return pattern.format(**args)
        if isinstance(value, Lines):
            return "\n".join(self.text(lang, item) for item in value.items)
        if isinstance(value, Days):
            return self.days(lang, value.days)
        if isinstance(value, Zone):
            return get_timezone_location(ZoneInfo(value.name), locale=Locale.parse(lang))
        if isinstance(value, datetime):
            try:
                local = value.astimezone(self.zone)
            except (OverflowError, ValueError):
                return value.isoformat(timespec="minutes")
            locale = Locale.parse(lang)
            day = format_date(local.date(), "full", locale=locale)
            return f"{day}, {format_time(local.time(), 'HH:mm', locale=locale)}"
        if isinstance(value, date):
            return format_date(value, "full", locale=Locale.parse(lang))
        return str(value)

    def label(self, lang: str, value: T | str) -> str:
        return self.text(lang, value)

    def days(self, lang: str, days: tuple[int, ...]) -> str:
        """Name weekdays, folding runs of three or more into first-last."""
        names = get_day_names("wide", locale=Locale.parse(lang))
        runs: list[list[int]] = []
        for d in sorted(days):
            if runs and d == runs[-1][-1] + 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        parts = [
            f"{names[r[0]]}\u2013{names[r[-1]]}" if len(r) > 2 else ", ".join(names[d] for d in r)
            for r in runs
        ]
        return ", ".join(parts)

    def bubble(self, lang: str, bubble: Bubble) -> str:
        return "\n\n".join(self.text(lang, part) for part in bubble.parts)

    def turn_text(self, turn: Turn) -> str:
        return "\n\n".join(self.bubble(turn.language, b) for b in turn.bubbles)


KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}
ROOT = LOCALES.parent


def extract() -> Catalog:
    """Collect every message id used in the code (keywords `t`, `tn`, `N_`)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="sportello", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _fit_plural_forms(catalog: Catalog, lang: str) -> None:
    """Give the catalog the plural rule of the installed Babel, and every form a text.

    CLDR's rules change between Babel releases (2.19 gave Italian and Spanish a
    third form, for millions): the header follows the rule, and a new form
    takes the text of the last one, which is the general plural.
    """
    nplurals, expr = get_plural(lang)
    catalog._num_plurals, catalog._plural_expr = nplurals, expr  # no public setter
    for message in catalog:
        if message.id and message.pluralizable:
            forms = tuple(message.string or ())
            if forms and len(forms) != nplurals:
                message.string = (forms + (forms[-1],) * nplurals)[:nplurals]


def update_catalogs() -> list[Path]:
    """Write `messages.pot` from the code and merge it into every `.po`.

    English is the source language: its entries are filled with the message
    ids themselves, so its catalog is always complete.
    """
    template = extract()
    pot = LOCALES / f"{DOMAIN}.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    with pot.open("wb") as fp:
        write_po(fp, template, width=100, omit_header=False, sort_output=True)
    written = [pot]
    for lang in LANGUAGES:
        po, _ = _paths(lang)
        if po.exists():
            with po.open("rb") as fp:
                catalog = read_po(fp, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="sportello", charset="utf-8")
        catalog.update(copy.deepcopy(template), update_header_comment=False, no_fuzzy_matching=True)
        _fit_plural_forms(catalog, lang)
        if lang == "en":
            for message in catalog:
                if not message.id:
                    continue
                if message.pluralizable and not any(message.string or ()):
                    message.string = tuple(message.id)
                elif not message.pluralizable and not message.string:
                    message.string = message.id
                message.flags.discard("fuzzy")
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as fp:
            write_po(fp, catalog, width=100, sort_output=True, ignore_obsolete=True)
        written.append(po)
    translations.cache_clear()
    return written
