"""Understanding typed answers: cleaning customer text and matching phrasings.

The phrasings are data (`phrases.toml`): each intent lists, per language,
phrases that mean it. Every question understands all three languages. A
phrase matches as whole words anywhere in the answer, ignoring case, accents
and punctuation, and a one-letter typo in words of five letters or more
("recieve", "webmial"). A match does not count when it is negated ("not
right", "non funziona in webmail") or lies inside a longer phrase that
matched. When more than one intent remains, the answer is unclear and is
asked again, unless one intent is said with a phrase of several words and
the other only with one short word ("no, it doesn't work in webmail either").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path

MAX_TEXT = 8000
MAX_TOKENS = 80  # a closed question's answer is read from its first words
LONE_WORD_LIMIT = 5  # longer answers need more than one word somewhere in the middle

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, but tab and newline
    r"\u00ad\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    r"\ud800-\udfff]"  # and lone surrogates (undecodable bytes): nothing can store them
)
_SPACES = re.compile(r"[ \t]+")
_CLAUSE = re.compile(r"[,;:!?\u00a1\u00bf()\[\]\"\u201c\u201d\u00ab\u00bb]+")
_NEGATORS = frozenset({"not", "never", "no", "non", "mai", "nunca", "ni"})
LANGUAGES = ("en", "it", "es")


def _load_phrases() -> dict[str, tuple[str, ...]]:
    data = tomllib.loads(Path(__file__).with_name("phrases.toml").read_text(encoding="utf-8"))
    return {
        intent: tuple(p for lang in LANGUAGES for p in by_lang.get(lang, ()))
        for intent, by_lang in data.items()
    }


INTENTS: dict[str, tuple[str, ...]] = _load_phrases()


def clean(text: str) -> str:
    """Return the customer's text without control or invisible characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def normalize(text: str, keep: str = "") -> str:
    """Fold an answer for matching: lower case, no accents, single spaces.

    Punctuation other than ``@ . ' + -`` and the characters in `keep` becomes
    a space.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'")
    text = re.sub(rf"[^\w@.'+{re.escape(keep)}-]+", " ", text)
    return " ".join(text.strip(" .!?").split())


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("\u2019", "'")


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """Split an answer into folded words; "," marks a clause boundary."""
    text = _CLAUSE.sub(" , ", _fold(text))
    text = re.sub(r"[^\w@.'+,-]+", " ", text)
    words = (w.strip(".'-") for w in text.split())
    return tuple(w for w in words if w)


# Words of their own, one letter from a phrase's word: never taken for its typo ("lo que
# salía en la pantalla" is what showed, not "salida").
_WORDS_NOT_TYPOS = frozenset(
    {"sale", "salia", "salian", "usciva", "entrava", "manda", "mande", "message"}
)


def _close(said: str, word: str) -> bool:
    """Tell whether `said` is `word`, or `word` with one typo (for words of 5+ letters)."""
    if said == word:
        return True
    if len(word) < 5 or abs(len(said) - len(word)) > 1 or said[0] != word[0]:
        return False
    if said in _WORDS_NOT_TYPOS:
        return False
    return _one_edit(said, word)


def one_edit(a: str, b: str) -> bool:
    """Tell whether `a` and `b` differ by one typo (an insertion, deletion, change or swap)."""
    return a != b and _one_edit(a, b)


@lru_cache(maxsize=65536)
def _one_edit(a: str, b: str) -> bool:
    """Tell whether one insertion, deletion, substitution or swap turns a into b."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@cache
def _phrase_words(phrase: str) -> tuple[str, ...]:
    """The folded words of a phrase of the table (a closed set: kept once read)."""
    return tuple(w for w in tokens(phrase) if w != ",")


class _Said:
    """The words of an answer, and the long ones by their first letter (a typo keeps it)."""

    __slots__ = ("by_initial", "words")

    def __init__(self, words: Iterable[str]) -> None:
        self.words = set(words)
        self.by_initial: dict[str, list[str]] = {}
        for w in self.words:
            if len(w) >= 4:
                self.by_initial.setdefault(w[0], []).append(w)


def _may_match(phrase: tuple[str, ...], said: _Said) -> bool:
    """Tell cheaply whether every word of `phrase` can be in the answer (typos aside)."""
    return all(
        w in said.words
        or (len(w) >= 5 and any(_close(x, w) for x in said.by_initial.get(w[0], ())))
        for w in phrase
    )


def _negated(words: tuple[str, ...], start: int, end: int) -> bool:
    """Tell whether words[start:end] is negated: "not right", "it does not", "don't x".

    A negative word itself is not undone by a "no" before it: "no nemmeno lì", "no, tampoco".
    """
    if words[start] in _NEGATIVE_WORDS:
        return False
    before = words[start - 1] if start > 0 else ""
    after = words[end] if end < len(words) else ""
    return before in _NEGATORS or before.endswith("n't") or after == "not"


_NEGATIVE_WORDS = frozenset(
    "nemmeno neanche neppure manco tampoco either neither nor ni ne nessuno nadie nobody".split()
)


def _hits(words: tuple[str, ...], phrase: tuple[str, ...]) -> list[tuple[int, int]]:
    n = len(phrase)
    found = []
    for i in range(len(words) - n + 1):
        if all(_close(words[i + k], phrase[k]) for k in range(n)) and not _negated(words, i, i + n):
            found.append((i, i + n))
    return found


def match_intent(
    text: str, intents: Iterable[str], extra: Mapping[str, Iterable[str]] | None = None
) -> str | None:
    """Return the one intent `text` expresses among `intents`, or None when unclear."""
    table = {i: (*INTENTS.get(i, ()), *(extra or {}).get(i, ())) for i in intents}
    return match_phrases(text, table)


def match_phrases(
    text: str, table: Mapping[str, Iterable[str]], buried_words: bool = True
) -> str | None:
    """Return the one key of `table` whose phrases `text` expresses, or None when unclear.

    With `buried_words` False, one matching word in the middle of a long answer
    does not count: "...if that is all right with you" is no "yes".
    """
    words = tokens(text)[:MAX_TOKENS]
    plain = tuple(w for w in words if w != ",")
    if not plain:
        return None
    exact: set[str] = set()
    hits: list[tuple[int, int, str]] = []
    said = _Said(plain)
    for key, phrases in table.items():
        for phrase in phrases:
            folded = _phrase_words(phrase)
            if not folded or not _may_match(folded, said):
                continue
            if plain == folded:
                exact.add(key)
            elif len(folded) == 1 and len(folded[0]) == 1:
                continue  # "y" alone is "yes"; "y eso dónde lo veo?" is "and ..."
            hits.extend((a, b, key) for a, b in _hits(words, folded))
    if exact:
        return exact.pop() if len(exact) == 1 else None
    longest: dict[str, tuple[int, int]] = {}
    leading: set[str] = set()  # keys said at the start of a clause ("yes, ...")
    for a, b, key in hits:
        inside_longer = any(o[0] <= a and b <= o[1] and o[1] - o[0] > b - a for o in hits)
        if inside_longer:
            continue
        size = sum(len(w) for w in words[a:b])
        content = [w for w in words[a:b] if w not in _DETERMINERS]  # "el correo" is one word
        if key not in longest or size > longest[key][0]:
            longest[key] = (size, len(content))
        if a == 0 or words[a - 1] == ",":
            leading.add(key)
    if len(longest) == 1:
        key, (_, n) = next(iter(longest.items()))
        # One word buried in a long sentence ("...if that is all right with you")
        # is no answer; at the start of a clause it is ("yes, I use your server").
        if not buried_words and n == 1 and len(plain) > LONE_WORD_LIMIT and key not in leading:
            return None
        return key
    if not longest:
        return None
    if len(longest) == 2:
        (k1, (size1, n1)), (_, (size2, n2)) = sorted(longest.items(), key=lambda kv: -kv[1][0])
        if n1 > n2 and 2 * size1 >= 3 * size2:  # "una clave nueva" over "el correo"
            return k1
    return None


# Words that make a phrase no longer than the word it is built on ("el correo", "my email").
_DETERMINERS = frozenset(
    "the a an my our your il lo la i gli le un una uno mio mia miei mie nostro nostra el los "
    "las mi mis nuestro nuestra tu su".split()
)


def phrase_keys(text: str, table: Mapping[str, Iterable[str]]) -> list[str]:
    """Return every key of `table` some phrase of which `text` says, in the order said."""
    words = tokens(text)[:MAX_TOKENS]
    said = _Said(words)
    first: dict[str, int] = {}
    for key, phrases in table.items():
        for phrase in phrases:
            folded = _phrase_words(phrase)
            if folded and _may_match(folded, said) and (len(folded) > 1 or len(folded[0]) > 1):
                for a, _ in _hits(words, folded):
                    first[key] = min(first.get(key, a), a)
    return sorted(first, key=first.__getitem__)


SWITCH_WORDS = 8  # a request to change language is a short message


# Words that may surround a request to switch language without changing it.
_COURTESY = frozenset(
    (
        "please pls can could we you i would like to thanks thank ok okay hi hello per "
        "favore grazie puoi potrebbe possiamo vorrei ciao salve por favor gracias puede "
        "podria podemos quisiera hola "
    ).split()
)
_SWITCH_INTENTS = ("switch_en", "switch_it", "switch_es")
# Names of programs, services and protocols: they are the same in every language.
_NEUTRAL = frozenset(
    (
        "outlook thunderbird apple mail gmail app webmail iphone android windows mac "
        "macos ios smtp imap pop pop3 dns spf dkim dmarc mx ok email e-mail wordpress "
        "hotmail yahoo libero virgilio icloud office microsoft google samsung "
    ).split()
)


@lru_cache(maxsize=1)
def _switch_words() -> frozenset[str]:
    return frozenset(w for intent in _SWITCH_INTENTS for p in INTENTS[intent] for w in tokens(p))


def switch_request(text: str) -> str | None:
    """Return the language a message asks to switch to ("in italiano per favore").

    Only a message that is nothing but the request counts: "vorrei la fattura
    in inglese" asks for an English invoice, not for an English conversation.
    """
    plain = [w for w in tokens(text) if w != ","]
    if not plain or len(plain) > SWITCH_WORDS:
        return None
    if any(w not in _switch_words() and w not in _COURTESY for w in plain):
        return None
    found = match_intent(text, _SWITCH_INTENTS)
    return found.removeprefix("switch_") if found else None


def identifiable(text: str) -> str | None:
    """Return the words of `text` that tell its language, when there are enough of them.

    Names of programs and services ("Outlook", "webmail") are left out: they
    are the same in every language.
    """
    words = [w for w in tokens(text) if w.isalpha() and w not in _NEUTRAL]
    if len(words) < 3 or sum(len(w) for w in words) < 12:
        return None
    return " ".join(words)
