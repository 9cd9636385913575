"""Whole conversations with scripted customers who write as customers do.

The scripts (`tests/conversations/*.toml`, format in their README) were
written from PRODUCT.md and the seed documents alone, by someone who never
saw the training corpus or the phrase table. Each one is driven through the
real desk on SQLite and PostgreSQL (`tests/support/scripted.py`) and must
reach its end: the ticket with the right category and fields, or the right
out-of-scope explanation, without asking what the customer already said.

`KNOWN_FAILING` lists the scripts the desk does not get right yet (issue 9
is open): they are strict expected failures, so one that starts passing
fails the run until it is taken off the list.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.service import Desk
from tests.support.scripted import problems, run, scripts

KNOWN_FAILING: frozenset[str] = frozenset(
    {
        "es-07",
        "q-it-02",
        "s-es-10",
        "t-es-06",
        "u-es-01",
    }
)


def _params() -> list[Any]:
    return [
        pytest.param(
            s,
            id=s["id"],
            marks=[pytest.mark.xfail(strict=True, reason="issue 9")]
            if s["id"] in KNOWN_FAILING
            else [],
        )
        for s in scripts()
    ]


def test_there_are_thirty_scripts_per_language() -> None:
    for lang in ("it", "es", "en"):
        assert len(scripts(lang)) >= 30, lang


@pytest.mark.parametrize("script", _params())
def test_the_scripted_customer_reaches_the_right_end(desk: Desk, script: dict[str, Any]) -> None:
    out = run(desk, script)
    found = problems(out)
    assert not found, "\n".join([*found, "", *out.transcript])
