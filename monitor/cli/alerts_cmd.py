"""``policywatch alerts`` (list, ``retry``) and ``policywatch notify-test``.

Channels are shown only by their masked label (``slack://****``, ``mailto://ale…:****@host/…``)
and by their position in the configuration; errors come back masked from monitor.notify.
"""

from __future__ import annotations

import click

from monitor.cli.output import emit_json, iso, when

STATUSES = ("pending", "sending", "sent", "failed")


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), help="Only alerts with this status.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
@click.option("--limit", type=int, default=50, show_default=True, help="Newest N alerts (0: all).")
@click.pass_context
def alerts(ctx: click.Context, status: str | None, as_json: bool, limit: int) -> None:
    """List alerts in the outbox, newest first; `alerts retry` sends again.

    A pending alert is retried by every run with a growing delay; after `alerts.max_attempts`
    it is marked failed (its last error is shown here) until `alerts retry`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.outbox import list_alerts

    app = ctx.obj
    with app.session() as session:
        rows = list_alerts(session, status=status, limit=limit or None)
    if as_json:
        emit_json(
            {
                **row,
                "created_at": iso(row["created_at"]),
                "sent_at": iso(row["sent_at"]),
                "next_attempt_at": iso(row["next_attempt_at"]),
            }
            for row in rows
        )
        return
    if not rows:
        click.echo(f"no {status} alerts" if status else "no alerts")
        return
    max_attempts = app.settings.alerts.max_attempts
    for row in rows:
        state = row["status"]
        if state == "sent":
            state += f" {when(row['sent_at'])}"
        elif state == "pending" and row["next_attempt_at"]:
            state += f", next try {when(row['next_attempt_at'])}"
        click.echo(
            f"#{row['alert']}  {state}  (tries {row['attempts']}/{max_attempts})  "
            f"{row['channel']}  created {when(row['created_at'])}"
        )
        click.echo(f"    {row['subject']}")
        if row["last_error"] and row["status"] != "sent":
            click.echo(f"    last error: {_short(row['last_error'])}")


def _short(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@alerts.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("--no-send", is_flag=True, help="Only requeue; the next run sends them.")
@click.pass_obj
def retry(app, ids: tuple[int, ...], no_send: bool) -> None:
    """Requeue failed alerts (or only IDS) and send every due alert now.

    Pending alerts waiting for their next attempt are sent now too. Exit code 3 when some
    alert could not be sent.
    """
    from monitor.notify import send_pending
    from monitor.outbox import requeue

    engine = app.engine()
    with app.session() as session, session.begin():
        changed = requeue(session, ids=list(ids) or None)
    click.echo(f"requeued {changed} alert{'s' if changed != 1 else ''}")
    if no_send:
        return
    if not app.settings.notify:
        raise click.ClickException(
            "no notification channels configured (set POLICYWATCH_NOTIFY or 'notify' in the "
            "config file); alerts stay pending"
        )
    report = send_pending(engine, app.settings, ids=list(ids) or None)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"sent {report.sent}, failed {report.failed}, pending {report.pending}")
    if report.errors:
        click.get_current_context().exit(3)


@click.command("notify-test")
@click.option("--tag", help="Only channels that an alert with this tag would reach.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per channel.")
@click.pass_obj
def notify_test(app, tag: str | None, as_json: bool) -> None:
    """Send a sample alert to each configured channel and report which ones work.

    Exit code 1 when a channel failed; the channel is named by its position in the
    configuration and its masked URL, never by the URL itself.
    """
    from monitor.notify import notify_test as run_test
    from monitor.outbox import channels, routes

    settings = app.settings
    if not settings.notify:
        raise click.ClickException(
            "no notification channels configured; set POLICYWATCH_NOTIFY or 'notify' in the "
            "config file"
        )
    # notify_test reports in config order, for the same channels as this selection
    positions = [
        i for i, ch in enumerate(channels(settings), 1) if tag is None or routes(ch.tags, [tag])
    ]
    results = run_test(settings, tag)
    if not results:
        raise click.ClickException(f"no configured channel receives alerts tagged {tag!r}")
    rows = list(zip(positions, results, strict=True))
    if as_json:
        emit_json(
            {"position": pos, "channel": label, "ok": ok, "error": error or None}
            for pos, (label, ok, error) in rows
        )
    else:
        for pos, (label, ok, error) in rows:
            line = f"{'ok  ' if ok else 'FAIL'}  #{pos} {label}"
            click.echo(line + (f": {error}" if error else ""))
    failed = sum(1 for _label, ok, _e in results if not ok)
    if failed:
        click.echo(f"{failed} of {len(results)} channels failed", err=True)
        click.get_current_context().exit(1)
