"""``policywatch crawl`` and ``policywatch reextract``."""

from __future__ import annotations

import click

from monitor.cli.output import emit_json


@click.command()
@click.argument("services", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document outcome.")
@click.option(
    "--wait",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait when another crawl is running.",
)
@click.pass_obj
def crawl(app, services: tuple[str, ...], as_json: bool, wait: float) -> None:
    """Fetch the documents of SERVICES (default: all) and record what changed.

    Exit code: 0 every document fetched, 3 some failed, 1 the crawl could not start.
    """
    from monitor.crawl_child import start_child

    settings = app.settings
    selected = settings.select_services(list(services))  # unknown names fail first
    # Started first: the child's start-up overlaps this process's (see monitor.crawl_child).
    child = start_child(settings, [s.slug for s in selected])
    try:
        from monitor.heap import settle_after_start_up
        from monitor.runner import run_crawl

        engine = app.engine()
        settle_after_start_up()  # this process ends with the crawl (see monitor.heap)
        result = run_crawl(settings, engine, services, wait_for_lock=wait, child=child)
    finally:
        child.discard()
    if as_json:
        emit_json(
            {
                "run": result.run_id,
                "service": key.split("/")[0],
                "document": key.split("/", 1)[1],
                "outcome": outcome,
                "reason": reason,
                "detail": detail,
            }
            for key, outcome, reason, detail in result.outcomes
        )
    else:
        width = max((len(k) for k, *_ in result.outcomes), default=10)
        for key, outcome, reason, detail in sorted(result.outcomes):
            line = f"{key.ljust(width)}  {outcome}"
            if outcome == "failed":
                line += f" ({reason}): {_after_key(detail, key)}"
            click.echo(line)
        counts: dict[str, int] = {}
        for _k, outcome, *_ in result.outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        summary = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        click.echo(f"run {result.run_id}: {result.status} ({summary or 'no documents'})")
        if result.error:
            click.echo(f"note: {result.error}", err=True)
    click.get_current_context().exit(result.exit_code)


def _after_key(detail: str | None, key: str) -> str:
    text = detail or ""
    return text[len(key) + 2 :] if text.startswith(key + ": ") else text


@click.command()
@click.argument("service", required=False)
@click.argument("document", required=False)
@click.pass_obj
def reextract(app, service: str | None, document: str | None) -> None:
    """Re-extract the latest stored snapshot of each document with the current declarations.

    Texts that differ become *technical* versions, which never alert.
    """
    from monitor import store
    from monitor.tracker import reextract as run

    if service:
        app.settings.select_services([service])
    for key, result in run(store.session_factory(app.engine()), app.settings, service, document):
        click.echo(f"{key}: {result}")
