"""End to end on real parts: loopback HTTP server → crawl child → SQLite/PostgreSQL → versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from monitor import store
from monitor.config import load_settings
from monitor.db import make_engine
from monitor.models import Change, CrawlRun, FetchOutcome, Snapshot, Version
from monitor.runner import EXIT_OK, EXIT_PARTIAL, run_crawl
from tests.support.config import write_config
from tests.support.httpserver import Page
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page
from tests.support.rows import stored_run


@pytest.fixture
def setup(tmp_path, db_url, policy_server):
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, db_url=db_url)
    settings = load_settings(cfg, env={})
    engine = make_engine(settings.database_url)
    yield settings, engine, policy_server
    engine.dispose()


def _versions(engine) -> list[Version]:
    with store.session_factory(engine)() as s:
        return list(
            s.scalars(select(Version).options(undefer(Version.text)).order_by(Version.number))
        )


def _count(engine, model) -> int:
    with store.session_factory(engine)() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_same_page_twice_gives_one_version_then_a_change_gives_a_second(setup):
    settings, engine, server = setup
    server.set("/privacy", policy_page())
    first = run_crawl(settings, engine)
    assert first.exit_code == EXIT_OK, first.outcomes
    assert [o[1] for o in first.outcomes] == ["new"]

    again = run_crawl(settings, engine)
    assert [o[1] for o in again.outcomes] == ["unchanged"]
    assert len(_versions(engine)) == 1

    server.set("/privacy", policy_page(BASE_PARAGRAPHS[:2] + [AI_CLAUSE] + BASE_PARAGRAPHS[2:]))
    third = run_crawl(settings, engine)
    assert [o[1] for o in third.outcomes] == ["changed"]
    versions = _versions(engine)
    assert [v.number for v in versions] == [1, 2]
    assert "train artificial intelligence" in versions[1].text
    assert "train artificial intelligence" not in versions[0].text
    with store.session_factory(engine)() as s:
        change = s.scalars(select(Change).where(Change.to_version_id == versions[1].id)).one()
        assert change.change_class == "substantive"
        assert change.added_chars >= len(AI_CLAUSE) - 5
        assert change.removed_chars < 20


def test_noise_outside_the_selection_and_link_churn_is_not_a_substantive_change(setup):
    settings, engine, server = setup
    server.set("/privacy", policy_page(csrf="a1", stamp="2026-01-01T00:00:00Z"))
    assert run_crawl(settings, engine).exit_code == EXIT_OK
    server.set("/privacy", policy_page(csrf="b2", stamp="2026-02-02T00:00:00Z"))
    assert [o[1] for o in run_crawl(settings, engine).outcomes] == ["unchanged"]
    server.set("/privacy", policy_page(csrf="c3", link_query="&utm_medium=email&fbclid=XYZ"))
    result = run_crawl(settings, engine)
    assert [o[1] for o in result.outcomes] == ["unchanged"]
    assert len(_versions(engine)) == 1
    # Every fetch is kept as a snapshot (raw bytes differ), none became a version.
    assert _count(engine, Snapshot) == 3


@pytest.mark.parametrize(
    "page, reason",
    [
        (Page("<html><body>Internal error</body></html>", status=500), "transient"),
        (Page("<html><body>Gone</body></html>", status=404), "not-found"),
        (Page("", status=200), "empty"),
        (
            Page(
                policy_page().replace("<main>", "<div class='layout'>").replace("</main>", "</div>")
            ),
            "structure-changed",
        ),
    ],
    ids=["500", "404", "empty-200", "selector-gone"],
)
def test_bad_pages_are_failed_fetches_and_never_versions(setup, page, reason):
    settings, engine, server = setup
    server.set("/privacy", policy_page())
    assert run_crawl(settings, engine).exit_code == EXIT_OK
    good_text = _versions(engine)[0].text

    server.set("/privacy", page)
    result = run_crawl(settings, engine)
    assert result.exit_code == EXIT_PARTIAL
    ((key, outcome, got_reason, detail),) = result.outcomes
    assert (outcome, got_reason) == ("failed", reason), detail
    assert detail and "example/privacy-policy" in detail
    versions = _versions(engine)
    assert len(versions) == 1 and versions[0].text == good_text


def test_login_wall_served_with_200_is_a_failure(setup):
    settings, engine, server = setup
    wall = """<!DOCTYPE html><html><head><title>Sign Up | LinkedIn</title></head><body>
    <main><h1>Join LinkedIn</h1><form action="/login"><input name="session_key">
    <input type="password" name="session_password"><button>Sign in</button></form>
    <p>Agree &amp; Join. Already on LinkedIn? Sign in</p></main></body></html>"""
    server.set("/privacy", Page(wall))
    result = run_crawl(settings, engine)
    assert result.exit_code == EXIT_PARTIAL
    assert result.outcomes[0][1:3] == ("failed", "login-wall")
    assert _versions(engine) == []


def test_unreachable_host_fails_every_document_with_a_reason(tmp_path, db_url):
    cfg = write_config(tmp_path / "pw.toml", "http://127.0.0.1:9", db_url=db_url)
    settings = load_settings(cfg, env={})
    engine = make_engine(settings.database_url)
    result = run_crawl(settings, engine)
    assert result.exit_code == EXIT_PARTIAL
    assert result.outcomes[0][1:3] == ("failed", "connection-refused")
    with store.session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(FetchOutcome)) == 1
        run = store.runs(s)[0]
        assert run.status == "partial" and run.finished_at is not None
    engine.dispose()


def test_invalid_selector_is_refused_before_crawling(tmp_path, policy_server):
    from monitor.config import ConfigError

    cfg = write_config(
        tmp_path / "pw.toml",
        policy_server.base,
        select='["main[["]',
        db_url=f"sqlite:///{tmp_path / 'x.db'}",
    )
    settings = load_settings(cfg, env={})
    engine = make_engine(settings.database_url)
    with pytest.raises(ConfigError, match=r"example/privacy-policy: select selector 'main\[\['"):
        run_crawl(settings, engine)
    assert policy_server.requests == []
    engine.dispose()


def _crawl_history(tmp_path, server, workers: int) -> tuple[list, list, list]:
    """Three crawls of eight documents with extraction in ``workers`` processes; returns
    (outcomes per crawl, version texts, (change class, finding kinds) per change)."""
    docs = {f"doc{i}": f"/w/doc{i}" for i in range(8)}
    cfg = write_config(
        tmp_path / f"pw{workers}.toml",
        server.base,
        docs,
        db_url=f"sqlite:///{tmp_path / f'pw{workers}.db'}",
    )
    cfg.write_text(cfg.read_text().replace("[crawl]\n", f"[crawl]\nworkers = {workers}\n", 1))
    settings = load_settings(cfg, env={})
    engine = make_engine(settings.database_url)
    rounds = [
        {i: policy_page(csrf=f"a{i}") for i in range(8)},
        {  # noise everywhere, an AI clause in two, a wall in one, a shrunken page in one
            **{i: policy_page(csrf=f"b{i}") for i in range(8)},
            2: policy_page(BASE_PARAGRAPHS[:2] + [AI_CLAUSE] + BASE_PARAGRAPHS[2:]),
            5: policy_page(BASE_PARAGRAPHS + [AI_CLAUSE]),
            6: policy_page(BASE_PARAGRAPHS[:5]),
            7: "<html><body><form><input type=password name=p></form>Sign in</body></html>",
        },
        {i: policy_page(BASE_PARAGRAPHS[:i] + [AI_CLAUSE] + BASE_PARAGRAPHS[i:]) for i in range(8)},
    ]
    outcomes = []
    for pages in rounds:
        for i, page in pages.items():
            server.set(f"/w/doc{i}", page)
        result = run_crawl(settings, engine)
        outcomes.append(sorted((k, o, r) for k, o, r, _d in result.outcomes))
    with store.session_factory(engine)() as s:
        texts = [(v.document_id, v.number, v.text) for v in _versions(engine)]
        changes = sorted(  # fetches arrive in any order: compare per document and version
            (c.document_id, c.to_version.number, c.change_class, sorted(f.kind for f in c.findings))
            for c in s.scalars(select(Change))
        )
        for outcome in s.scalars(select(FetchOutcome).where(FetchOutcome.outcome != "failed")):
            assert outcome.version_id is not None, outcome.id  # linked through the batch flush
        stored = s.scalar(select(func.count()).select_from(Snapshot))
        in_workers = sum(r.stats["analysed_in_workers"] for r in s.scalars(select(CrawlRun)))
        diffed = s.scalar(
            select(func.count()).select_from(Change).where(Change.from_version_id.is_not(None))
        )
        # every stored page was extracted there, and every change diffed and checked there
        assert in_workers == ((stored + diffed) if workers else 0)
    engine.dispose()
    return outcomes, sorted(texts), changes


def test_extraction_in_worker_processes_records_exactly_what_the_crawl_process_does(
    tmp_path, policy_server, monkeypatch
):
    in_process = _crawl_history(tmp_path, policy_server, workers=0)
    in_workers = _crawl_history(tmp_path, policy_server, workers=2)
    assert in_workers == in_process
    outcomes, _texts, changes = in_process
    assert [o for _k, o, _r in outcomes[1]].count("changed") == 3
    assert ("example/doc7", "failed", "login-wall") in outcomes[1]
    assert any("added" in kinds for _d, _n, _c, kinds in changes)


def test_a_child_that_never_gets_its_run_id_fetches_nothing_and_says_why(tmp_path, policy_server):
    """The runner starts the crawl child before the run exists; if the parent stops first
    (lock busy, Ctrl-C), the child reads end-of-file instead of a run id and must leave."""
    import subprocess
    import sys

    cfg = write_config(
        tmp_path / "pw.toml", policy_server.base, db_url=f"sqlite:///{tmp_path / 'pw.db'}"
    )
    child = subprocess.run(
        [sys.executable, "-m", "monitor.crawl", "--run-id", "-", "--config", str(cfg)],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 1
    assert "no run id on stdin" in child.stderr and "nothing fetched" in child.stderr
    assert policy_server.hits("/privacy") == 0
    bad = subprocess.run(
        [sys.executable, "-m", "monitor.crawl", "--run-id", "x1", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "--run-id must be a number or '-'" in bad.stderr


def test_an_analysis_made_ahead_against_an_older_version_is_made_again(
    tmp_path, db_url, policy_server, monkeypatch
):
    """Batches are handed to the workers before the previous batch is written. A document's
    second fetch analysed ahead compared itself with a version that the first fetch has since
    replaced: its "same fingerprint, unchanged" must not stand (a policy that reverts would be
    missed), it is analysed again against the real latest version."""
    from monitor.db import ensure_schema
    from monitor.tracker import process_pending
    from monitor.workers import WorkerPool

    monkeypatch.setattr("monitor.tracker.BATCH_SIZE", 1)
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, db_url=db_url)
    settings = load_settings(cfg, env={})
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    maker = store.session_factory(engine)
    decl = settings.declarations["example"].documents[0]
    v1, v2 = policy_page(), policy_page(BASE_PARAGRAPHS + [AI_CLAUSE])

    def fetches(*pages: str) -> int:
        return stored_run(maker, decl, pages)

    with WorkerPool(2) as pool:
        first = fetches(v1)
        assert [p.outcome for p in process_pending(maker, settings, first)] == ["new"]
        # v2, then v1 again (the site reverted) in one run: the second fetch's early analysis
        # saw v1's fingerprint as the latest
        second = fetches(v2, v1)
        done = process_pending(maker, settings, second, mapper=pool.map, pipeline=True)
        assert [p.outcome for p in done] == ["changed", "changed"]
        assert pool.remote_items >= 2  # both were handed to the workers ahead
    texts = [v.text for v in _versions(engine)]
    assert len(texts) == 3 and texts[0] == texts[2] != texts[1]
    engine.dispose()


def test_a_runs_outcomes_come_with_their_documents_in_one_query(tmp_path, db_url):
    """The end of every crawl lists each outcome with its document's key: one query, however
    many documents (it was one more query per document, on the crawl's last stretch)."""
    from sqlalchemy import event

    from monitor.db import ensure_schema
    from monitor.declarations import DocumentDeclaration

    engine = make_engine(db_url)
    ensure_schema(engine)
    maker = store.session_factory(engine)
    decls = [
        DocumentDeclaration("example", f"doc-{i}", f"Doc {i}", f"http://x/{i}") for i in range(12)
    ]
    with maker() as s, s.begin():
        run_id = store.start_run(s, ["example"]).id
        for doc in store.ensure_documents(s, decls).values():
            store.add_outcome(s, run_id=run_id, document_id=doc.id, outcome="unchanged")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with maker() as s:
        keys = [o.document.key for o in store.run_outcomes(s, run_id)]
    assert sorted(keys) == sorted(d.key for d in decls)
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 1
    engine.dispose()
