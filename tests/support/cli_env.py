"""A clean environment for running the `sportello` command in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path


def clean_env(tmp_path: Path) -> dict[str, str]:
    """Its own HOME and SQLite file, no inherited Sportello settings, no DNS checks."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SPORTELLO_") and k not in ("DATABASE_URL", "PYTHONUNBUFFERED")
    }
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        SPORTELLO_DNS_CHECKS="off",  # DNS has tests of its own, on 127.0.0.1
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        COLUMNS="300",
        LC_ALL="C.UTF-8",
        PYTHONIOENCODING="utf-8",
    )
    return env
