from pathlib import Path

from flows.diagram import mermaid
from flows.questions import QUESTIONS
from flows.triage import TRANSITIONS

CHECKED_IN = Path(__file__).resolve().parent.parent / "flows" / "triage.mmd"


def test_checked_in_diagram_matches_the_table() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == mermaid(), (
        "flows/triage.mmd is out of date: run `sportello diagram > flows/triage.mmd`"
    )


def test_every_row_of_the_table_is_drawn() -> None:
    drawn = mermaid()
    for row in TRANSITIONS:
        if row["source"] != "*":
            assert f"--> {row['dest']} : {row['trigger']}" in drawn


def test_every_question_state_is_reachable_in_the_table() -> None:
    destinations = {row["dest"] for row in TRANSITIONS}
    # /lang is a command; a technician's question is put by the staff side
    unreachable = set(QUESTIONS) - destinations - {"language", "ticket_question"}
    assert not unreachable
