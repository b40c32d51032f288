"""The command line: ``python -m bot VERB …`` (also installed as ``knd-bot``).

Verbs live in the :data:`VERBS` registry. Adding one is adding one decorated function::

    def _run_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--db", ...)

    @verb("run", "cli.help.run", arguments=_run_arguments)
    def cmd_run(args: argparse.Namespace) -> int:
        from bot.console import run_console  # heavy imports stay inside the verb
        ...
        return 0

A verb returns the process exit code. Without a verb, ``run`` is called when registered,
otherwise the help is printed. Help texts and messages are keys of ``templates/cli.toml``.

Exit codes of the file verbs: 0 fine, 1 the dossier still has errors (``check``), 2 the
command line or the file itself is wrong (unreadable, not JSON, not a dossier).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError

from forms.definition import load_form
from forms.dossier import Dossier, read_dossier
from forms.texts import has_message, message
from forms.vn import clean_text

if TYPE_CHECKING:
    from bot.event_loop import EventLoopKind

Handler = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Verb:
    """A subcommand: its name, the text key of its help, its arguments and its handler."""

    name: str
    help_key: str
    handler: Handler
    arguments: Arguments | None = None


VERBS: dict[str, Verb] = {}


def verb(
    name: str, help_key: str, *, arguments: Arguments | None = None
) -> Callable[[Handler], Handler]:
    """Register ``fn`` as verb ``name`` (``help_key`` is a ``templates/*.toml`` key)."""

    def deco(fn: Handler) -> Handler:
        if name in VERBS:
            raise ValueError(f"verb {name!r} registered twice")
        VERBS[name] = Verb(name, help_key, fn, arguments)
        return fn

    return deco


def _text(key: str, **kw: Any) -> str:
    return message(key, **kw) if has_message(key) else key


# --------------------------------------------------------------------------------------
# parser


# argparse's own error phrases (English in the standard library) and their translations
_ARGPARSE_ERRORS = (
    ("the following arguments are required:", "cli.error.argparse.required"),
    ("unrecognized arguments:", "cli.error.argparse.unrecognized"),
    ("invalid choice:", "cli.error.argparse.choice"),
    ("(choose from", "cli.error.argparse.choose"),
    ("expected one argument", "cli.error.argparse.one"),
    ("argument ", "cli.error.argparse.argument"),
)


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        # argparse passes prefix="" when it builds a subcommand's prog: keep that one empty
        super().add_usage(
            usage, actions, groups, _text("cli.help.usage") if prefix is None else prefix
        )


class _Parser(argparse.ArgumentParser):
    """argparse speaking Vietnamese (usage, -h, errors); a usage error exits with 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._optionals.title = _text("cli.help.options")
        self._positionals.title = _text("cli.help.positionals")
        self.add_argument("-h", "--help", action="help", help=_text("cli.help.help"))

    def error(self, msg: str) -> NoReturn:
        for english, key in _ARGPARSE_ERRORS:
            msg = msg.replace(english, _text(key))
        self.print_usage(sys.stderr)
        sys.stderr.write(
            f"{_text('cli.error.prefix')}{msg}\n{_text('cli.error.usage', prog=self.prog)}\n"
        )
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot",
        description=_text("cli.help.description"),
        epilog=_text("cli.help.epilog"),
    )
    sub = parser.add_subparsers(dest="verb", title=_text("cli.help.verbs"), metavar="VERB")
    for v in VERBS.values():
        p = sub.add_parser(v.name, help=_text(v.help_key), description=_text(v.help_key))
        if v.arguments:
            v.arguments(p)
    return parser


class CliError(Exception):
    """A problem the person at the console can fix; ``str(err)`` is one Vietnamese line and
    ``code`` the exit code (2: settings, files, arguments; 1: the network or the bot)."""

    def __init__(self, text: str, code: int = 2) -> None:
        super().__init__(text)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bot``; returns the exit code. Never a traceback: a problem
    is one Vietnamese line on stderr and a non-zero exit code."""
    _utf8_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        if "run" in VERBS:
            args = parser.parse_args(["run"])
        else:
            parser.print_help()
            return 2
    try:
        return VERBS[args.verb].handler(args)
    except CliError as err:
        sys.stderr.write(f"{_text('cli.error.prefix')}{err}\n")
        return err.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last resort: the type only, never content or a traceback
        sys.stderr.write(_text("cli.error.unexpected", kind=type(exc).__name__) + "\n")
        return 1


def _utf8_output() -> None:
    """Vietnamese text must not crash a console configured for ASCII."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if encoding != "utf8" and reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a stream that cannot change
                reconfigure(encoding="utf-8", errors="replace")


# --------------------------------------------------------------------------------------
# reading a dossier file


class DossierFileError(Exception):
    """The file cannot be used as a dossier; ``str(err)`` is the Vietnamese explanation."""


MAX_PROBLEMS = 10


def load_dossier_file(path: str | Path) -> Dossier:
    """Read and validate a dossier JSON file, or raise :class:`DossierFileError`."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DossierFileError(_text("cli.error.not_found", path=shown)) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise DossierFileError(_text("cli.error.unreadable", path=shown, reason=reason)) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DossierFileError(_text("cli.error.not_utf8", path=shown)) from None
    except json.JSONDecodeError as exc:
        raise DossierFileError(
            _text("cli.error.not_json", path=shown, line=exc.lineno, column=exc.colno)
        ) from None
    try:
        dossier = read_dossier(data)
    except ValidationError as exc:
        raise DossierFileError(_validation_message(shown, exc)) from None
    try:
        load_form(dossier.form_version)
    except KeyError:
        raise DossierFileError(
            _text("cli.error.version", path=shown, version=dossier.form_version)
        ) from None
    return dossier


def _validation_message(path: str, exc: ValidationError) -> str:
    errors = exc.errors()
    lines = [_text("cli.error.invalid", path=path, count=len(errors))]
    for err in errors[:MAX_PROBLEMS]:
        where = ".".join(str(part) for part in err["loc"]) or _text("cli.error.root")
        key = f"cli.error.type.{err['type']}"
        problem = message(key) if has_message(key) else _text("cli.error.type.other")
        lines.append(_text("cli.error.invalid_line", where=where, problem=problem))
    if len(errors) > MAX_PROBLEMS:
        lines.append(_text("cli.error.more", count=len(errors) - MAX_PROBLEMS))
    return "\n".join(lines)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_text("cli.error.today", value=value)) from None


def _fail(err: Exception) -> int:
    sys.stderr.write(f"{_text('cli.error.prefix')}{err}\n")
    return 2


# --------------------------------------------------------------------------------------
# check


def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help=_text("cli.help.file"))
    parser.add_argument(
        "--today", type=_iso_date, metavar="YYYY-MM-DD", help=_text("cli.help.today")
    )


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    _file_argument(parser)
    parser.add_argument("--json", action="store_true", help=_text("cli.help.check_json"))


def _run_checks(dossier: Dossier, today: date | None) -> list[Any]:
    from forms.checks import run_checks

    return list(run_checks(dossier, today=today))


def flag_dict(flag: Any, dossier: Dossier | None = None) -> dict[str, Any]:
    """A flag as plain JSON data (whatever class the rule engine uses)."""
    out = {
        name: getattr(flag, name, None)
        for name in ("rule", "severity", "item", "field", "table", "row", "message", "key")
    }
    explanation = getattr(flag, "explanation", None)
    if not explanation and dossier is not None and out["key"]:
        explanation = dossier.explanations.get(str(out["key"])) or None
    out["explanation"] = explanation
    return out


@verb("check", "cli.help.check", arguments=_check_arguments)
def cmd_check(args: argparse.Namespace) -> int:
    try:
        dossier = load_dossier_file(args.file)
    except DossierFileError as err:
        return _fail(err)
    flags = [flag_dict(f, dossier) for f in _run_checks(dossier, args.today)]
    errors = sum(1 for f in flags if f["severity"] == "error")
    warnings = len(flags) - errors
    if args.json:
        report = {"file": args.file, "errors": errors, "warnings": warnings, "flags": flags}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_readable_report(args.file, dossier, flags, errors, warnings))
    return 1 if errors else 0


def _readable_report(
    path: str, dossier: Dossier, flags: list[dict[str, Any]], errors: int, warnings: int
) -> str:
    """Flags grouped by booklet item, in booklet order, errors before warnings."""
    if not flags:
        return _text("cli.check.clean", path=path)
    form = load_form(dossier.form_version)
    order = {item.number: i for i, item in enumerate(form.items())}
    by_item: dict[Any, list[dict[str, Any]]] = {}
    for flag in flags:
        by_item.setdefault(flag["item"], []).append(flag)
    lines = [_text("cli.check.summary", path=path, errors=errors, warnings=warnings)]
    for item_no in sorted(by_item, key=lambda n: (order.get(n, len(order)), str(n))):
        lines.append("")
        lines.append(_item_title(form, item_no))
        group = sorted(by_item[item_no], key=lambda f: f["severity"] != "error")
        for flag in group:
            severity = _text(f"cli.check.{flag['severity']}")
            lines.append(
                _text(
                    "cli.check.line",
                    severity=severity,
                    rule=flag["rule"],
                    where=_where(form, dossier, flag),
                    message=flag["message"],
                )
            )
            if flag["explanation"]:
                lines.append(_text("cli.check.explanation", text=flag["explanation"]))
    return "\n".join(lines)


def _item_title(form: Any, item_no: Any) -> str:
    try:
        item = form.item(int(item_no))
    except (KeyError, TypeError, ValueError):
        return _text("cli.check.other_item")
    return f"{item.ref} {item.label}".strip()


def _where(form: Any, dossier: Dossier, flag: dict[str, Any]) -> str:
    from forms.document import describe_row

    return describe_row(form, dossier, flag.get("table"), flag.get("row"))


# --------------------------------------------------------------------------------------
# render


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    _file_argument(parser)
    parser.add_argument("-o", "--output", metavar="OUT.docx", help=_text("cli.help.render_out"))
    parser.add_argument("--final", action="store_true", help=_text("cli.help.render_final"))


@verb("render", "cli.help.render", arguments=_render_arguments)
def cmd_render(args: argparse.Namespace) -> int:
    from forms.document import render_dossier

    try:
        dossier = load_dossier_file(args.file)
    except DossierFileError as err:
        return _fail(err)
    out = Path(args.output) if args.output else Path(args.file).with_suffix(".docx")
    flags = _run_checks(dossier, args.today)
    errors = sum(1 for f in flags if getattr(f, "severity", None) == "error")
    data = render_dossier(dossier, draft=not args.final, flags=None if args.final else flags)
    try:
        out.write_bytes(data)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _fail(DossierFileError(_text("cli.error.write", path=str(out), reason=reason)))
    if args.final:
        if errors:
            sys.stderr.write(_text("cli.render.final_with_errors", errors=errors) + "\n")
        print(_text("cli.render.done_final", path=str(out)))
    else:
        print(_text("cli.render.done_draft", path=str(out), count=len(flags)))
    return 0


# --------------------------------------------------------------------------------------
# schema


@verb("schema", "cli.help.schema")
def cmd_schema(args: argparse.Namespace) -> int:
    from forms.schema import dossier_json_schema_text

    sys.stdout.write(dossier_json_schema_text())
    return 0


# --------------------------------------------------------------------------------------
# settings, database, network: what a deployment gets wrong


def load_settings(db: str | None = None) -> Any:
    """The process settings (``KND_*``, ``.env``), or :class:`CliError` naming the setting
    that is wrong; ``db`` (``--db``) replaces the database path."""
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        raise CliError(_settings_problem(exc)) from None
    if db:
        settings.db_path = Path(clean_text(db))
    return settings


def _settings_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    if not name:  # a rule over several settings: the webhook without its secret
        return _text("cli.error.settings.webhook_secret")
    value = "…" if name in _SECRET_SETTINGS else str(err.get("input"))[:80]
    key = f"cli.error.settings.{name}"
    problem = _text(key) if has_message(key) else _text("cli.error.settings.invalid")
    return _text("cli.error.settings.line", env=f"KND_{name.upper()}", value=value, problem=problem)


#: Settings whose value is never printed, even when it is wrong (a key with a typo is still
#: most of the key).
_SECRET_SETTINGS = frozenset({"bot_token", "webhook_secret", "db_key"})


_SQLITE_HEADER = b"SQLite format 3\x00"


def database_path(settings: Any) -> Path | str:
    """The database file, checked before SQLite sees it: not a folder, a SQLite file if it
    exists, its folder creatable. :class:`CliError` otherwise. With ``KND_DB_URL`` set, the
    PostgreSQL URL (``Database.open`` tells them apart)."""
    target = settings.database_target()
    if isinstance(target, str):
        return target
    path = Path(settings.db_path)
    shown = str(path)
    if path.is_dir():
        raise CliError(_text("cli.error.db_folder", path=shown))
    if path.exists():
        try:
            with path.open("rb") as fh:
                head = fh.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise CliError(
                _text("cli.error.db_unreadable", path=shown, reason=exc.strerror or "")
            ) from None
        if head and head != _SQLITE_HEADER and not settings.database_key:
            raise CliError(_text("cli.error.db_not_sqlite", path=shown))
    try:
        return settings.database_file()
    except OSError as exc:
        raise CliError(
            _text("cli.error.db_unreadable", path=shown, reason=exc.strerror or "")
        ) from None


def _run_async(coro: Any, path: Path | str | None = None, loop: EventLoopKind = "uvloop") -> Any:
    """Run the bot or a database job on the bot's event loop, turning what the outside world
    does wrong (a broken database, no network, a token Telegram refuses) into one Vietnamese
    line."""
    import sqlite3

    from bot import event_loop

    try:
        return event_loop.run(coro, loop)
    except sqlite3.DatabaseError as exc:
        raise CliError(
            _text("cli.error.db_broken", path=str(path or ""), reason=str(exc)[:120])
        ) from None
    except Exception as exc:
        line = _database_unreachable(exc) or _network_problem(exc)
        if line is None:
            raise
        raise CliError(line, code=1) from None


def _database_unreachable(exc: BaseException) -> str | None:
    """PostgreSQL refused or is not there: said in one line (psycopg's text names the host
    and port, never the URL's password)."""
    try:
        from psycopg import OperationalError
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if not isinstance(exc, OperationalError):
        return None
    return _text("cli.error.db_unreachable", reason=str(exc).strip().splitlines()[0][:160])


def _network_problem(exc: BaseException) -> str | None:
    from telegram import error as tg

    if isinstance(exc, tg.InvalidToken):
        return _text("cli.error.token")
    if isinstance(exc, (tg.NetworkError, tg.TimedOut, OSError)):
        return _text("cli.error.network", reason=str(exc)[:160])
    return None


# --------------------------------------------------------------------------------------
# run and demo (the conversation engine)


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help=_text("cli.help.db"))
    parser.add_argument("--console", action="store_true", help=_text("cli.help.run_console"))


@verb("run", "cli.help.run", arguments=_run_arguments)
def cmd_run(args: argparse.Namespace) -> int:
    """The bot on its channels when a token is set (Telegram, Zalo or both), else a console
    chat as a candidate."""
    settings = load_settings(args.db)
    path = database_path(settings)
    if settings.zalo_token is not None and not args.console:
        from bot.channels import run_channels  # Zalo, with Telegram when it has a token too

        _run_async(run_channels(settings), path, settings.event_loop)
        return 0
    if settings.token and not args.console:
        from bot.telegram_service import run_telegram

        _run_async(run_telegram(settings), path, settings.event_loop)
        return 0
    from bot.console import run_console

    if sys.stdin.isatty():
        print(_text("cli.run.console", db=str(settings.db_path)))
    console = run_console(
        path, documents_dir=settings.documents_dir, key=settings.database_key, settings=settings
    )
    return int(_run_async(console, path, settings.event_loop))


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help=_text("cli.help.demo_out"))
    parser.add_argument(
        "--sample", default="a", choices=["a", "b"], help=_text("cli.help.demo_sample")
    )
    parser.add_argument("--quiet", action="store_true", help=_text("cli.help.demo_quiet"))


@verb("demo", "cli.help.demo", arguments=_demo_arguments)
def cmd_demo(args: argparse.Namespace) -> int:
    """Play a whole conversation from a sample dossier and write the draft .docx."""
    from bot.demo import run_demo

    out = Path(args.out) if args.out else load_settings().documents_dir
    if out.exists() and not out.is_dir():
        raise CliError(_text("cli.error.not_a_folder", path=str(out)))
    path = _run_async(run_demo(out, sample=args.sample, output=None if args.quiet else sys.stdout))
    print(_text("cli.demo.done", path=str(path.resolve())))
    return 0


# --------------------------------------------------------------------------------------
# bootstrap (the organisation: handlers/org.py)


def _bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unit", required=True, help=_text("review.cli.unit"))
    parser.add_argument("--telegram-id", type=int, help=_text("review.cli.telegram_id"))
    parser.add_argument("--name", default="", help=_text("review.cli.name"))
    parser.add_argument("--db", help=_text("cli.help.db"))


@verb("bootstrap", "review.cli.help", arguments=_bootstrap_arguments)
def cmd_bootstrap(args: argparse.Namespace) -> int:
    """Create the top unit and its first secretary (by Telegram id, or a one-time code)."""
    from handlers.org import BootstrapRefused, run_bootstrap

    if not clean_text(args.unit):
        raise CliError(_text("review.cli.no_name"))
    settings = load_settings(args.db)
    path = database_path(settings)
    try:
        text = _run_async(
            run_bootstrap(
                path,
                args.unit,
                telegram_id=args.telegram_id,
                display_name=clean_text(args.name),
                bot_username=settings.bot_username,
                key=settings.database_key,
            ),
            path,
        )
    except BootstrapRefused as err:
        raise CliError(str(err)) from None
    print(text)
    return 0


# --------------------------------------------------------------------------------------
# backup, restore, copy-to-postgres (storage/backup.py, storage/to_postgres.py)

#: Refusals the operator fixes (exit code 2); the rest (a tool failing, counts differing) 1.
_OPS_FAILURES = frozenset({"pg_tool_failed", "count_mismatch", "backup_broken"})


def _operation(work: Callable[[], Any], path: Path | str | None = None) -> Any:
    """Run a backup job; its refusal or failure as one Vietnamese line (:class:`CliError`)."""
    from storage.backup import BackupProblem

    async def run() -> Any:
        result = work()
        return await result if inspect.isawaitable(result) else result

    try:
        return _run_async(run(), None if isinstance(path, str) else path)
    except BackupProblem as problem:
        code = 1 if problem.kind in _OPS_FAILURES else 2
        raise CliError(_text(f"cli.ops.{problem.kind}", **problem.detail), code=code) from None


def _shown(target: Path | str) -> str:
    """A database as messages name it: the file, or PostgreSQL's database name (never the
    URL: it may hold the password)."""
    if isinstance(target, Path):
        return _text("cli.ops.sqlite_name", path=str(target))
    from storage.backup import PgTarget

    return _text("cli.ops.postgres_name", name=PgTarget.of(target).database)


def _at_rest_note(target: Path | str, key: str | None) -> str:
    """What protects the backup's content, and the key it cannot be read without."""
    if isinstance(target, str):
        return _text("cli.ops.note_postgres")
    return _text("cli.ops.note_encrypted" if key else "cli.ops.note_plain")


def _backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help=_text("cli.help.backup_path"))
    parser.add_argument("--db", help=_text("cli.help.db"))


@verb("backup", "cli.help.backup", arguments=_backup_arguments)
def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database (SQLite while the bot runs; PostgreSQL: pg_dump)."""
    from storage.backup import backup_postgres, backup_sqlite

    settings = load_settings(args.db)
    target = database_path(settings)
    dest = Path(clean_text(args.path))
    if isinstance(target, str):
        counts = _operation(lambda: backup_postgres(target, dest), target)
    else:
        counts = _operation(lambda: backup_sqlite(target, dest, settings.database_key), target)
    print(_text("cli.ops.backup_done", db=_shown(target), path=str(dest), **counts.summary()))
    print(_at_rest_note(target, settings.database_key))
    return 0


def _restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help=_text("cli.help.restore_path"))
    parser.add_argument("--force", action="store_true", help=_text("cli.help.restore_force"))
    parser.add_argument("--db", help=_text("cli.help.db"))


@verb("restore", "cli.help.restore", arguments=_restore_arguments)
def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup back (the bot stopped); refuses a database with rows unless --force."""
    from storage.backup import (
        BackupProblem,
        backup_kind,
        restore_postgres,
        restore_sqlite,
        table_counts,
    )

    settings = load_settings(args.db)
    target = database_path(settings)
    backup = Path(clean_text(args.path))
    key = settings.database_key

    def work() -> None:
        kind = backup_kind(backup)
        if isinstance(target, str):
            if kind != "postgres":
                raise BackupProblem("sqlite_into_postgres", path=str(backup))
            restore_postgres(backup, target, force=args.force)
        else:
            if kind != "sqlite":
                raise BackupProblem("postgres_into_sqlite", path=str(backup))
            restore_sqlite(backup, target, key, force=args.force)

    _operation(work, target)
    _run_async(_migrated(target, key), target)  # a backup of an older bot gets its migrations
    counts = _operation(lambda: table_counts(target, key), target)
    print(_text("cli.ops.restore_done", db=_shown(target), path=str(backup), **counts.summary()))
    print(_at_rest_note(target, key))
    return 0


async def _migrated(target: Path | str, key: str | None) -> None:
    from storage.db import Database

    db = await Database.open(target, key=key)
    await db.close()


def _copy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", metavar="SQLITE", help=_text("cli.help.copy_from"))
    parser.add_argument("--to", dest="target", metavar="URL", help=_text("cli.help.copy_to"))


@verb("copy-to-postgres", "cli.help.copy", arguments=_copy_arguments)
def cmd_copy_to_postgres(args: argparse.Namespace) -> int:
    """An SQLite deployment into an empty PostgreSQL database, counts checked per table."""
    from storage.dialect import is_postgres_url
    from storage.to_postgres import copy_to_postgres

    settings = load_settings()
    # a path, or a URL in SQLAlchemy's spelling (sqlite:///relative, sqlite:////absolute)
    source = Path(clean_text(args.source or "").removeprefix("sqlite:///") or settings.db_path)
    url = clean_text(args.target) if args.target else ""
    if not url and settings.db_url is not None:
        url = settings.db_url.get_secret_value().strip()
    if not is_postgres_url(url):
        raise CliError(_text("cli.ops.copy_needs_url"))
    key = settings.database_key

    counts = _operation(lambda: copy_to_postgres(source, url, key=key), url)
    print(_text("cli.ops.copy_done", path=str(source), db=_shown(url), **counts.summary()))
    for table, rows in counts.rows.items():
        if rows:
            print(_text("cli.ops.copy_table", table=table, rows=rows))
    print(_text("cli.ops.note_copy_key" if key else "cli.ops.note_copy"))
    return 0
