"""The extraction worker pool: same results as in-process, survives a dead worker."""

from __future__ import annotations

import logging
import os
import pickle

import pytest

from monitor.analysis import Analysis, SnapshotJob, analyse_job
from monitor.config import ConfigError, load_settings
from monitor.declarations import DocumentDeclaration
from monitor.workers import WORKERS_FROM, WorkerPool, worker_count
from tests.support import worker_fns
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page


def test_worker_count_is_automatic_only_for_crawls_big_enough_to_earn_the_start_up():
    assert worker_count(None, WORKERS_FROM - 1) == 0
    auto = worker_count(None, WORKERS_FROM)
    assert 1 <= auto <= max(1, min(os.cpu_count() or 1, 4))
    assert worker_count(0, 10_000) == 0
    assert worker_count(3, 1) == 3


def test_crawl_workers_setting_is_validated(tmp_path):
    cfg = tmp_path / "pw.toml"
    cfg.write_text("[crawl]\nworkers = 2\n")
    assert load_settings(cfg, env={}).crawl.workers == 2
    cfg.write_text("[crawl]\nworkers = -1\n")
    with pytest.raises(ConfigError, match="crawl.workers"):
        load_settings(cfg, env={})
    assert load_settings(None, env={"POLICYWATCH_CRAWL_WORKERS": "0"}).crawl.workers == 0


def _jobs() -> list[SnapshotJob]:
    decl = DocumentDeclaration(
        service="example", kind="privacy-policy", title="P", url="http://x/", select=("main",)
    )
    pages = [
        policy_page(),
        policy_page(BASE_PARAGRAPHS[:3] + [AI_CLAUSE] + BASE_PARAGRAPHS[3:]),
        policy_page(BASE_PARAGRAPHS[:1]),  # too short: a failure, computed the same way
        "<html><body><main></main></body></html>",
        policy_page(csrf="tok-2"),
    ]
    return [
        SnapshotJob(
            data=page.encode(),
            compression=None,
            url="http://x/privacy",
            content_type="text/html; charset=utf-8",
            decl=decl,
            latest_fingerprint=None,
        )
        for page in pages
    ]


def test_workers_compute_exactly_what_the_crawl_process_computes():
    jobs = _jobs() * 2
    local = [analyse_job(j) for j in jobs]
    with WorkerPool(2) as pool:
        assert list(pool.map(analyse_job, jobs)) == local
        pids = set(pool.map(worker_fns.where, list(range(40))))
    assert os.getpid() not in pids  # really computed elsewhere
    assert any(a.failure for a in local) and any(a.text for a in local)


def test_a_single_item_goes_to_a_worker_and_an_empty_pool_stays_in_this_process():
    with WorkerPool(2) as pool:
        assert os.getpid() not in set(pool.map(worker_fns.where, [1]))
        assert list(pool.map(worker_fns.where, [])) == []
    with WorkerPool(0) as pool:
        assert set(pool.map(worker_fns.where, list(range(3)))) == {os.getpid()}
        assert list(pool.map(worker_fns.square, list(range(10)))) == [x * x for x in range(10)]


def test_a_dead_worker_costs_a_warning_not_the_batch(caplog):
    with WorkerPool(2) as pool, caplog.at_level(logging.WARNING, "policywatch.workers"):
        assert list(pool.map(worker_fns.die_in_worker, list(range(8)))) == [x * x for x in range(8)]
        assert "worker processes stopped" in caplog.text
        # the rest of the crawl runs here, without the broken pool
        assert set(pool.map(worker_fns.where, list(range(8)))) == {os.getpid()}


def test_workers_import_only_the_pure_core():
    """A worker that unpickles a function from the tracker imports SQLAlchemy and the models
    (~0.5 s and ~30 MB per worker): the pure jobs live in monitor.analysis."""
    from monitor.analysis import analyse_change_job

    texts = [("We collect data.\n", "We collect data.\n\nWe train AI models on it.\n", ())] * 8
    with WorkerPool(2) as pool:
        changes = list(pool.map(analyse_change_job, texts))
        assert {c.change_class for c in changes} == {"substantive"}
        list(pool.map(analyse_job, _jobs() * 2))
        assert set(map(tuple, pool.map(worker_fns.heavy_modules, list(range(16))))) == {()}


@pytest.mark.parametrize(
    "analysis",
    [
        Analysis("fp", "Plain ASCII policy text.", effective_date="2024-09-18"),
        Analysis("fp", "We’ll use your data — «données» 数据 🙂 to train models."),
        Analysis("fp", "A lone surrogate \ud800 kept as it was."),
        Analysis("fp", ""),
        Analysis("fp"),  # same fingerprint: no text
        Analysis(None, failure=("login-wall", "the page asks to sign in")),
    ],
)
def test_an_analysis_comes_back_from_a_worker_unchanged(analysis):
    """Analyses cross the process boundary with their text as UTF-8 bytes (a faster decode
    than pickle's own); every text must come back exactly as it left."""
    again = pickle.loads(pickle.dumps(analysis, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == analysis
    assert type(again.text) is type(analysis.text)


def test_an_analysis_from_a_worker_carries_the_digest_of_its_text():
    import hashlib

    text = "We’ll use your data to train models."
    again = pickle.loads(pickle.dumps(Analysis("fp", text)))
    assert again.text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert pickle.loads(pickle.dumps(Analysis("fp"))).text_sha256 is None
