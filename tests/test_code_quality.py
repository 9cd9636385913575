"""The code stays lint- and type-clean: ruff and mypy run as part of the suite."""

import re
import subprocess
import sys
from importlib import metadata
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


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonical(name)] = version
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_dependency_is_pinned_at_the_tested_version() -> None:
    """A fresh clone installs exactly what was tested (constraints.txt)."""
    pins = _pins()
    wanted = ["sportello"]
    seen: set[str] = set()
    while wanted:
        name = canonical(wanted.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an extra's dependency that is not installed here
        if name != "sportello":
            assert pins.get(name) == dist.version, f"{name} {dist.version} vs {pins.get(name)}"
        for req in dist.requires or ():
            spec = req.split(";", 1)
            marker = spec[1] if len(spec) > 1 else ""
            if "extra ==" in marker and name != "sportello":
                continue  # another package's optional extras
            found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec[0].strip())
            assert found is not None
            wanted.append(found[0])
