"""Telling which of our languages a text is written in (lingua, three languages only)."""

from __future__ import annotations

from functools import cached_property

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_CODES = {Language.ENGLISH: "en", Language.ITALIAN: "it", Language.SPANISH: "es"}


class LanguageIdentifier:
    """Names the language of a text with lingua's confidence; loads its models on first use."""

    @cached_property
    def _detector(self) -> LanguageDetector:
        return LanguageDetectorBuilder.from_languages(*_CODES).build()

    def __call__(self, text: str) -> tuple[str, float] | None:
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        return _CODES[best.language], best.value
