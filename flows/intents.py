"""What a customer's message is about: an intent classifier learned from the corpus.

The corpus (`flows/nlu/<lang>.md`) lists messages as customers write them,
labelled with what they want. The model is a multinomial naive Bayes over the
words, word pairs and character n-grams inside words of the folded text
(case, accents, digits and addresses folded away) — the features Rasa's
`CountVectorsFeaturizer` gives its classifier with `analyzer="char_wb"`: the
character n-grams carry typos, missing accents and chat-speak ("nn", "kiero")
to the intent. Training is counting, so it happens when the corpus changes;
the trained model is kept in the user's cache and loads in a few
milliseconds.

Naive Bayes sums one term per feature, so its raw posteriors are far too
sure of long messages. The confidence reported is a softmax of the scores
divided by the number of features seen (a temperature), calibrated so that
a held-out message with confidence 0.6 is right about 60 % of the time
(`bench/bench_understanding.py` prints the calibration).
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import cast

CORPUS = Path(__file__).with_name("nlu")
LANGUAGES = ("it", "es", "en")
ALPHA = 0.05  # additive smoothing of the feature counts
TEMPERATURE = 0.35  # score per feature, times this, is the softmax input; see the module doc
MODEL_VERSION = 8  # part of the cache key: change it when the features change

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[a-z]{2,}", re.I)
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b", re.I)
_ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")
_HEX = re.compile(r"\b0x[0-9a-f]{4,8}\b", re.I)
_WORD = re.compile(r"[a-z0-9_]+|[@#]")


@dataclass(frozen=True)
class Example:
    """One labelled message of the corpus."""

    language: str
    intent: str
    text: str


def read_corpus(folder: Path = CORPUS) -> list[Example]:
    """Read every `<lang>.md` file of `folder`: `## intent` headings, `- message` lines."""
    examples: list[Example] = []
    for lang in LANGUAGES:
        path = folder / f"{lang}.md"
        if not path.exists():
            continue
        intent = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("## "):
                intent = line[3:].strip()
            elif line.startswith("- "):
                if intent is None:
                    raise ValueError(f"{path.name}:{number}: a message before any '## intent'")
                text = line[2:].strip().replace("\\n", "\n")
                if text:
                    examples.append(Example(lang, intent, text))
    return examples


# Words read of a message: further on, a long story no longer changes what it is about
# (held out, 70 words are as good as 200), and it costs time.
MAX_WORDS = 70
LAST_WORDS = 20  # of them, from the end: "...how do I set Avast not to block it?"


def fold(text: str) -> str:
    """Lower-case `text`, drop accents, and replace what varies by a placeholder."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _EMAIL.sub(" zemail ", text)
    text = _HEX.sub(" zhexcode ", text)
    text = _ENHANCED.sub(lambda m: f" zstatus{m[0][0]} ", text)
    text = _HOST.sub(" zhost ", text)
    return re.sub(r"\d+", lambda m: "zd" if len(m[0]) < 3 else f"zn{m[0][0]}", text)


def words_of(text: str) -> list[str]:
    """Return the words of `text` that are read: folded, the opening and the closing ones."""
    words = _WORD.findall(fold(text))
    if len(words) > MAX_WORDS:  # the opening and the closing words, where the request is
        words = words[: MAX_WORDS - LAST_WORDS] + words[-LAST_WORDS:]
    return words


def features(text: str) -> list[str]:
    """Return the features of `text`: its words and word pairs, once each, and the n-grams
    of 3-5 characters inside each of its words (a gram two words share counts twice).
    """
    words = words_of(text)
    distinct = set(words)
    found = list(distinct)
    found.extend({f"{a} {b}" for a, b in pairwise(words)})
    for w in distinct:
        found.extend(_grams(w))
    return found


@lru_cache(maxsize=65536)
def _grams(word: str) -> tuple[str, ...]:
    """Return the character n-grams of one word (placeholders have none)."""
    if word.startswith("z") and word[1:2] in ("d", "n", "e", "h", "s"):
        return ()
    padded = f"<{word}>"
    return tuple("#" + padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))


@dataclass(frozen=True)
class Guess:
    """The likeliest intents of a message, best first, with their confidence."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def intent(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]


# The weights of a feature: sparse (intent index, weight) pairs, or one per intent.
Sparse = tuple[tuple[int, float], ...]
Dense = tuple[float, ...]
Row = Sparse | Dense
WORD_ROWS = 50_000  # words whose summed weights are kept
DENSE_FROM = 8  # a feature seen with this many intents keeps a weight for every intent


class IntentModel:
    """A trained classifier: `guess(text)` ranks the intents."""

    def __init__(
        self,
        intents: Sequence[str],
        priors: Sequence[float],
        unseen: Sequence[float],
        weights: dict[str, Row],
    ) -> None:
        self.intents = tuple(intents)
        self.priors = tuple(priors)
        self.unseen = tuple(unseen)  # log P(feature | intent) of a feature never seen with it
        # feature -> ((intent index, log-ratio over unseen), ...), or for a feature seen
        # with many intents the log-ratio of every intent, in order
        self.weights = weights
        self._rows: dict[str, tuple[int, Dense]] = {}  # per word; kept when the model is saved

    @classmethod
    def train(cls, examples: Iterable[Example]) -> IntentModel:
        """Count the features of each intent (multinomial naive Bayes)."""
        counts: dict[str, dict[int, int]] = {}
        index: dict[str, int] = {}
        per_intent: list[int] = []
        messages: list[int] = []
        for ex in examples:
            i = index.setdefault(ex.intent, len(index))
            if i == len(per_intent):
                per_intent.append(0)
                messages.append(0)
            messages[i] += 1
            for f in features(ex.text):
                row = counts.setdefault(f, {})
                row[i] = row.get(i, 0) + 1
                per_intent[i] += 1
        if not index:
            raise ValueError("the corpus is empty")
        vocabulary = len(counts)
        total = sum(messages)
        priors = [math.log(m / total) for m in messages]
        unseen = [math.log(ALPHA / (n + ALPHA * vocabulary)) for n in per_intent]
        weights: dict[str, Row] = {}
        for f, row in counts.items():
            pairs = tuple((i, math.log1p(c / ALPHA)) for i, c in sorted(row.items()))
            if len(pairs) >= DENSE_FROM:  # a common feature: one weight per intent, summed in C
                dense = [0.0] * len(index)
                for i, w in pairs:
                    dense[i] = w
                weights[f] = tuple(dense)
            else:
                weights[f] = pairs
        model = cls(list(index), priors, unseen, weights)
        for f in counts:  # the corpus's words: summed now, so a first message is read as fast
            if " " not in f and not f.startswith("#"):
                model._word_row(f)
        return model

    def guess(self, text: str, among: Iterable[str] | None = None) -> Guess:
        """Rank the intents for `text` (only those in `among`, when given)."""
        weights = self.weights
        words = words_of(text)
        n = 0
        rows: list[Dense] = [self.priors]
        for word in set(words):  # a word and its n-grams: summed once per model, then reused
            seen, row = self._word_row(word)
            n += seen
            if seen:
                rows.append(row)
        scores = [0.0] * len(self.intents)
        for pair in {f"{a} {b}" for a, b in pairwise(words)}:
            found = weights.get(pair)
            if found is not None:
                n += 1
                if type(found[0]) is float:
                    rows.append(found)  # a Dense row
                else:
                    for i, w in cast(Sparse, found):
                        scores[i] += w
        columns = zip(*rows, strict=True)  # every row has one weight per intent
        scores = [
            s + sum(column) + n * u
            for s, column, u in zip(scores, columns, self.unseen, strict=True)
        ]
        allowed = None if among is None else set(among)
        pairs = [
            (intent, s)
            for intent, s in zip(self.intents, scores, strict=True)
            if allowed is None or intent in allowed
        ]
        if not pairs:
            raise ValueError("no intent to choose from")
        scale = TEMPERATURE / math.sqrt(max(n, 1))
        top = max(s for _, s in pairs)
        exps = [(intent, math.exp((s - top) * scale)) for intent, s in pairs]
        z = sum(e for _, e in exps)
        ranked = sorted(((intent, e / z) for intent, e in exps), key=lambda p: -p[1])
        return Guess(tuple(ranked))

    def _word_row(self, word: str) -> tuple[int, Dense]:
        """Return how many features of `word` (itself, its n-grams) the model knows, and
        their weights summed per intent.
        """
        cache = self._rows
        found = cache.get(word)
        if found is None:
            summed = [0.0] * len(self.intents)
            seen = 0
            for f in (word, *_grams(word)):
                row = self.weights.get(f)
                if row is None:
                    continue
                seen += 1
                if type(row[0]) is float:
                    summed = [s + w for s, w in zip(summed, row, strict=True)]
                else:
                    for i, w in cast(Sparse, row):
                        summed[i] += w
            if len(cache) >= WORD_ROWS:
                cache.clear()  # a bound on memory; the common words come back at once
            found = cache[word] = (seen, tuple(summed))
        return found


def corpus_key(folder: Path = CORPUS) -> str:
    """Return a hash of the corpus files and of the feature code's version."""
    digest = hashlib.sha256(f"v{MODEL_VERSION}".encode())
    for lang in LANGUAGES:
        path = folder / f"{lang}.md"
        if path.exists():
            digest.update(lang.encode() + path.read_bytes())
    return digest.hexdigest()[:20]


def _cache_dirs(folder: Path) -> list[Path]:
    """Where a trained model is kept: beside the corpus, else in the user's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [folder / ".cache", Path(base) / "sportello"]


@lru_cache(maxsize=4)
def load_model(folder: Path = CORPUS) -> IntentModel:
    """Return the model trained on the corpus in `folder`, from the cache when it is current."""
    name = f"intents-{corpus_key(folder)}.pickle"
    for place in _cache_dirs(folder):
        try:
            with (place / name).open("rb") as fp:
                model = pickle.load(fp)
            if isinstance(model, IntentModel):
                return model
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            continue
    model = IntentModel.train(read_corpus(folder))
    for place in _cache_dirs(folder):
        try:
            place.mkdir(parents=True, exist_ok=True)
            partial = place / f"{name}.{os.getpid()}.tmp"
            with partial.open("wb") as fp:
                pickle.dump(model, fp, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(place / name)  # atomic: another process never reads half a file
            break
        except OSError:
            continue  # read-only: the next place, or train again next time
    return model
