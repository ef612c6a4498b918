"""The fault suite (issue 6, item 1): hostile pages never become versions, alerts stay exact.

One loopback server, one config with a document per misbehaviour: every crawl checks all of
them at once (a crawl costs seconds of child start-up, a document costs almost nothing). The
sequence the main test drives, with ``alerts.tracking_failures = 2``:

1. baseline — every route serves a good page: one first version each;
2. hostile — every route misbehaves: each document fails with *its* reason, no version, no
   change, no alert, the previous version intact; the crawl child's memory stays flat;
3. hostile again — the second failure in a row: exactly one "tracking broken" per document;
4. hostile a third time — nothing new (no second "broken");
5. recovery — the good pages again: ``unchanged``, and exactly one "tracking resumed" each.

One more document shrinks to ~10% of its text from run 2 on: held as a failed
``suspicious-shrink`` (no "AI clause removed" alert) until run 3 returns the same text, which
confirms it — then, and only then, it is a version with its one alert.

Hostile pages carry the AI-training clause wherever it is natural (the part of a cut page
that did arrive, a re-laid-out page, double-encoded text), so if any of them slipped through
as a version the AI alert it would raise makes the test fail. Alerts go to a real Apprise
``json://`` endpoint on loopback, so "sent once" is counted at the receiver too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from monitor import store
from monitor.config import load_settings
from monitor.db import make_engine
from monitor.models import Alert, Change, Document, FetchOutcome, TrackingEvent, Version
from monitor.runner import EXIT_OK, EXIT_PARTIAL, run_crawl
from tests.integration.test_notify_support import HTTPSink
from tests.support import hostile as H
from tests.support.config import write_config
from tests.support.httpserver import Page
from tests.support.pages import AI_CLAUSE, policy_page

pytestmark = pytest.mark.slow

MIB = 1 << 20
#: crawl.max_body_bytes in these configs; the 50 MB bodies are 50x over it.
MAX_BODY = 1 * MIB


@dataclass(frozen=True)
class Case:
    kind: str
    reason: str  # the expected failure reason ("" = the fetch must succeed, unchanged)


def good_page() -> str:
    return policy_page()


def hostile_routes(base: str, port: int) -> dict[str, tuple[object, str]]:
    """kind -> (hostile route, expected outcome reason; "" when it must read as unchanged)."""
    with_ai = policy_page(H.with_ai_clause())
    return {
        # HTTP errors
        "http-500": (H.status_page(500), "transient"),
        "http-502": (H.status_page(502), "transient"),
        "http-503": (H.status_page(503, retry_after="120"), "transient"),
        "http-404": (H.status_page(404), "not-found"),
        "http-410": (H.status_page(410), "not-found"),
        "http-401": (H.status_page(401, www_authenticate='Basic realm="legal"'), "blocked"),
        "unsolicited-304": (Page("", status=304, headers={}), "http-error"),
        "http-403": (H.status_page(403, "<html><body>Forbidden</body></html>"), "blocked"),
        "cloudflare-403": (
            Page(
                H.CLOUDFLARE_CHALLENGE,
                status=403,
                headers={"Content-Type": "text/html; charset=UTF-8", "cf-mitigated": "challenge"},
            ),
            "bot-wall",
        ),
        "http-429": (H.status_page(429, retry_after="3600"), "rate-limited"),
        # walls served with 200
        "login-wall": (Page(H.LOGIN_WALL), "login-wall"),
        "captcha": (Page(H.RECAPTCHA_PAGE), "captcha"),
        "cloudflare-200": (Page(H.CLOUDFLARE_CHALLENGE), "captcha"),
        "consent": (Page(H.CONSENT_PAGE), "consent-wall"),
        "js-shell": (Page(H.JS_SHELL), "js-required"),
        # broken bodies
        "empty-200": (Page(""), "empty"),
        "truncated": (Page(H.cut(with_ai, 0.6)), "truncated"),
        "truncated-close": (H.close_delimited(H.cut(with_ai, 0.6)), "truncated"),
        "truncated-mid-char": (Page(H.cut_mid_character(H.french_page())), "truncated"),
        "lying-length": (H.lying_length(with_ai, 0.5), "transient"),
        "huge-declared": (H.huge_body(50 * MIB), "too-large"),
        "huge-streamed": (H.huge_body(50 * MIB, declare_length=False), "too-large"),
        "gzip-bomb": (H.gzip_bomb(1024 * MIB), "too-large"),
        "brotli-bomb": (H.brotli_bomb(256 * MIB), "too-large"),
        "gzip-cut": (H.gzip_cut(with_ai, 0.6), "truncated"),
        "gzip-corrupt": (H.gzip_corrupt(with_ai), "transient"),
        "silent": (H.silent(30.0), "timeout"),
        "hang-up": (H.hang_up(), "transient"),
        "slow-drip": (H.slow_drip(good_page()), "timeout"),
        "selector-gone": (Page(H.relaid_out_page()), "structure-changed"),
        "mojibake": (Page(H.mojibake_page()), "encoding"),
        # redirects
        "redirect-loop": (H.redirect("/d/redirect-loop"), "redirect-loop"),
        "redirect-login": (
            H.redirect(f"http://localhost:{port}/accounts/login?next=%2Fprivacy"),
            "login-wall",
        ),
        "redirect-login-unmarked": (  # no login word in the URL: the page itself tells
            H.redirect(f"http://localhost:{port}/welcome?continue=%2Fprivacy"),
            "login-wall",
        ),
        "redirect-file": (H.redirect("file:///etc/passwd"), "redirect-refused"),
        "redirect-ftp": (H.redirect("ftp://127.0.0.1/etc/passwd"), "redirect-refused"),
        # controls: must NOT fail (the same text arrives another way)
        "redirect-ok": (H.redirect(f"{base}/moved/redirect-ok"), ""),
        "gzip-ok": (H.gzipped(good_page()), ""),
        "charset-missing": (H.encoded(H.french_page(False), "utf-8", "text/html"), ""),
        "charset-wrong-header": (
            H.encoded(H.french_page(), "utf-8", "text/html; charset=iso-8859-1"),
            "",
        ),
        "charset-cp1252-says-utf8": (
            H.encoded(H.french_page(False), "cp1252", "text/html; charset=utf-8"),
            "",
        ),
    }


FRENCH = {"charset-missing", "charset-wrong-header", "charset-cp1252-says-utf8"}
SHRINK = "shrinks"  # full, then the same 10% twice: held, then confirmed
FLAP = "half-loads"  # full, 10%, full, the same 10%, full: held each time, never a version


def baseline_route(kind: str) -> Page:
    if kind in FRENCH:
        return Page(H.french_page())
    if kind in (SHRINK, FLAP):
        return Page(policy_page(H.with_ai_clause(H.LONG_PARAGRAPHS)))
    return Page(good_page())


def shrunk_page() -> Page:
    """The long policy cut to ~10% of its text (a half-loaded page, still valid HTML)."""
    return Page(policy_page(H.LONG_PARAGRAPHS[:3]))


@pytest.fixture
def sink():
    s = HTTPSink().start()
    yield s
    s.stop()


def fault_config(
    tmp_path, server, kinds, db_url, sink, *, tracking_failures=2, timeout=3.0, retries=0
):
    extra = "\n".join(
        [
            f'notify = ["json://127.0.0.1:{sink.port}/hook"]',
            "[alerts]",
            f"tracking_failures = {tracking_failures}",
            "backoff_seconds = 1.0",
        ]
    )
    cfg = write_config(
        tmp_path / "pw.toml",
        server.base,
        {k: f"/d/{k}" for k in kinds},
        db_url=db_url,
        timeout=timeout,
        retries=retries,
        extra=extra,
    )
    text = cfg.read_text().replace(
        "[crawl]\n", f"[crawl]\nconcurrent_per_domain = 8\nmax_body_bytes = {MAX_BODY}\n", 1
    )
    cfg.write_text(text)
    return load_settings(cfg, env={})


def crawl(settings, engine):
    watch = H.PeakRSS()
    result = run_crawl(settings, engine, on_child=watch.start)
    watch.join()
    crawl.last_series = watch.series
    outcomes = {
        key.split("/", 1)[1]: (outcome, reason, detail)
        for key, outcome, reason, detail in result.outcomes
    }
    return result, outcomes, watch.peak


def texts(engine) -> dict[str, list[str]]:
    with store.session_factory(engine)() as s:
        rows = s.execute(
            select(Document.kind, Version.text)
            .join(Version, Version.document_id == Document.id)
            .order_by(Document.kind, Version.number)
        )
        out: dict[str, list[str]] = {}
        for kind, text in rows:
            out.setdefault(kind, []).append(text)
        return out


def tracking(engine) -> Counter:
    with store.session_factory(engine)() as s:
        rows = s.execute(
            select(Document.kind, TrackingEvent.kind).join(
                Document, TrackingEvent.document_id == Document.id
            )
        )
        return Counter(rows)


def alerts(engine) -> list[Alert]:
    from sqlalchemy.orm import selectinload

    with store.session_factory(engine)() as s:
        return list(
            s.scalars(select(Alert).options(selectinload(Alert.document)).order_by(Alert.id))
        )


def change_count(engine) -> int:
    with store.session_factory(engine)() as s:
        return len(list(s.scalars(select(Change.id))))


def test_hostile_pages_fail_with_their_reason_and_never_become_versions(
    tmp_path, db_url, policy_server, sink
):
    server = policy_server
    routes = hostile_routes(server.base, server.port)
    kinds = [*routes, SHRINK, FLAP]
    failing = {k for k, (_r, reason) in routes.items() if reason}
    settings = fault_config(tmp_path, server, kinds, db_url, sink)
    engine = make_engine(settings.database_url)
    server.set("/moved/redirect-ok", Page(good_page()))
    server.set("/accounts/login", Page(H.OTHER_DOMAIN_LOGIN))
    server.set("/welcome", Page(H.OTHER_DOMAIN_LOGIN))
    H.gzip_bomb_bytes(1024 * MIB)  # built before the crawl, not inside its timeout
    H.brotli_bomb_bytes(256 * MIB)

    def serve(hostile: bool, shrunk: bool, flap: bool = False) -> None:
        for kind in kinds:
            if kind in (SHRINK, FLAP):
                half = shrunk if kind == SHRINK else flap
                server.set(f"/d/{kind}", shrunk_page() if half else baseline_route(kind))
            else:
                server.set(f"/d/{kind}", routes[kind][0] if hostile else baseline_route(kind))

    # 1. baseline
    serve(hostile=False, shrunk=False)
    result, out, base_peak = crawl(settings, engine)
    assert result.exit_code == EXIT_OK, result.outcomes
    assert {k: o[0] for k, o in out.items()} == {k: "new" for k in kinds}
    before = texts(engine)
    assert all(len(v) == 1 for v in before.values())
    assert "données personnelles" in before["charset-missing"][0]
    assert AI_CLAUSE in before[SHRINK][0]
    assert alerts(engine) == [] and change_count(engine) == len(kinds)

    # 2. hostile: every document fails with its own reason; nothing else moves
    serve(hostile=True, shrunk=True, flap=True)
    result, out, hostile_peak = crawl(settings, engine)
    assert result.exit_code == EXIT_PARTIAL
    got = {k: (o[0], o[1]) for k, o in out.items()}
    want = {k: ("failed", r) if r else ("unchanged", None) for k, (_route, r) in routes.items()}
    want[SHRINK] = want[FLAP] = ("failed", "suspicious-shrink")
    assert got == want
    for kind in failing | {SHRINK, FLAP}:
        detail = out[kind][2]
        assert detail.startswith(f"example/{kind}") and "\n" not in detail, detail
    assert "Retry-After: 3600" in out["http-429"][2]
    assert texts(engine) == before, "a failed fetch changed a version"
    assert change_count(engine) == len(kinds)
    assert alerts(engine) == [] and sink.posts == []
    assert tracking(engine) == Counter()
    # 50 MB bodies, a 1 GB gzip and a 256 MB brotli bomb did not pass through the child's memory
    assert base_peak > 0 and hostile_peak > 0
    assert hostile_peak - base_peak < 40 * MIB, (base_peak, hostile_peak, crawl.last_series)
    # the refused redirects never reached another scheme; the login redirect was followed
    assert server.hits("/accounts/login") == 1
    assert server.hits("/d/redirect-loop") >= 8

    # 3. the same failures again: the 2nd in a row raises exactly one "broken" per document;
    #    the same shrunk text twice is confirmed: a version, and the clause removal alerts once
    serve(hostile=True, shrunk=True, flap=False)
    result, out, _ = crawl(settings, engine)
    assert {k: (o[0], o[1]) for k, o in out.items()} == {
        **want,
        SHRINK: ("changed", None),
        FLAP: ("unchanged", None),
    }
    assert tracking(engine) == Counter({(k, "broken"): 1 for k in failing})
    now = texts(engine)
    assert len(now[SHRINK]) == 2 and AI_CLAUSE not in now[SHRINK][1]
    assert {k: v for k, v in now.items() if k != SHRINK} == {
        k: v for k, v in before.items() if k != SHRINK
    }
    sent = alerts(engine)
    tracking_alerts = [a for a in sent if a.tracking_event_id]
    change_alerts = [a for a in sent if a.change_id]
    assert len(tracking_alerts) == len(failing) and len(sent) == len(failing) + 1
    assert [a.document.kind for a in change_alerts] == [SHRINK]
    assert "ai" in change_alerts[0].tags and "finding:removed" in change_alerts[0].tags
    assert all(a.status == "sent" and a.attempts == 1 for a in sent)
    assert len(sink.posts) == len(sent)

    # 4. a third failure in a row: no second "broken", no new alert; the half-loading page is
    #    held again (the full page in run 3 ended the earlier hold, so nothing confirms it)
    serve(hostile=True, shrunk=True, flap=True)
    result, out, _ = crawl(settings, engine)
    assert {k: (o[0], o[1]) for k, o in out.items()} == {**want, SHRINK: ("unchanged", None)}
    assert tracking(engine) == Counter({(k, "broken"): 1 for k in failing})
    assert len(alerts(engine)) == len(failing) + 1 and len(sink.posts) == len(failing) + 1
    assert texts(engine) == now

    # 5. recovery: unchanged, one "resumed" each, the versions still the baseline's
    serve(hostile=False, shrunk=True, flap=False)
    result, out, _ = crawl(settings, engine)
    assert result.exit_code == EXIT_OK, result.outcomes
    assert {k: o[0] for k, o in out.items()} == {k: "unchanged" for k in kinds}
    assert tracking(engine) == Counter(
        {**{(k, "broken"): 1 for k in failing}, **{(k, "resumed"): 1 for k in failing}}
    )
    final = alerts(engine)
    assert len(final) == 2 * len(failing) + 1
    assert all(a.status == "sent" and a.attempts == 1 for a in final)
    assert len(sink.posts) == len(final)
    assert texts(engine) == now
    assert change_count(engine) == len(kinds) + 1
    with store.session_factory(engine)() as s:
        docs = {d.kind: d for d in s.scalars(select(Document))}
        assert all(d.consecutive_failures == 0 and not d.tracking_broken for d in docs.values())
        assert docs["slow-drip"].last_failure_reason == "timeout"
        # every run accounted for every document, failures included
        per_run = Counter(s.scalars(select(FetchOutcome.run_id)))
        assert set(per_run.values()) == {len(kinds)}
    engine.dispose()


def test_retries_recover_a_flaky_server_within_one_run(tmp_path, policy_server, sink):
    """503 then 502 then the page: two retries get it in the same run. A server that stays
    at 500 is tried 1 + 2 times, then failed; 429 is not hammered (no retry)."""
    server = policy_server
    settings = fault_config(
        tmp_path,
        server,
        ["flaky", "down", "throttled"],
        f"sqlite:///{tmp_path / 'pw.db'}",
        sink,
        retries=2,
    )
    engine = make_engine(settings.database_url)
    flaky = H.Series([H.status_page(503), H.status_page(502), Page(good_page())])
    server.set("/d/flaky", flaky)
    server.set("/d/down", H.status_page(500))
    server.set("/d/throttled", H.status_page(429, retry_after="60"))
    result, out, _ = crawl(settings, engine)
    assert {k: (o[0], o[1]) for k, o in out.items()} == {
        "flaky": ("new", None),
        "down": ("failed", "transient"),
        "throttled": ("failed", "rate-limited"),
    }
    assert (flaky.calls, server.hits("/d/down"), server.hits("/d/throttled")) == (3, 3, 1)
    assert "HTTP 500" in out["down"][2]
    assert len(texts(engine)["flaky"]) == 1
    engine.dispose()


def test_a_failed_fetch_is_never_revalidated_with_its_own_etag(tmp_path, policy_server, sink):
    """Sites send ETags on walls and error pages too. The next request must not offer the
    failed page's ETag: a 304 for it would mean "the wall is still there", not "unchanged"."""
    server = policy_server
    settings = fault_config(
        tmp_path, server, ["walled", SHRINK], f"sqlite:///{tmp_path / 'pw.db'}", sink
    )
    engine = make_engine(settings.database_url)

    def tagged(body: str, etag: str) -> Page:
        return Page(body, headers={"Content-Type": "text/html; charset=utf-8", "ETag": etag})

    full = policy_page(H.with_ai_clause(H.LONG_PARAGRAPHS))
    server.set("/d/walled", tagged(good_page(), '"good-1"'))
    server.set(f"/d/{SHRINK}", tagged(full, '"full-1"'))
    _r, out, _ = crawl(settings, engine)
    assert {k: o[0] for k, o in out.items()} == {"walled": "new", SHRINK: "new"}

    server.set("/d/walled", tagged(H.LOGIN_WALL, '"wall-1"'))
    server.set(f"/d/{SHRINK}", tagged(shrunk_page().body, '"half-1"'))
    _r, out, _ = crawl(settings, engine)
    assert out["walled"][:2] == ("failed", "login-wall")
    assert out[SHRINK][:2] == ("failed", "suspicious-shrink")

    server.requests.clear()
    _r, out, _ = crawl(settings, engine)
    try:
        sent = {p: h.get("if-none-match") for p, h in server.requests if p.startswith("/d/")}
        assert sent == {"/d/walled": '"good-1"', f"/d/{SHRINK}": '"full-1"'}
        assert out["walled"][:2] == ("failed", "login-wall")
        assert tracking(engine) == Counter({("walled", "broken"): 1})
        assert out[SHRINK][:2] == ("changed", None)
    finally:
        engine.dispose()


def test_a_page_cut_inside_its_head_is_truncated_not_a_javascript_shell(
    tmp_path, policy_server, sink
):
    """The transfer stopped 10% into the page, inside the inline script of its <head>: the
    fetch fails (it does), and its reason must say the page was cut — not send the operator to
    switch the document to JavaScript rendering."""
    server = policy_server
    settings = fault_config(
        tmp_path, server, ["cut-in-head"], f"sqlite:///{tmp_path / 'pw.db'}", sink
    )
    engine = make_engine(settings.database_url)
    page = policy_page(H.with_ai_clause())
    cut_at = page.index("window.__state") + 8
    server.set("/d/cut-in-head", Page(page.encode()[:cut_at]))
    try:
        _result, out, _ = crawl(settings, engine)
        assert out["cut-in-head"][0] == "failed"
        assert texts(engine) == {}
        assert out["cut-in-head"][1] == "truncated", out["cut-in-head"]
    finally:
        engine.dispose()
