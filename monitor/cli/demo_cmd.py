"""``policywatch demo``: the whole product in a few seconds, offline, with no configuration.

Why it runs the real pipeline rather than printing a canned example: a new user should see what
policywatch will really do for them, and the demo doubles as a smoke test of an install. So it
starts the sample site of :mod:`monitor.demo` on 127.0.0.1, writes a temporary config that
declares only that site's service, and runs two real crawls (crawl child, extraction, tracker,
diff, AI-clause detector, outbox) into a temporary SQLite database. Between the crawls the site
starts serving version 2 of its policy, which adds an AI-training clause. The sections printed
afterwards are the real commands' output on that database (``history``, ``diff``,
``findings``) and the alert built from the outbox exactly as a channel would receive it.

Notification channels come from the user's settings (``POLICYWATCH_NOTIFY`` or ``notify`` in
the config file), so a configured user really receives the demo alert; each channel's result is
shown by its masked label only. The channels are never written to the temporary config file: a
kept demo directory must not hold secrets. Every other setting of the user is left out: the
crawl child runs with the ``POLICYWATCH_*`` variables removed from its environment, so a
``POLICYWATCH_SERVICES`` or ``POLICYWATCH_CRAWL_DOWNLOAD_DELAY`` in the shell cannot change
what the demo does.

Exit code: 0; 1 when the demo could not run (a crawl failed, the database already holds demo
data); 3 when the demo ran but a configured channel could not be reached (the project's code
for "done, but some sends failed", as in ``alerts retry``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from monitor.browse_queries import EngineReader

RULE_WIDTH = 78
#: Environment variables that make a local HTTP server unreachable through a proxy.
_NO_PROXY = ("no_proxy", "NO_PROXY")


@click.command()
@click.option(
    "--database-url",
    metavar="URL",
    help="Record the demo in this database instead of a temporary SQLite file "
    "(it must not hold demo data yet).",
)
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the temporary directory (config and database) and print where it is.",
)
@click.option("--color/--no-color", default=None, help="Colour the diff (default: on a terminal).")
@click.option(
    "--alert-format",
    type=click.Choice(["text", "html", "slack"]),
    default="text",
    show_default=True,
    help="Show the alert as plain text, as the HTML e-mail, or as Slack Block Kit JSON.",
)
@click.pass_obj
def demo(app, database_url: str | None, keep: bool, color: bool | None, alert_format: str) -> None:
    """Offline demo: a sample privacy policy gains an AI-training clause.

    Starts a web server on 127.0.0.1 with the policy of a made-up service, crawls it, switches
    the page to a version that lets the company train AI models on your data, crawls again,
    and prints the history, the diff, the AI findings and the alert. Nothing leaves this
    machine unless POLICYWATCH_NOTIFY (or `notify` in the config file) names channels: then
    the alert is really sent to them.
    """
    started = time.monotonic()
    if color is not None:  # click.echo strips ANSI codes off a terminal unless told otherwise
        click.get_current_context().color = color
    user_settings = app.settings  # only its channels (and send timeout) are used
    with contextlib.ExitStack() as cleanup:  # runs even when a crawl fails or on Ctrl-C
        workdir = Path(tempfile.mkdtemp(prefix="policywatch-demo-"))
        if not keep:
            cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        code = _run(cleanup, user_settings, workdir, database_url, keep, color, alert_format)
    click.echo("")
    click.echo(f"Demo finished in {time.monotonic() - started:.1f} s.")
    click.get_current_context().exit(code)


def _run(
    cleanup: contextlib.ExitStack,
    user_settings,
    workdir: Path,
    database_url: str | None,
    keep: bool,
    color: bool | None,
    alert_format: str,
) -> int:
    """Set up, crawl twice, print every section; returns the exit code."""
    from monitor import demo as site_mod
    from monitor.config import load_settings
    from monitor.db import ensure_schema, make_engine

    db_url = database_url or f"sqlite:///{workdir / 'demo.db'}"
    temporary_db = database_url is None
    with site_mod.DemoSite(version=1) as site:
        config_path = workdir / "demo.toml"
        config_path.write_text(site_mod.config_toml(site.policy_url, db_url), encoding="utf-8")
        # The demo's own settings: its config file and nothing from the user's environment,
        # plus the user's channels (in memory only) and a send timeout that keeps it short.
        settings = load_settings(config_path, env={})
        settings = replace(
            settings,
            notify=user_settings.notify,
            alerts=replace(
                user_settings.alerts,
                send_timeout=min(user_settings.alerts.send_timeout, 15.0),
            ),
        )
        _intro(site, settings, temporary_db, workdir, keep)
        engine = make_engine(settings.database_url)
        cleanup.callback(engine.dispose)  # before the folder holding the SQLite file goes
        ensure_schema(engine)
        _refuse_used_database(engine, temporary_db)

        _crawl(settings, engine, 1, "version 1 of the policy (no AI clause)", "new")
        site.serve(2)
        _crawl(settings, engine, 2, "version 2 (the site changed its policy)", "changed")

    view = _DemoApp(settings, engine)
    _show_history(view)
    _show_diff(view, color)
    _show_findings(view)
    content, queued = _alert_content(settings, engine)
    _show_alert(content, queued, alert_format)
    failed = _show_delivery(settings, engine)
    _next_steps(workdir, config_path, keep, temporary_db)
    return 3 if failed else 0


# --------------------------------------------------------------------------------------------
# Setup and crawls
# --------------------------------------------------------------------------------------------


def _say(text: str, indent: str = "") -> None:
    """Prose wrapped to the rule's width (policy text and commands are printed as they are)."""
    click.echo(textwrap.fill(text, RULE_WIDTH, initial_indent=indent, subsequent_indent=indent))


def _rule(title: str, command: str | None = None) -> None:
    """A section heading; ``command`` is the real command that prints the same thing."""
    click.echo("")
    head = f"== {title} "
    click.echo(click.style(head + "=" * max(3, RULE_WIDTH - len(head)), bold=True))
    if command:
        click.echo(f"(what `{command}` prints)")
    click.echo("")


def _intro(site, settings, temporary_db: bool, workdir: Path, keep: bool) -> None:
    from monitor import demo as site_mod
    from monitor.secrets import mask_url

    _say(
        f"policywatch demo: the privacy policy of {site_mod.SERVICE_NAME}, a made-up service, "
        "gains an AI-training clause between two crawls. Everything runs on this machine "
        "through the real pipeline; no configuration is needed."
    )
    click.echo("")
    click.echo(f"  sample site  {site.policy_url}")
    click.echo(f"  service      {site_mod.SERVICE_SLUG} ({site_mod.SERVICE_NAME}), one document")
    where = "temporary SQLite file" if temporary_db else "from --database-url"
    click.echo(f"  database     {mask_url(settings.database_url)}  ({where})")
    if keep:
        click.echo(f"  kept in      {workdir}")
    channels = len(settings.notify)
    if channels:
        click.echo(f"  channels     {channels} from your settings: the alert is really sent")
    else:
        click.echo("  channels     none configured: the alert is shown, not sent")


def _refuse_used_database(engine, temporary_db: bool) -> None:
    """A database that already holds the demo document would turn the demo's story around
    (version 1 after version 2 reads as a removed clause); ask for a fresh one instead."""
    if temporary_db:
        return
    from monitor import demo as site_mod
    from monitor import store

    with store.session_factory(engine)() as session:
        doc = store.find_document(session, site_mod.SERVICE_SLUG, site_mod.DOCUMENT_KIND)
        count = store.count_versions(session, doc.id) if doc is not None else 0
    if count:
        raise click.ClickException(
            f"this database already holds {count} version(s) of the demo document "
            f"{site_mod.SERVICE_SLUG}/{site_mod.DOCUMENT_KIND}; run the demo without "
            "--database-url (a temporary database) or give an empty database"
        )


@contextlib.contextmanager
def _crawl_environment() -> Iterator[None]:
    """The crawl child inherits this process's environment: drop the user's POLICYWATCH_*
    settings (the demo config says everything) and keep the loopback site off any proxy."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith("POLICYWATCH_")]:
            del os.environ[name]
        for name in _NO_PROXY:
            current = [p for p in os.environ.get(name, "").split(",") if p.strip()]
            os.environ[name] = ",".join(current + ["127.0.0.1", "localhost"])
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _crawl(settings, engine, number: int, what: str, expected: str) -> None:
    """One real crawl (child process and all); stop the demo with the reason if the sample
    document did not come out as ``expected``."""
    from sqlalchemy import select

    from monitor import demo as site_mod
    from monitor import store
    from monitor.models import Change, Version
    from monitor.runner import run_crawl

    click.echo("")
    click.echo(f"Crawl {number}: the site serves {what} …")
    t0 = time.monotonic()
    with _crawl_environment():
        result = run_crawl(settings, engine, [site_mod.SERVICE_SLUG], trigger="demo")
    elapsed = time.monotonic() - t0
    key = f"{site_mod.SERVICE_SLUG}/{site_mod.DOCUMENT_KIND}"
    outcome = next((o for o in result.outcomes if o[0] == key), None)
    if outcome is None or outcome[1] != expected:
        got = "no outcome" if outcome is None else outcome[1]
        detail = f": {outcome[3]}" if outcome and outcome[3] else ""
        note = f" ({result.error})" if result.error else ""
        raise click.ClickException(
            f"demo crawl {number} (run {result.run_id}) gave {got} for {key}, expected "
            f"{expected}{detail}{note}"
        )
    with store.session_factory(engine)() as session:
        doc = store.find_document(session, site_mod.SERVICE_SLUG, site_mod.DOCUMENT_KIND)
        version: Version = store.latest_version(session, doc.id)
        change = session.scalars(
            select(Change).where(Change.to_version_id == version.id)
        ).one_or_none()
        ai = [f for f in (change.findings if change else []) if f.kind != "present"]
        if change is None or change.change_class == "first":
            summary = f"version {version.number}, {len(version.text):,} characters"
        else:
            summary = (
                f"version {version.number}: {change.change_class} change, "
                f"+{change.added_chars}/-{change.removed_chars} characters, "
                f"{len(ai)} AI finding{'s' if len(ai) != 1 else ''}"
            )
    click.echo(f"  run {result.run_id}  {key}  {expected}  ({elapsed:.1f} s)")
    click.echo(f"  → {summary}")


# --------------------------------------------------------------------------------------------
# The real browsing commands, pointed at the demo database
# --------------------------------------------------------------------------------------------


class _DemoApp:
    """What the browsing commands need from ``AppContext``, for the demo's settings/engine."""

    def __init__(self, settings, engine) -> None:
        self.settings = settings
        self._engine = engine
        self.verbose = 0

    def engine(self, *, upgrade: bool = True):
        return self._engine

    def session(self):
        from sqlalchemy.orm import Session

        return Session(self._engine, expire_on_commit=False)

    @contextlib.contextmanager
    def reader(self) -> Iterator[EngineReader]:
        """The demo's engine is already open (and may be PostgreSQL): read through it."""
        from monitor.browse_queries import EngineReader

        yield EngineReader(self._engine)


def _invoke(view: _DemoApp, command: click.Command, **params) -> None:
    parent = click.get_current_context()
    with click.Context(command, parent=parent, info_name=command.name, obj=view) as ctx:
        ctx.invoke(command, **params)


def _show_history(view: _DemoApp) -> None:
    from monitor import demo as site_mod
    from monitor.cli import browse

    _rule("History", f"policywatch history {site_mod.SERVICE_SLUG}")
    _invoke(
        view,
        browse.history,
        service=site_mod.SERVICE_SLUG,
        document=None,
        limit=None,
        as_json=False,
    )


def _show_diff(view: _DemoApp, color: bool | None) -> None:
    from monitor import demo as site_mod
    from monitor.cli import browse

    slug, kind = site_mod.SERVICE_SLUG, site_mod.DOCUMENT_KIND
    _rule("Diff: version 1 → 2", f"policywatch diff {slug} {kind}")
    tty = sys.stdout.isatty()
    if not (tty if color is None else color):
        click.echo("Removed words are shown as [-…-], added words as {+…+}.")
        click.echo("")
    _invoke(
        view,
        browse.diff,
        service=slug,
        document=kind,
        from_n=None,
        to_n=None,
        fmt="terminal",
        color=color,
    )


def _show_findings(view: _DemoApp) -> None:
    from monitor import demo as site_mod
    from monitor.cli import browse

    _rule("AI findings", f"policywatch findings --service {site_mod.SERVICE_SLUG}")
    _invoke(
        view,
        browse.findings,
        service=site_mod.SERVICE_SLUG,
        since=None,
        baseline=False,
        as_json=False,
    )


# --------------------------------------------------------------------------------------------
# The alert
# --------------------------------------------------------------------------------------------


def _alert_content(settings, engine):
    """The message of the latest change, built by the outbox from the database.

    With channels configured the tracker queued real alert rows and the first one is shown
    (that is what was sent). Without channels nothing was queued; the same content is built
    from an unsaved alert row, numbered 0, after checking that ``alert_on`` would let it out.
    Returns ``(content, queued)``; content is None when the change would not alert.
    """
    from sqlalchemy import select

    from monitor import compose, outbox, store
    from monitor import demo as site_mod
    from monitor.models import Alert, Change

    with store.session_factory(engine)() as session:
        doc = store.find_document(session, site_mod.SERVICE_SLUG, site_mod.DOCUMENT_KIND)
        version = store.latest_version(session, doc.id)
        change = session.scalars(select(Change).where(Change.to_version_id == version.id)).one()
        queued = session.scalars(
            select(Alert).where(Alert.change_id == change.id).order_by(Alert.id)
        ).first()
        if queued is not None:
            return outbox.build_content(session, settings, queued), True
        draft = Alert(change_id=change.id, tags=[])
        content = outbox.build_content(session, settings, draft)
        has_ai = bool(compose.alerting_findings(content.findings))
        if not outbox.should_alert(
            settings.alert_on, change.change_class, bool(change.technical), has_ai
        ):
            return None, False
        tags = outbox.alert_tags(
            "change", doc, change_class=change.change_class, findings=content.findings
        )
        return replace(content, alert_id=0, tags=tuple(tags)), False


def _show_alert(content, queued: bool, alert_format: str) -> None:
    from monitor import compose

    _rule("The alert")
    if content is None:
        click.echo("This change would not send an alert (alert_on = ai and no AI finding).")
        return
    click.echo(f"Subject: {compose.subject(content)}")
    if queued:
        _say(
            f"This is alert #{content.alert_id} of the outbox, the message your channels "
            "receive (each channel's result: see Delivery)."
        )
    else:
        _say(
            "No channel is configured, so no alert was queued; this is the message a channel "
            "would receive (#0 stands for the outbox number a real alert carries)."
        )
    click.echo("")
    if alert_format == "html":
        body = compose.render_html(content)
    elif alert_format == "slack":
        body = compose.render_slack(content).to_json()
    else:
        body = compose.render_text(content)
    _boxed(body)
    click.echo("")
    _say(
        "Formats: generic channels (json://, ntfy://, tgram:// …) get this plain text, trimmed "
        'with a "see full diff" pointer where a service limits the size; e-mail (mailto://) '
        "gets an HTML message with a plain-text part; Slack (slack://) and Mattermost get "
        "mrkdwn blocks. See them with --alert-format html or --alert-format slack."
    )


def _boxed(body: str) -> None:
    """The message between two rules, so that where it starts and ends is unmistakable."""
    edge = "-" * RULE_WIDTH
    click.echo(edge)
    click.echo(body.rstrip("\n"))
    click.echo(edge)


# --------------------------------------------------------------------------------------------
# Delivery and next steps
# --------------------------------------------------------------------------------------------


def _show_delivery(settings, engine) -> int:
    """Per configured channel: sent, failed (masked error) or not addressed by its tags.
    Returns the number of channels that failed."""
    from sqlalchemy import select

    from monitor import outbox, store
    from monitor.models import Alert

    _rule("Delivery")
    refs = outbox.channels(settings)
    if not refs:
        click.echo("Nothing was sent: no notification channel is configured.")
        click.echo("To receive this alert, set Apprise URLs and run the demo again, e.g.")
        click.echo("  POLICYWATCH_NOTIFY='mailtos://you:app-password@gmail.com' policywatch demo")
        return 0
    with store.session_factory(engine)() as session:
        rows = {a.channel_id: a for a in session.scalars(select(Alert).order_by(Alert.id))}
        failed = 0
        for position, ref in enumerate(refs, 1):
            alert = rows.get(ref.id)
            if alert is None:
                click.echo(
                    f"skip  #{position} {ref.label}: its tags ({', '.join(ref.tags)}) do not "
                    "match this alert"
                )
            elif alert.status == "sent":
                click.echo(f"ok    #{position} {ref.label}: alert #{alert.id} sent")
            else:
                failed += 1
                error = " ".join((alert.last_error or "not sent").split())
                click.echo(f"FAIL  #{position} {ref.label}: {error}")
    if failed:
        click.echo("")
        click.echo(
            f"{failed} of {len(refs)} channel{'s' if len(refs) != 1 else ''} failed; "
            "`policywatch notify-test` checks them again."
        )
    return failed


def _next_steps(workdir: Path, config_path: Path, keep: bool, temporary_db: bool) -> None:
    from monitor import demo as site_mod

    _rule("Next steps")
    steps = [
        (
            "Crawl the real platforms (LinkedIn, Meta, Google, Discord, Reddit):",
            ["policywatch crawl", "policywatch findings"],
        ),
        (
            "Get alerts by e-mail, Slack or any Apprise URL, and check the channels:",
            [
                "export POLICYWATCH_NOTIFY='mailtos://you:app-password@gmail.com'",
                "policywatch notify-test",
            ],
        ),
        (
            "Keep watching on a schedule, here or with Docker and PostgreSQL:",
            [
                "policywatch schedule",
                "cp .env.example .env   # set POSTGRES_PASSWORD, then",
                "docker compose up -d --build",
            ],
        ),
    ]
    for i, (label, commands) in enumerate(steps, 1):
        click.echo(f"  {i}. {label}")
        for command in commands:
            click.echo(f"       {command}")
    click.echo("")
    if keep:
        click.echo(f"The demo's config and database are kept in {workdir}; browse them with")
        click.echo(f"  policywatch --config {config_path} history {site_mod.SERVICE_SLUG}")
        if temporary_db:
            click.echo(f"and delete the folder when done: rm -r {workdir}")
    else:
        click.echo("The demo's temporary config and database are deleted (keep them with --keep).")
