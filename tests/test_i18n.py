"""The translation catalogs under locales/ against the code that uses them.

- each catalog (and the template) holds exactly the message ids the code uses,
- every catalog (en, it, es) is complete, with nothing fuzzy,
- a translation keeps the `{placeholders}` of its message id, plural entries
  have every form of their language,
- every `t()`/`tn()` call passes exactly the arguments its message names,
- no customer-facing sentence sits in flows/ or bot/ outside t()/tn()/N_().
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES, extract, translations
from flows.engine import LITERAL_LABELS

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("t", "tn", "N_")


@cache
def catalog(lang: str) -> Catalog:
    if lang == "template":
        path = LOCALES / "messages.pot"
    else:
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fp:
        return read_po(fp, locale=None if lang == "template" else lang)


MessageId = str | tuple[str, ...]


def key(message_id: str | tuple[str, ...] | list[str]) -> MessageId:
    """A message id as a set member: the msgid, or (msgid, msgid_plural)."""
    return message_id if isinstance(message_id, str) else tuple(message_id)


@cache
def code_ids() -> frozenset[MessageId]:
    return frozenset(key(m.id) for m in extract() if m.id)


def entries(lang: str) -> list[Message]:
    return [m for m in catalog(lang) if m.id]


def forms(message: Message) -> tuple[str, ...]:
    """The msgstr, or the plural msgstr[] forms, as a tuple."""
    if isinstance(message.string, tuple | list):
        return tuple(message.string)
    return (message.string or "",)


def label(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def ids_of(message: Message) -> tuple[str, ...]:
    """The msgid, or the msgid and msgid_plural."""
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def placeholders(text: str) -> set[str]:
    """The `{names}` a str.format pattern uses; ValueError if it is malformed."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# The catalogs and the code ---------------------------------------------------------
@pytest.mark.parametrize("lang", [*LANGUAGES, "template"])
def test_catalog_ids_are_exactly_those_of_the_code(lang: str) -> None:
    ids = {key(m.id) for m in entries(lang)}
    missing = sorted(map(str, code_ids() - ids))
    stale = sorted(map(str, ids - code_ids()))
    assert not missing, f"used in the code but not in the {lang} catalog: {missing}"
    assert not stale, f"in the {lang} catalog but no longer in the code: {stale}"


def test_every_language_has_a_catalog() -> None:
    for lang in LANGUAGES:
        assert (LOCALES / lang / "LC_MESSAGES" / "messages.po").is_file(), lang


def test_english_is_complete() -> None:
    untranslated = [label(m) for m in entries("en") if not all(forms(m))]
    fuzzy = [label(m) for m in entries("en") if m.fuzzy]
    assert not untranslated, f"English entries without msgstr: {untranslated}"
    assert not fuzzy, f"fuzzy English entries: {fuzzy}"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_translation_is_complete(lang: str) -> None:
    untranslated = [label(m) for m in entries(lang) if not all(forms(m))]
    fuzzy = [label(m) for m in entries(lang) if m.fuzzy]
    # A sentence of three words or more left exactly as in English was not translated
    # (single words like "No", "Hosting" or "Outlook" may well be the same).
    copied = [
        label(m)
        for m in entries(lang)
        if all(forms(m))
        and len(re.sub(r"\{\w+\}", "", label(m)).split()) >= 3  # words, not placeholders
        and any(form in ids_of(m) for form in forms(m))
    ]
    assert not untranslated, f"{len(untranslated)} {lang} entries without msgstr: {untranslated}"
    assert not fuzzy, f"fuzzy {lang} entries: {fuzzy}"
    assert not copied, f"{len(copied)} {lang} entries still in English: {copied}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for m in entries(lang):
        expected = set().union(*(placeholders(i) for i in ids_of(m)))
        for i, form in enumerate(forms(m)):
            if not form:
                continue  # untranslated: see the completeness tests
            try:
                found = placeholders(form)
            except ValueError as exc:
                wrong.append(f"{label(m)!r} [{i}]: malformed pattern {form!r} ({exc})")
                continue
            # A plural form may leave out the count itself ("un carattere"), nothing else.
            if found != expected and not (m.pluralizable and found == expected - {"n"}):
                wrong.append(f"{label(m)!r} [{i}]: {sorted(found)} instead of {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_entries_have_every_form(lang: str) -> None:
    nplurals, _ = get_plural(lang)
    assert catalog(lang).num_plurals == nplurals, f"Plural-Forms header of {lang}"
    plural = [m for m in entries(lang) if m.pluralizable]
    assert plural, "the code uses tn(): the catalog must have plural entries"
    wrong = [f"{label(m)!r}: {len(forms(m))} forms" for m in plural if len(forms(m)) != nplurals]
    assert not wrong, f"{lang} needs {nplurals} forms: {wrong}"
    singular = [label(m) for m in entries(lang) if not m.pluralizable and len(forms(m)) != 1]
    assert not singular, singular


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_in_use_is_the_po_file(lang: str) -> None:
    """A stale compiled .mo must not shadow the .po."""
    translations.cache_clear()
    try:
        tr = translations(lang)
        for m in entries(lang):
            if m.fuzzy or not all(forms(m)):
                continue
            ids = ids_of(m)
            if len(ids) == 2:
                for n, form in ((1, forms(m)[0]), (2, forms(m)[-1])):
                    assert tr.ngettext(ids[0], ids[1], n) == form, (lang, ids)
            else:
                assert tr.gettext(ids[0]) == forms(m)[0], (lang, ids)
    finally:
        translations.cache_clear()


def test_message_ids_use_named_placeholders_only() -> None:
    wrong = []
    for key in code_ids():
        for text in key if isinstance(key, tuple) else (key,):
            try:
                names = placeholders(text)
            except ValueError as exc:
                wrong.append(f"{text!r}: {exc}")
                continue
            bad = [n for n in names if not n.isidentifier()]
            if bad:
                wrong.append(f"{text!r}: positional or odd placeholders {bad}")
    assert not wrong, "\n".join(wrong)


# The code ---------------------------------------------------------------------------
def sources() -> Iterator[tuple[str, ast.Module]]:
    for folder in ("flows", "bot"):
        for path in sorted((ROOT / folder).glob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text("utf-8"), str(path))


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def wrong_arguments(files: Iterable[tuple[str, ast.Module]]) -> list[str]:
    """t()/tn() calls with a literal message whose keyword arguments differ from its names."""
    wrong = []
    for name, tree in files:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _callee(node) not in ("t", "tn"):
                continue
            texts = [_literal(a) for a in node.args[: 2 if _callee(node) == "tn" else 1]]
            if None in texts or any(k.arg is None for k in node.keywords):
                continue  # t(variable) or t(msgid, **args): checked when rendered
            passed = {k.arg for k in node.keywords if k.arg is not None}
            needed: set[str] = set().union(*(placeholders(x) for x in texts if x is not None))
            if _callee(node) == "tn":  # tn() always passes the count as {n}
                needed.discard("n")
            if needed != passed:
                wrong.append(
                    f"{name}:{node.lineno}: {texts[0]!r} names {sorted(needed)}, "
                    f"the call passes {sorted(passed)}"
                )
    return wrong


def test_t_calls_pass_exactly_the_placeholders_of_their_message() -> None:
    wrong = wrong_arguments(sources())
    assert not wrong, "\n".join(wrong)


# What a customer reads is built from these; (call, positional arguments that are ids).
SPEAKING_CALLS = {"Bubble": (), "Lines": (), "T": (), "say": (), "Invalid": (), "Choice": (0,)}
QUESTION_TEXTS = ("prompt", "hint", "choices")  # Question(...) keywords the customer reads
_IDENTIFIER = re.compile(r"^[a-z0-9_.:/@-]*$")  # state names, choice ids, ...
_WORD = re.compile(r"[A-Za-z][a-z']+")


def _unmarked(node: ast.AST) -> Iterator[tuple[int, str]]:
    """String literals inside `node` that are not inside t(), tn() or N_()."""
    if isinstance(node, ast.Call) and _callee(node) in MARKERS:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.lineno, node.value
        return
    if isinstance(node, ast.JoinedStr):  # f-strings: their literal parts
        for part in node.values:
            if isinstance(part, ast.Constant):
                yield node.lineno, str(part.value)
            elif isinstance(part, ast.FormattedValue):
                yield from _unmarked(part.value)
        return
    for child in ast.iter_child_nodes(node):
        yield from _unmarked(child)


def _is_wording(text: str) -> bool:
    """Whether a literal holds words (not an id, a pattern or punctuation)."""
    return bool(_WORD.search(text)) and not _IDENTIFIER.match(text) and text not in LITERAL_LABELS


_TOKEN = re.compile(r"^[(\"\u201c]?[^\W\d_]+(?:['\u2019-][^\W\d_]+)*[)\"\u201d.,;:!?]*$")


def _looks_like_a_sentence(text: str) -> bool:
    """Two or more words separated by spaces, starting with a capital or ending a sentence."""
    words = [w for w in text.split() if _TOKEN.match(w) and not w.isupper()]
    stripped = text.strip()
    return (
        len(words) >= 2
        and any(len(w) >= 3 for w in words)
        and (stripped[:1].isupper() or stripped[-1:] in ".!?")
    )


def unmarked_texts(files: Iterable[tuple[str, ast.Module]]) -> list[str]:
    """Literals given to Bubble, T, Lines, say, Invalid, Choice labels and Question texts."""
    found = []
    for name, tree in files:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node)
            if callee in SPEAKING_CALLS:
                ids = SPEAKING_CALLS[callee]
                args = [a for i, a in enumerate(node.args) if i not in ids]
                args += [k.value for k in node.keywords]
            elif callee == "Question":
                args = [k.value for k in node.keywords if k.arg in QUESTION_TEXTS]
                args = [_labels_only(a) for a in args]
            else:
                continue
            for arg in args:
                for line, text in _unmarked(arg):
                    if _is_wording(text):
                        found.append(f"{name}:{line}: {text!r} passed to {callee}()")
    return found


def test_texts_handed_to_the_customer_are_marked() -> None:
    found = unmarked_texts(sources())
    assert not found, "user-facing text not marked for translation:\n" + "\n".join(found)


def _labels_only(node: ast.expr) -> ast.expr:
    """Of a choices table ((id, label), ...), keep the labels."""
    if not isinstance(node, ast.Tuple):
        return node
    pairs = [e for e in node.elts if isinstance(e, ast.Tuple) and len(e.elts) == 2]
    if len(pairs) != len(node.elts):
        return node
    return ast.Tuple([e.elts[1] for e in pairs], ast.Load())


# Operator-facing code: command-line help, settings errors (English, not the customer's).
# Text for operators and staff (command line, settings, technical DNS details), not customers.
OPERATOR_FILES = {"bot/cli.py", "bot/config.py", "bot/dnscheck.py"}
_SILENT_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def _exempt_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes whose literals are not for customers: docstrings, logs, raised errors."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and _literal(body[0].value) is not None
        ):
            exempt.add(id(body[0].value))
        if isinstance(node, ast.Raise | ast.Assert):
            exempt.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Call) and _callee(node) in _SILENT_CALLS:
            exempt.update(id(n) for n in ast.walk(node))
        # (choice id, N_("label")) pairs: the id is not shown, whatever it reads like.
        if (
            isinstance(node, ast.Tuple)
            and len(node.elts) == 2
            and isinstance(node.elts[1], ast.Call)
            and _callee(node.elts[1]) in MARKERS
        ):
            exempt.add(id(node.elts[0]))
    return exempt


def unmarked_sentences(files: Iterable[tuple[str, ast.Module]]) -> list[str]:
    """Literals that read like an English sentence, outside t()/tn()/N_() and the exemptions."""
    found = []
    for name, tree in files:
        if name in OPERATOR_FILES:
            continue
        exempt = _exempt_nodes(tree)
        marked = {
            id(n)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call) and _callee(call) in MARKERS
            for n in ast.walk(call)
        }
        for node in ast.walk(tree):
            if id(node) in exempt or id(node) in marked:
                continue
            if not isinstance(node, ast.expr):
                continue
            text = _literal(node)
            if text is not None and _looks_like_a_sentence(text):
                found.append(f"{name}:{node.lineno}: {text!r}")
    return found


def test_no_unmarked_sentence_in_the_code() -> None:
    found = unmarked_sentences(sources())
    assert not found, "English sentences outside the catalogs:\n" + "\n".join(found)


SNIPPET = '''
"""A module docstring is not shown to anyone."""
class Dialog:
    def ask(self, d):
        """Nor is a method's docstring."""
        d.say(t("Marked, fine."), "Typed in English.")
        log.warning("Logs are for us.")
        if d is None:
            raise ValueError("Errors are for developers.")
        t("Hello {name}, welcome.")
        tn("One {thing}.", "Many {things}.", 2, thing="x")
        bubble = Bubble((t("Fine too."), "Hello there!", f"\u2022 {d}"))
        return bubble, Choice("an_id", "Label text")
Q = Question(asking="topic", prompt="What now?", hint=N_("Marked hint."),
             choices=(("Apple Mail", N_("Apple Mail")), ("b", "Bad label")))
FALLBACK = "Another English sentence."
PATTERN = "EEEE d MMMM y, HH:mm"
'''


def test_the_scanners_find_what_they_look_for() -> None:
    """The checks above would catch a regression (they are heuristics: test them too)."""
    files = [("bot/snippet.py", ast.parse(SNIPPET))]
    assert sorted(f.split(": ", 1)[1] for f in unmarked_texts(files)) == sorted(
        [
            "'Label text' passed to Choice()",
            "'Bad label' passed to Question()",
            "'Hello there!' passed to Bubble()",
            "'Typed in English.' passed to say()",
            "'What now?' passed to Question()",
        ]
    )
    assert sorted(f.split(": ", 1)[1] for f in unmarked_sentences(files)) == sorted(
        [
            "'Label text'",
            "'Another English sentence.'",
            "'Bad label'",
            "'Hello there!'",
            "'Typed in English.'",
            "'What now?'",
        ]
    )
    wrong = wrong_arguments(files)
    assert len(wrong) == 2 and "Hello {name}" in wrong[0] and "One {thing}" in wrong[1]
