"""Browsing commands: services, runs, history, show, diff, changes, findings, clauses.

All read the database only; every listing has ``--json`` (one object per line, field names
fixed by DESIGN.md §5) and a table that fits 80 columns, times in UTC with the date.
"""

from __future__ import annotations

import sys

import click

from monitor.cli.output import emit_json, iso, parse_when, table, when


def _doc_or_fail(session, settings, service: str, document: str):
    from monitor import store

    settings.select_services([service])
    doc = store.find_document(session, service, document)
    if doc is None:
        svc = settings.declarations[service]
        kinds = ", ".join(d.kind for d in svc.documents)
        raise click.ClickException(
            f"no versions of {service}/{document} yet (documents of {service}: {kinds}); "
            f"run `policywatch crawl {service}` first"
        )
    return doc


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def services(app, as_json: bool) -> None:
    """Declared services, their documents, and robots.txt overrides."""
    settings = app.settings
    active = {s.slug for s in settings.active_services()}
    if as_json:
        emit_json(
            {
                "service": s.slug,
                "name": s.name,
                "documents": [d.kind for d in s.documents],
                "active": s.slug in active,
                "builtin": s.builtin,
                "details": [
                    {
                        "kind": d.kind,
                        "title": d.title,
                        "url": d.url,
                        "enabled": d.enabled,
                        "needs_js": d.needs_js,
                        "ignore_robots_txt": d.ignore_robots_txt,
                        "robots_reason": d.robots_reason or None,
                    }
                    for d in s.documents
                ],
            }
            for s in settings.declarations.values()
        )
        return
    for s in settings.declarations.values():
        flag = "" if s.slug in active else "  (not in `services`, skipped)"
        click.echo(f"{s.slug} — {s.name}{flag}")
        for d in s.documents:
            marks = []
            if not d.enabled:
                marks.append("disabled")
            if d.needs_js:
                marks.append("needs JS")
            if d.ignore_robots_txt:
                marks.append("robots.txt overridden")
            suffix = f"  [{', '.join(marks)}]" if marks else ""
            click.echo(f"  {d.kind:<28} {d.title}{suffix}")
            click.echo(f"  {'':<28} {d.url}")
            if d.ignore_robots_txt and d.robots_reason:
                click.echo(f"  {'':<28} robots: {d.robots_reason}")


@click.command()
@click.option("--limit", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def runs(app, limit: int, as_json: bool) -> None:
    """Recent crawl runs with the outcome of every document."""
    from monitor import store

    with app.session() as session:
        rows = store.runs(session, limit)
        if as_json:
            emit_json(
                {
                    "run": r.id,
                    "started_at": iso(r.started_at),
                    "finished_at": iso(r.finished_at),
                    "status": r.status,
                    "trigger": r.trigger,
                    "error": r.error,
                    "outcomes": [
                        {
                            "service": o.document.service,
                            "document": o.document.kind,
                            "outcome": o.outcome,
                            "reason": o.reason,
                            "detail": o.detail,
                        }
                        for o in r.outcomes
                    ],
                }
                for r in rows
            )
            return
        if not rows:
            click.echo("no runs yet; start one with `policywatch crawl`")
            return
        for r in rows:
            counts: dict[str, int] = {}
            for o in r.outcomes:
                counts[o.outcome] = counts.get(o.outcome, 0) + 1
            summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            click.echo(f"run {r.id}  {when(r.started_at)}  {r.status}  {summary}")
            for o in r.outcomes:
                if o.outcome == "failed":
                    click.echo(f"    {o.document.key}: failed ({o.reason})")
            if r.error:
                click.echo(f"    note: {r.error}")


@click.command()
@click.argument("service")
@click.argument("document", required=False)
@click.option("--limit", type=int, default=None, help="Show at most this many versions.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def history(app, service: str, document: str | None, limit: int | None, as_json: bool) -> None:
    """Versions of SERVICE's documents (or one DOCUMENT), newest first."""
    from monitor import browse_queries

    app.settings.select_services([service])
    with app.reader() as reader:
        rows = browse_queries.history(reader, service, document, limit)
    if as_json:
        emit_json(
            {
                "service": r.service,
                "document": r.kind,
                "version": r.number,
                "fetched_at": iso(r.fetched_at),
                "change_class": r.change_class if r.has_change else "first",
                "technical": r.technical,
                "added_chars": r.added_chars if r.has_change else r.text_length,
                "removed_chars": r.removed_chars if r.has_change else 0,
                "effective_date": r.effective_date,
            }
            for r in rows
        )
        return
    if not rows:
        what = f"{service}/{document}" if document else service
        click.echo(f"no versions of {what} yet; run `policywatch crawl {service}`")
        return
    body = [
        (
            f"{r.kind}",
            f"v{r.number}",
            when(r.fetched_at),
            (r.change_class if r.has_change else "first") + (" (technical)" if r.technical else ""),
            f"+{r.added_chars if r.has_change else r.text_length}/"
            f"-{r.removed_chars if r.has_change else 0}",
        )
        for r in rows
    ]
    click.echo(table(["DOCUMENT", "VER", "FETCHED", "CHANGE", "CHARS"], body, [22, 4, 20, 18, 12]))


@click.command()
@click.argument("service")
@click.argument("document")
@click.option("--version", "number", type=int, help="Version number (default: latest).")
@click.option("--at", "at", help="The version in force at this date (YYYY-MM-DD).")
@click.pass_obj
def show(app, service: str, document: str, number: int | None, at: str | None) -> None:
    """Print one version's text."""
    from monitor import store

    moment = parse_when(at, "--at")
    with app.session() as session:
        doc = _doc_or_fail(session, app.settings, service, document)
        if number is not None:
            v = store.version_by_number(session, doc.id, number)
        elif moment is not None:
            v = store.version_at(session, doc.id, moment)
        else:
            v = store.latest_version(session, doc.id)
        if v is None:
            raise click.ClickException(
                f"{doc.key} has no such version (it has {store.count_versions(session, doc.id)})"
            )
        click.echo(
            f"# {doc.title} ({doc.key}) — version {v.number}, fetched {when(v.fetched_at)}",
            err=True,
        )
        click.echo(v.text, nl=False)


@click.command()
@click.argument("service")
@click.argument("document")
@click.option(
    "--from", "from_n", type=int, help="Old version number (default: the one before --to)."
)
@click.option("--to", "to_n", type=int, help="New version number (default: latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "terminal", "unified", "markdown", "html"]),
    default="auto",
    show_default=True,
    help="auto: coloured word diff on a terminal, unified diff when piped.",
)
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
@click.pass_obj
def diff(
    app,
    service: str,
    document: str,
    from_n: int | None,
    to_n: int | None,
    fmt: str,
    color: bool | None,
) -> None:
    """Show the changes between two versions of a document."""
    from monitor import render_diff, store

    with app.session() as session:
        doc = _doc_or_fail(session, app.settings, service, document)
        new = (
            store.version_by_number(session, doc.id, to_n)
            if to_n
            else store.latest_version(session, doc.id)
        )
        if new is None:
            raise click.ClickException(f"{doc.key} has no version {to_n}")
        old_n = from_n if from_n is not None else new.number - 1
        old = store.version_by_number(session, doc.id, old_n) if old_n >= 1 else None
        if old is None:
            raise click.ClickException(
                f"{doc.key} has no version {old_n} to compare with "
                f"(versions 1..{store.count_versions(session, doc.id)})"
            )
        title = f"{doc.title} ({doc.key}): v{old.number} → v{new.number}"
        tty = sys.stdout.isatty()
        if fmt == "auto":
            fmt = "terminal" if tty or color else "unified"
        if fmt == "terminal":
            out = render_diff.render_terminal(
                old.text, new.text, color=tty if color is None else color
            )
        elif fmt == "unified":
            out = render_diff.render_unified(
                old.text,
                new.text,
                from_label=f"{doc.key} v{old.number} ({iso(old.fetched_at)})",
                to_label=f"{doc.key} v{new.number} ({iso(new.fetched_at)})",
            )
        elif fmt == "markdown":
            out = render_diff.render_markdown(old.text, new.text, title=title)
        else:
            out = render_diff.render_html(old.text, new.text, title=title)
        # color= keeps ANSI codes when --color is forced on a pipe (click strips them otherwise).
        click.echo(out, nl=not out.endswith("\n"), color=color)


@click.command()
@click.option("--since", help="Only changes detected since this date (YYYY-MM-DD).")
@click.option("--service", help="Only this service.")
@click.option(
    "--all",
    "include_all",
    is_flag=True,
    help="Include links-only, formatting and date-only changes.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def changes(app, since: str | None, service: str | None, include_all: bool, as_json: bool) -> None:
    """Recent changes across all documents (substantive ones unless --all)."""
    from monitor import store

    moment = parse_when(since, "--since")
    if service:
        app.settings.select_services([service])
    with app.session() as session:
        rows = store.changes_since(session, moment, service)
        if not include_all:
            rows = [r for r in rows if r[0].change_class == "substantive"]
        if as_json:
            emit_json(
                {
                    "service": doc.service,
                    "document": doc.kind,
                    "from_version": old.number if old else None,
                    "to_version": new.number,
                    "change_class": ch.change_class,
                    "added_chars": ch.added_chars,
                    "removed_chars": ch.removed_chars,
                    "detected_at": iso(ch.detected_at),
                    "technical": ch.technical,
                    "findings": len(ch.findings),
                }
                for ch, doc, old, new in rows
            )
            return
        if not rows:
            click.echo("no changes" + (f" since {since}" if since else "") + " yet")
            return
        body = [
            (
                doc.key,
                f"{old.number if old else '-'}→{new.number}",
                when(ch.detected_at),
                ch.change_class + (f", {len(ch.findings)} AI" if ch.findings else ""),
            )
            for ch, doc, old, new in rows
        ]
        click.echo(table(["DOCUMENT", "VER", "DETECTED", "CHANGE"], body, [30, 7, 20, 17]))


@click.command()
@click.option("--service", help="Only this service.")
@click.option("--since", help="Only findings detected since this date (YYYY-MM-DD).")
@click.option(
    "--baseline", is_flag=True, help="Include baseline ('present') findings of first versions."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def findings(app, service: str | None, since: str | None, baseline: bool, as_json: bool) -> None:
    """AI-clause findings: what changed about AI training, where, and why it matters."""
    from monitor import store

    moment = parse_when(since, "--since")
    if service:
        app.settings.select_services([service])
    with app.session() as session:
        if baseline:
            from monitor.tracker import complete_baselines

            if complete_baselines(session, service):
                session.commit()
        rows = store.findings(session, service=service, since=moment, include_baseline=baseline)
        if as_json:
            emit_json(
                {
                    "service": doc.service,
                    "document": doc.kind,
                    "version": v.number,
                    "kind": f.kind,
                    "category": f.category,
                    "severity": f.severity,
                    "before": f.before,
                    "after": f.after,
                    "signals": list(f.signals or []),
                    "explanation": f.explanation,
                    "heading_path": list(f.heading_path or []),
                    "detected_at": iso(ch.detected_at),
                }
                for f, ch, doc, v in rows
            )
            return
        if not rows:
            click.echo("no AI findings" + (f" since {since}" if since else "") + " yet")
            return
        for f, ch, doc, v in rows:
            click.echo(
                f"[{f.severity.upper()}] {doc.key} v{v.number} ({when(ch.detected_at)}): "
                f"{f.kind} {f.category}"
            )
            if f.explanation:
                click.echo(f"  why: {f.explanation}")
            if f.before:
                click.echo(f"  before: {f.before}")
            if f.after:
                click.echo(f"  after:  {f.after}")
            click.echo(f"  signals: {', '.join(f.signals or [])}")
            click.echo(f"  diff: policywatch diff {doc.service} {doc.kind} --to {v.number}")
            click.echo("")


@click.command()
@click.argument("service")
@click.argument("document")
@click.option("--ai", "ai_only", is_flag=True, help="Only AI-related clauses.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def clauses(app, service: str, document: str, ai_only: bool, as_json: bool) -> None:
    """Clauses of the current version with the version each first appeared and last changed."""
    from monitor import store
    from monitor.timeline import clause_timeline

    with app.session() as session:
        doc = _doc_or_fail(session, app.settings, service, document)
        texts = store.version_texts(session, doc.id)
        dates = store.version_dates(session, doc.id)
    entries = clause_timeline(texts)
    if ai_only:
        from monitor.detect import ai_related

        entries = [e for e in entries if ai_related(e.classification)]
    if as_json:
        emit_json(
            {
                "service": service,
                "document": document,
                "clause": e.clause.text,
                "heading_path": list(e.clause.heading_path),
                "category": e.classification.category,
                "ai_training": e.classification.ai_training,
                "signals": list(e.classification.signals),
                "first_seen_version": e.first_seen,
                "first_seen_at": iso(dates.get(e.first_seen)),
                "last_changed_version": e.last_changed,
                "last_changed_at": iso(dates.get(e.last_changed)),
            }
            for e in entries
        )
        return
    if not entries:
        click.echo("no AI-related clauses in the current version" if ai_only else "no clauses")
        return
    for e in entries:
        first = dates.get(e.first_seen)
        changed = dates.get(e.last_changed)
        click.echo(
            f"v{e.first_seen} {first:%Y-%m-%d}"
            + (
                f" (changed v{e.last_changed} {changed:%Y-%m-%d})"
                if e.last_changed != e.first_seen
                else ""
            )
            + f"  [{e.classification.category}]"
        )
        click.echo(f"    {e.clause.text}")
