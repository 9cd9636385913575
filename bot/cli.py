"""The `sportello` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import logs, terminal
from bot.config import PRUNE_DAYS, Settings, SettingsError, load_settings
from bot.dnscheck import DnsChecker
from bot.dnsport import BlockingDns
from bot.i18n import LANGUAGES, Renderer, compile_catalogs, update_catalogs
from bot.langid import LanguageIdentifier
from bot.service import STATUSES, Desk
from flows.diagram import mermaid
from flows.dnstexts import explain, report_lines
from storage import schema
from storage.store import DEFAULT_DB, SqlStore, make_engine

if TYPE_CHECKING:  # the channels' libraries are imported where a command needs them: a
    from bot import telegram  # terminal chat starts without them


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

    serve = sub.add_parser(
        "serve",
        help="serve customers on Telegram (needs TELEGRAM_TOKEN; TELEGRAM_API_URL optional)",
    )
    serve.add_argument("--webhook-url", help="receive updates by webhook at this public URL")
    serve.add_argument("--listen", default="127.0.0.1", help="webhook listen address")
    serve.add_argument("--port", type=int, default=8443, help="webhook listen port")
    serve.add_argument(
        "--secret-token",
        help="webhook secret token Telegram must send (default: $TELEGRAM_WEBHOOK_SECRET, "
        "else one generated at each start)",
    )
    serve.add_argument("--poll-interval", type=float, default=0.0, help="seconds between polls")
    serve.add_argument("--slack-listen", default="127.0.0.1", help="Slack HTTP listen address")
    serve.add_argument("--slack-port", type=int, default=3000, help="Slack HTTP port")

    dns_cmd = sub.add_parser("dns", help="check a domain's mail DNS (MX, SPF, DKIM, DMARC)")
    dns_cmd.add_argument("domain")
    dns_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    dns_cmd.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report")
    dns_cmd.add_argument(
        "--nameserver",
        action="append",
        metavar="IP[:PORT]",
        help="ask this server (repeatable; default: $SPORTELLO_NAMESERVERS, else the system's)",
    )

    tickets = sub.add_parser("tickets", help="look at tickets")
    tsub = tickets.add_subparsers(dest="tickets_command", required=True)
    tlist = tsub.add_parser("list", help="list every ticket")
    tlist.add_argument("--json", action="store_true")
    tshow = tsub.add_parser("show", help="show one ticket")
    tshow.add_argument("code")
    tshow.add_argument("--json", action="store_true")
    tset = tsub.add_parser(
        "set-status", help="change a ticket's status and tell the customer (as staff would)"
    )
    tset.add_argument("code")
    tset.add_argument("status", choices=STATUSES)
    tset.add_argument(
        "--note", default="", help="a note for the customer (with 'waiting': a question)"
    )

    outbox = sub.add_parser(
        "outbox",
        help="what waits to be delivered (staff alerts, customer messages), and what failed",
    )
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("--all", action="store_true", help="the delivered rows too")
    osub = outbox.add_subparsers(dest="outbox_command")
    oretry = osub.add_parser("retry", help="put a row set aside (dead) back in its queue, due now")
    oretry.add_argument("id", type=int, nargs="+")

    db = sub.add_parser("db", help="the database schema")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser(
        "upgrade", help="apply the schema migrations this release has (serve and chat do it too)"
    )
    dbsub.add_parser("current", help="print the schema revision of the database")
    prune = dbsub.add_parser(
        "prune", help="forget handled Telegram updates older than DAYS (serve does it daily)"
    )
    prune.add_argument("--days", type=float, default=PRUNE_DAYS)

    sub.add_parser("diagram", help="print the conversation as a Mermaid state diagram")

    i18n = sub.add_parser("i18n", help="translation catalogs")
    isub = i18n.add_subparsers(dest="i18n_command", required=True)
    isub.add_parser("compile", help="build the .mo files from locales/*/LC_MESSAGES/*.po")
    isub.add_parser(
        "update", help="extract messages.pot from the code and merge it into the .po files"
    )
    return parser


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = os.environ.get("SPORTELLO_LOG", "WARNING").strip().upper() or "WARNING"
    if level not in LOG_LEVELS:
        print(
            f"sportello: SPORTELLO_LOG must be one of {', '.join(LOG_LEVELS)}, not {level!r}",
            file=sys.stderr,
        )
        return 2
    logs.configure(level)
    if args.command == "diagram":
        print(mermaid(), end="")
        return 0
    if args.command == "i18n":
        for path in compile_catalogs() if args.i18n_command == "compile" else update_catalogs():
            print(path)
        return 0
    try:
        settings = load_settings(
            os.environ,
            policy=args.policy,
            database=args.database,
            webhook_secret=getattr(args, "secret_token", None),
        )
    except SettingsError as exc:
        print(f"sportello: {exc}", file=sys.stderr)
        return 2
    logs.hide(*settings.secrets())
    if args.command == "dns":
        return _dns(args, settings)
    if args.command == "db":
        return _db(args, settings)
    try:
        store = SqlStore(settings.database_url)
    except (SQLAlchemyError, schema.SchemaError) as exc:
        return _database_error(settings, exc)
    try:
        if args.command == "serve":
            return _serve(args, store, settings)
        if args.command == "outbox":
            return _outbox(args, store)
        if args.command == "chat":
            desk = _desk(store, settings)
            user = args.user or getpass.getuser()
            return terminal.run(desk, user, args.lang, args.jsonl)
        return _tickets(args, store, settings)
    finally:
        store.close()


def _outbox(args: argparse.Namespace, store: SqlStore) -> int:
    if args.outbox_command == "retry":
        failed = 0
        for row_id in args.id:
            why = store.retry(row_id)
            if why is None:
                print(f"outbox {row_id}: back in its queue, due now")
            else:
                print(f"sportello: outbox {row_id}: {why}", file=sys.stderr)
                failed = 1
        return failed
    rows = store.outbox(everything=args.all)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Nothing waits to be delivered.")
        return 0
    for r in rows:
        when = r["next_at"] or r["dead_at"] or r["sent_at"] or ""
        print(
            f"{r['id']:>6}  {r['state']:<9} {r['kind']:<16} {r['target']:<24} "
            f"{r['about'] or '':<16} tries {r['attempts']:<3} {when}"
        )
        if r["last_error"] and r["state"] != "delivered":
            print(f"        last error: {r['last_error'][:200]}")
    return 0


def _database_error(settings: Settings, exc: Exception) -> int:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    print(
        f"sportello: cannot use the database {_safe(settings.database_url)}: {reason}",
        file=sys.stderr,
    )
    return 2


def _db(args: argparse.Namespace, settings: Settings) -> int:
    """`sportello db upgrade | current`, on the database alone (no store, no desk)."""
    if args.db_command == "prune":
        try:
            store = SqlStore(settings.database_url)
            try:
                removed = store.prune(datetime.now(UTC) - timedelta(days=args.days))
            finally:
                store.close()
        except (SQLAlchemyError, schema.SchemaError) as exc:
            return _database_error(settings, exc)
        print(
            f"removed {removed['inbox']} handled updates and "
            f"{removed['processed_update']} update ids older than {args.days:g} days"
        )
        return 0
    try:
        engine = make_engine(settings.database_url)
        try:
            if args.db_command == "current":
                with engine.connect() as connection:
                    revision = schema.current(connection)
                print(f"{revision or 'none'} (this release's newest: {schema.head()})")
                return 0
            before, after = schema.upgrade(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, schema.SchemaError) as exc:
        return _database_error(settings, exc)
    if before == after:
        print(f"the schema is up to date (revision {after})")
    else:
        print(f"the schema was upgraded from revision {before or 'none'} to {after}")
    return 0


def _telegram_settings(settings: Settings, poll_interval: float = 0.0) -> telegram.Settings:
    from bot import telegram

    assert settings.telegram_token is not None
    return telegram.Settings(
        token=settings.telegram_token,
        base_url=settings.telegram_api_url,
        poll_interval=poll_interval,
    )


def _desk(store: SqlStore, settings: Settings) -> Desk:
    return Desk(
        store,
        settings.policy,
        identify=LanguageIdentifier(),
        dns=_dns_port(settings) if settings.dns_checks else None,
    )


def _serve(args: argparse.Namespace, store: SqlStore, settings: Settings) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot import telegram
    from bot.serve import Options, serve
    from bot.slack import SlackSettings

    if not settings.telegram_token and not settings.slack_token:
        print(
            "sportello: TELEGRAM_TOKEN is not set (nor SLACK_BOT_TOKEN): there is nothing to run",
            file=sys.stderr,
        )
        return 2
    desk = _desk(store, settings)
    tg = _telegram_settings(settings, args.poll_interval) if settings.telegram_token else None
    if tg is not None:
        try:
            asyncio.run(_check_token(telegram.TelegramChannel(desk, tg)))
        except InvalidToken:
            print("sportello: Telegram rejected TELEGRAM_TOKEN (check the token)", file=sys.stderr)
            return 2
        except NetworkError as exc:  # served all the same: Telegram is tried again and again
            print(
                f"sportello: cannot reach the Telegram Bot API now ({exc}): the rest is served "
                "and Telegram is tried again with back-off",
                file=sys.stderr,
            )
    slack = None
    if settings.slack_token:
        slack = SlackSettings(
            token=settings.slack_token,
            channels=dict(settings.slack_channels),
            signing_secret=settings.slack_signing_secret,
            app_token=settings.slack_app_token,
            api_url=settings.slack_api_url,
            staff_language=settings.staff_language,
            public_url=settings.public_url,
            link_days=settings.link_days,
        )
    options = Options(
        webhook_url=args.webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=settings.webhook_secret,
        slack_listen=args.slack_listen,
        slack_port=args.slack_port,
    )
    asyncio.run(serve(desk, store, tg, slack, options))
    return 0


async def _check_token(channel: telegram.TelegramChannel) -> None:
    """Fail early, with a clear message, on a rejected token or an unreachable API."""
    async with channel.app.bot:
        await channel.app.bot.get_me()


def _dns_port(settings: Settings) -> BlockingDns:
    return BlockingDns(DnsChecker(settings.policy.dns, settings.nameservers or None))


def _dns(args: argparse.Namespace, settings: Settings) -> int:
    nameservers = tuple(args.nameserver or ()) or settings.nameservers
    try:
        checker = DnsChecker(settings.policy.dns, nameservers or None)
    except ValueError as exc:
        print(f"sportello: --nameserver: {exc}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(checker.check(args.domain))
    except Exception as exc:  # reported, with the reason, as a failure to run
        print(f"sportello: the DNS check could not run: {exc}", file=sys.stderr)
        return 1
    renderer = Renderer(settings.policy.office_hours.zone)
    hosts = ", ".join(settings.policy.dns.mx_hosts)
    if args.json:
        payload = report.model_dump() | {"worst": report.worst()}
        for finding, out in zip(report.findings, payload["findings"], strict=True):
            out["text"] = renderer.text(args.lang, explain(finding, report, hosts))
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"{report.domain} ({report.ascii_domain}) — {report.elapsed_ms} ms")
    print(renderer.text(args.lang, report_lines(report, hosts, everything=True)))
    return 0


def _safe(url: str) -> str:
    """Show a database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _tickets(args: argparse.Namespace, store: SqlStore, settings: Settings) -> int:
    if args.tickets_command == "set-status":
        desk = Desk(store, settings.policy)
        change = desk.set_status(args.code, args.status, args.note)
        if change is None:
            print(f"sportello: no ticket {args.code}", file=sys.stderr)
            return 1
        how = "shown at the customer's next message"
        if change.queued:
            how = "queued for the sender"
            if settings.telegram_token:
                from bot import telegram

                channel = telegram.TelegramChannel(desk, _telegram_settings(settings))
                sent = asyncio.run(telegram.deliver_now(channel, store))
                how = f"sent now ({sent} message(s) delivered)"
        print(f"{args.code.upper()}: {args.status} ({change.channel}:{change.user}, {how})")
        print(desk.render(change.turn))
        return 0
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
