"""A picture of the flow: a Mermaid state diagram drawn from the transitions table."""

from __future__ import annotations

from typing import Any

from flows.questions import QUESTIONS
from flows.triage import TRANSITIONS


def _sources(row: dict[str, Any]) -> list[str]:
    source = row["source"]
    if source == "*":
        return []  # global commands: drawn as a note, not as an edge from every state
    return [source] if isinstance(source, str) else list(source)


def _conditions(row: dict[str, Any]) -> list[str]:
    conditions = row.get("conditions", [])
    return [conditions] if isinstance(conditions, str) else list(conditions)


def mermaid() -> str:
    """Draw `TRANSITIONS` as a Mermaid `stateDiagram-v2`, one edge per row."""
    lines = ["stateDiagram-v2", "    [*] --> new"]
    for name, q in QUESTIONS.items():
        if q.asking:
            lines.append(f"    {name} : {name} (asks {q.asking})")
    for row in TRANSITIONS:
        label = row["trigger"]
        conditions = _conditions(row)
        if conditions:
            label += " [" + " and ".join(conditions) + "]"
        if row.get("after"):
            label += " / " + row["after"]
        for source in _sources(row):
            lines.append(f"    {source} --> {row['dest']} : {label}")
    lines.append("    note right of menu")
    globals_ = [f"{r['trigger']} -> {r['dest']}" for r in TRANSITIONS if r["source"] == "*"]
    lines.append("        from any state: " + ", ".join(globals_))
    lines.append("    end note")
    return "\n".join(lines) + "\n"
