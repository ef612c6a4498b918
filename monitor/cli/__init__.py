"""The ``policywatch`` command: a composition root (DESIGN.md §3.6).

Why a lazy group: each subcommand lives in its own module and is imported only when it runs,
so ``policywatch --help`` never pays for SQLAlchemy, lxml or Apprise. Errors the user can fix
(config, database, unknown names) end with a one-line message and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from monitor import __version__

if TYPE_CHECKING:
    from monitor.browse_queries import Reader

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "crawl": "monitor.cli.crawl_cmd:crawl",
    "db": "monitor.cli.db_cmd:db",
    "services": "monitor.cli.browse:services",
    "runs": "monitor.cli.browse:runs",
    "history": "monitor.cli.browse:history",
    "show": "monitor.cli.browse:show",
    "diff": "monitor.cli.browse:diff",
    "changes": "monitor.cli.browse:changes",
    "findings": "monitor.cli.browse:findings",
    "clauses": "monitor.cli.browse:clauses",
    "reextract": "monitor.cli.crawl_cmd:reextract",
    "classify": "monitor.cli.classify_cmd:classify",
    "alerts": "monitor.cli.alerts_cmd:alerts",
    "notify-test": "monitor.cli.alerts_cmd:notify_test",
    "demo": "monitor.cli.demo_cmd:demo",
    "schedule": "monitor.cli.schedule_cmd:schedule",
    "status": "monitor.cli.schedule_cmd:status",
}

HELP: dict[str, str] = {
    "crawl": "Fetch documents now and record new versions.",
    "db": "Database maintenance (upgrade, prune).",
    "services": "List declared services and their documents.",
    "runs": "List recent crawl runs and per-document outcomes.",
    "history": "List the versions of a service's documents.",
    "show": "Print one version of a document.",
    "diff": "Show what changed between two versions.",
    "changes": "List recent changes across all services.",
    "findings": "List AI-clause findings (added, widened, removed...).",
    "clauses": "AI-related clauses of the current version, with their timeline.",
    "reextract": "Rebuild versions from stored snapshots (technical).",
    "classify": "Classify sentences (JSON Lines) with the AI-clause detector.",
    "alerts": "List, and retry, alerts in the outbox.",
    "notify-test": "Send a sample alert to each configured channel.",
    "demo": "Offline demo: a sample policy gains an AI-training clause.",
    "schedule": "Run the scheduler daemon (crawl on a schedule).",
    "status": "Health: last run, next run, failing documents, pending alerts.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class AppContext:
    """Lazily built settings and engine, shared by the subcommands of one invocation."""

    def __init__(self, config_path: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self._settings: Any = None
        self._engine: Any = None

    @property
    def settings(self):
        if self._settings is None:
            from monitor.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    def engine(self, *, upgrade: bool = True):
        """The database engine, schema brought to head (or a clear error when ``upgrade``
        is False and the schema is behind)."""
        if self._engine is None:
            from monitor.db import ensure_schema, make_engine

            engine = make_engine(self.settings.database_url)
            ensure_schema(engine, auto_upgrade=upgrade)
            self._engine = engine
        return self._engine

    def close(self) -> None:
        """Close the database connections (called when the command's context closes)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def session(self):
        from sqlalchemy.orm import Session

        return Session(self.engine(), expire_on_commit=False)

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """A read-only query connection for the browsing commands.

        Why not :meth:`session`: importing SQLAlchemy, its ORM and the models costs far more
        than the listing itself. A database already at head is read with ``sqlite3`` or
        ``psycopg`` alone; anything else gets the engine, so upgrades and error messages are
        the usual ones (see :mod:`monitor.browse_queries`).
        """
        from monitor.browse_queries import open_reader

        reader = open_reader(self.settings.database_url, self.engine)
        try:
            yield reader
        finally:
            reader.close()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="POLICYWATCH_CONFIG",
    help="TOML config file (env POLICYWATCH_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="policywatch")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """policywatch: watch privacy policies, terms and AI FAQs; report AI-training clauses."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from monitor.logsafe import install_redaction

    install_redaction()
    ctx.obj = AppContext(config_path, verbose)
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: turn expected errors into one masked line and exit 1."""
    try:
        rv = cli.main(args=argv, prog_name="policywatch", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        _leave(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - every error gets one masked line
        from monitor.cli.errors import describe

        message, code = describe(exc)
        click.echo(f"policywatch: {message}", err=True)
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        sys.exit(code)
    _leave(rv if isinstance(rv, int) else 0)


def _leave(code: int) -> None:
    """Exit without the interpreter's teardown. By now the command has committed its work
    and closed its connections (the context's close callbacks ran); what remains is
    collecting every object of SQLAlchemy, lxml and friends, ~0.15 s after a large crawl
    (measured), which a user or a cron job waits for for nothing."""
    for stream in (sys.stdout, sys.stderr):
        # a reader that went away (`| head`), or a closed stream: nothing left to say
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    logging.shutdown()
    os._exit(code)
