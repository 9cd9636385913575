"""The code stays lint- and type-clean: ruff and mypy run as part of the suite."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "flows", "bot", "storage", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_flows_import_no_channel_storage_or_network_code() -> None:
    forbidden = (
        "telegram",
        "slack_bolt",
        "slack_sdk",
        "sqlalchemy",
        "sqlmodel",
        "storage",
        "bot",
        "dns",
        "socket",
        "urllib",
        "http",
        "requests",
        "httpx",
        "psycopg",
    )
    for path in (ROOT / "flows").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                module = words[1].split(".")[0]
                assert module not in forbidden, f"{path.name}: {line.strip()}"
