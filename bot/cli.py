"""The `sportello` command line."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import terminal
from bot.config import Settings, SettingsError, load_settings
from bot.i18n import LANGUAGES, compile_catalogs, update_catalogs
from bot.langid import LanguageIdentifier
from bot.service import Desk
from flows.diagram import mermaid
from storage.store import DEFAULT_DB, SqlStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sportello",
        description="First-line support desk for an e-mail and hosting provider.",
        epilog=(
            f"Data is kept in SQLite at {DEFAULT_DB} unless DATABASE_URL (or --database) "
            "names another database, e.g. postgresql+psycopg://user@host/db."
        ),
    )
    parser.add_argument(
        "--policy",
        type=Path,
        default=None,
        help="the provider's policy file (TOML; default: the shipped policy, or $SPORTELLO_POLICY)",
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help=f"SQLAlchemy database URL (default: $DATABASE_URL, else sqlite:///{DEFAULT_DB})",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="chat with the desk in this terminal")
    chat.add_argument("--user", default=None, help="who you are (default: your login name)")
    chat.add_argument("--lang", choices=LANGUAGES, default=None, help="the language to start in")
    chat.add_argument(
        "--jsonl",
        action="store_true",
        help="one JSON object per bot turn, one customer message per input line",
    )

    tickets = sub.add_parser("tickets", help="look at tickets")
    tsub = tickets.add_subparsers(dest="tickets_command", required=True)
    tlist = tsub.add_parser("list", help="list every ticket")
    tlist.add_argument("--json", action="store_true")
    tshow = tsub.add_parser("show", help="show one ticket")
    tshow.add_argument("code")
    tshow.add_argument("--json", action="store_true")

    sub.add_parser("diagram", help="print the conversation as a Mermaid state diagram")

    i18n = sub.add_parser("i18n", help="translation catalogs")
    isub = i18n.add_subparsers(dest="i18n_command", required=True)
    isub.add_parser("compile", help="build the .mo files from locales/*/LC_MESSAGES/*.po")
    isub.add_parser(
        "update", help="extract messages.pot from the code and merge it into the .po files"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("SPORTELLO_LOG", "WARNING").upper())
    if args.command == "diagram":
        print(mermaid(), end="")
        return 0
    if args.command == "i18n":
        for path in compile_catalogs() if args.i18n_command == "compile" else update_catalogs():
            print(path)
        return 0
    try:
        settings = load_settings(os.environ, policy=args.policy, database=args.database)
    except SettingsError as exc:
        print(f"sportello: {exc}", file=sys.stderr)
        return 2
    try:
        store = SqlStore(settings.database_url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(
            f"sportello: cannot use the database {_safe(settings.database_url)}: {reason}",
            file=sys.stderr,
        )
        return 2
    try:
        if args.command == "chat":
            desk = Desk(store, settings.policy, identify=LanguageIdentifier())
            user = args.user or getpass.getuser()
            return terminal.run(desk, user, args.lang, args.jsonl)
        return _tickets(args, store, settings)
    finally:
        store.close()


def _safe(url: str) -> str:
    """Show a database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _tickets(args: argparse.Namespace, store: SqlStore, settings: Settings) -> int:
    if args.tickets_command == "list":
        rows = store.tickets()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        elif not rows:
            print("No tickets.")
        else:
            for r in rows:
                print(
                    f"{r['code']}  {r['status']:<8} {r['priority']:<6} {r['category']:<22} "
                    f"{r['channel']}:{r['user']}  {r['mailbox'] or r['domain'] or ''}"
                )
        return 0
    ticket = store.ticket(args.code)
    if ticket is None:
        print(f"sportello: no ticket {args.code}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(ticket, ensure_ascii=False, indent=2))
    else:
        print(_show(ticket))
    return 0


def _show(ticket: dict[str, Any]) -> str:
    lines = []
    for key, value in ticket.items():
        if key == "examples":
            for i, ex in enumerate(value, 1):
                lines.append(
                    f"example {i}: {ex['sender']} -> {ex['recipient']} "
                    f"\u201c{ex['subject']}\u201d {ex['sent_at']}"
                )
        elif key == "notes":
            for note in value:
                lines.append(f"note ({note['kind']}, {note['at']})")
        elif value not in (None, "", []):
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
