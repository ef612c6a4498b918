"""Security (issue 6, item 3): hostile policy text stays inert, secrets stay secret, and
declarations or redirects cannot make the crawler read local files.

Everything here goes through the real path: a loopback site serves a policy whose text carries
``<script>`` and ``<img onerror>`` (and real hostile markup around it), the crawl records it,
and the HTML renderings a user opens — ``diff --format html`` and the alert e-mail received by a
real SMTP server — are parsed and searched for anything active. The secrets test configures
channels and a database URL with passwords and tokens, runs the commands a user runs with
``-vv``, and searches every byte of their output, the database's text columns and the crawl
child's command line.
"""

from __future__ import annotations

import contextlib
import re
import uuid

import pytest
from sqlalchemy import select

from monitor import store
from monitor.db import make_engine
from monitor.models import Alert, Blob, CrawlRun, Document, FetchOutcome, Snapshot
from tests.integration.test_notify_support import HTTPSink, SMTPSink, free_port
from tests.support import hostile as H
from tests.support.config import write_config
from tests.support.httpserver import Page
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page

#: Policy *text* (escaped in the page, so it is what a reader sees): must come out inert.
HOSTILE_TEXT = 'Opt out in Settings <script>alert("pw")</script> <img src=x onerror=alert(1)>.'


def hostile_policy() -> str:
    """The policy with an AI clause added, hostile text, and hostile *markup* in <main>."""
    import html

    page = policy_page(BASE_PARAGRAPHS[:2] + [AI_CLAUSE, HOSTILE_TEXT] + BASE_PARAGRAPHS[2:])
    markup = (
        '<p>See <a href="javascript:alert(document.cookie)">your choices</a> and '
        '<a href="data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;">the summary</a>.</p>'
        '<img src="x" onerror="alert(4)" alt="&lt;script&gt;alert(5)&lt;/script&gt;">'
        "<script>alert(6)</script>"
        '<iframe src="javascript:alert(8)"></iframe>'
        '<svg onload="alert(9)"><text>chart</text></svg>'
        f"<p>{html.escape('<a href=javascript:alert(10)>click</a> & <!-- -->')}</p>"
    )
    return page.replace("</main>", markup + "</main>")


def assert_inert(document: str, where: str) -> None:
    """Nothing in ``document`` can run: no script/iframe/img/svg/object elements, no on*
    handlers, no javascript:/data:/vbscript: URLs in any attribute — checked on the parsed
    tree (what a browser builds) and on the raw text."""
    import lxml.html

    root = lxml.html.document_fromstring(document)
    active = {"script", "iframe", "img", "svg", "object", "embed", "frame", "form", "base"}
    found = sorted({el.tag for el in root.iter() if isinstance(el.tag, str) and el.tag in active})
    assert found == [], f"{where}: active elements {found}"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: <{el.tag} {name}=…>"
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "srcset"):
                scheme = value.strip().lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:", "file:")), (
                    f"{where}: <{el.tag} {name}={value!r}>"
                )
    low = document.lower()
    assert "<script" not in low and "<img" not in low and "<iframe" not in low, where
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", low), where


# --------------------------------------------------------------------------------------------
# HTML renderings escape policy text
# --------------------------------------------------------------------------------------------


@pytest.fixture
def smtp_sink():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.mark.slow
def test_hostile_policy_text_is_inert_in_the_html_diff_and_the_alert_email(
    tmp_path, policy_server, smtp_sink
):
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    cfg = write_config(
        tmp_path / "pw.toml",
        policy_server.base,
        {"privacy-policy": "/privacy"},
        extra=f'notify = ["{smtp_sink.url()}"]',
    )
    env = H.cli_env(cfg, url)
    policy_server.set("/privacy", policy_page())
    assert H.cli(["crawl"], env).returncode == 0
    policy_server.set("/privacy", hostile_policy())
    crawl = H.cli(["crawl"], env)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert "changed" in crawl.stdout

    shown = H.cli(["show", "example", "privacy-policy"], env).stdout
    assert HOSTILE_TEXT in " ".join(shown.split())  # recorded as text, exactly as published

    page = H.cli(["diff", "example", "privacy-policy", "--format", "html"], env)
    assert page.returncode == 0, page.stderr
    assert_inert(page.stdout, "diff --format html")
    flat = " ".join(page.stdout.split())
    assert "&lt;script&gt;alert(&quot;pw&quot;)&lt;/script&gt;" in flat
    assert "&lt;img src=x onerror=alert(1)&gt;" in flat
    assert "develop and train artificial intelligence" in flat  # the change is there

    # markdown ends up as HTML in most viewers: no raw tags, no live javascript:/data: links
    md = H.cli(["diff", "example", "privacy-policy", "--format", "markdown"], env).stdout
    assert "&lt;script&gt;" in md
    assert "<script" not in md.lower() and "<img" not in md.lower(), md
    assert not re.search(r"(?<!\\)\]\(\s*(javascript|data|vbscript|file):", md, re.I), md

    assert len(smtp_sink.messages) == 1
    plain, html_part = smtp_sink.parts()
    assert html_part, "the alert e-mail has no HTML part"
    assert_inert(html_part, "alert e-mail (HTML part)")
    assert "&lt;script&gt;" in html_part and "develop and train artificial" in html_part
    assert HOSTILE_TEXT in " ".join(plain.split())  # readable, as written, in the plain part


# --------------------------------------------------------------------------------------------
# Secrets never appear
# --------------------------------------------------------------------------------------------

SMTP_FAIL_PASSWORD = "Fail-Smtp-Pw-8c1d"
JSON_PASSWORD = "Json-Basic-Pw-55aa"
QUERY_TOKEN = "QueryTok3nValue991"
DB_PASSWORD = "Db-Role-Pw-7f3e2a"


@contextlib.contextmanager
def pg_database_with_password(pg_available):
    """A database owned by a role that has a password; yields its URL (with the password)."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    if not pg_available:
        yield None
        return
    suffix = uuid.uuid4().hex[:8]
    role, name = f"pw_sec_{suffix}", f"pw_sec_{suffix}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{DB_PASSWORD}'")
        admin.execute(f'CREATE DATABASE "{name}" OWNER {role}')
    host = PG_ADMIN_URL.split("@", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql://{role}:{DB_PASSWORD}@{host}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.slow
def test_configured_secrets_never_appear_in_output_logs_or_the_database(
    tmp_path, policy_server, pg_available, processes_guard
):
    from tests.integration.test_notify_support import JSON_TOKEN, SMTP_PASSWORD

    smtp = SMTPSink().start()
    http = HTTPSink().start()
    try:
        with pg_database_with_password(pg_available) as pg_url:
            db_url = pg_url or f"sqlite:///{tmp_path / 'pw.db'}"
            secrets = [SMTP_PASSWORD, SMTP_FAIL_PASSWORD, JSON_PASSWORD, JSON_TOKEN, QUERY_TOKEN]
            if pg_url:
                secrets.append(DB_PASSWORD)
            channels = [
                smtp.url(),
                f"json://hook:{JSON_PASSWORD}@127.0.0.1:{http.port}/hook/{JSON_TOKEN}"
                f"?token={QUERY_TOKEN}",
                # nobody listens here: its errors get recorded and listed
                f"mailto://alerts:{SMTP_FAIL_PASSWORD}@127.0.0.1:{free_port()}"
                "?mode=insecure&from=a@example.com&to=b@example.com",
            ]
            notify = ", ".join(f'"{c}"' for c in channels)
            cfg = write_config(
                tmp_path / "pw.toml",
                policy_server.base,
                extra=f'notify = [{notify}]\nlog_level = "DEBUG"\n'
                "[alerts]\ntracking_failures = 1\nbackoff_seconds = 0.0\nsend_timeout = 5.0",
            )
            env = H.cli_env(cfg, db_url)
            outputs = []

            def run(*args: str, ok=(0,)):
                proc = H.cli(["-vv", *args], env)
                outputs.append((args, proc.stdout + proc.stderr))
                assert proc.returncode in ok, (args, proc.stdout, proc.stderr)
                return proc

            policy_server.set("/privacy", policy_page())
            run("crawl")
            # the AI change: an alert for each channel (two delivered, one failing)
            gate = H.Gate(policy_page(H.with_ai_clause()))
            policy_server.set("/privacy", gate)
            crawl = processes_guard.start(["-vv", "crawl"], env, tmp_path / "crawl.log")
            child = crawl.crawl_child()
            import psutil

            child_cmdline = " ".join(psutil.Process(child).cmdline())
            gate.open()
            assert crawl.wait() in (0, 3), crawl.output()
            outputs.append((("crawl", "(background)"), crawl.output()))
            # a failed fetch: tracking broken, alert per channel
            policy_server.set("/privacy", Page("", status=503))
            run("crawl", ok=(3,))
            for args in (
                ("runs",),
                ("runs", "--json"),
                ("alerts",),
                ("alerts", "--json"),
                ("status",),
                ("status", "--json"),
                ("history", "example"),
            ):
                run(*args, ok=(0, 1, 3))
            run("notify-test", ok=(0, 1))
            # the database itself must be unreachable-safe too: same URL, wrong port
            bad = db_url.replace(":5432/", f":{free_port()}/") if pg_url else None
            if bad:
                proc = H.cli(["-vv", "runs"], H.cli_env(cfg, bad))
                outputs.append((("runs", "(database down)"), proc.stdout + proc.stderr))
                assert proc.returncode == 1

            delivered = [str(m) for m in smtp.messages] + [p.body.decode() for p in http.posts]
            assert len(smtp.messages) >= 2 and len(http.posts) >= 2, "channels not exercised"
            for args, text in outputs:
                for secret in secrets:
                    assert secret not in text, f"{secret!r} leaked by policywatch {args}:\n{text}"
            everything = "\n".join(t for _a, t in outputs)
            # the outputs did talk about the channels and the database (masked)
            assert "mailto://ale…:****@127.0.0.1" in everything
            assert "json://hoo…:****@127.0.0.1" in everything
            if pg_url:
                assert "****@" in everything
                assert DB_PASSWORD not in child_cmdline
            # nor in what the database keeps (labels, errors, details)
            for secret in secrets:
                assert secret not in _database_text(db_url), secret
            for body in delivered:  # alerts themselves never carry a channel's credentials
                assert SMTP_FAIL_PASSWORD not in body and JSON_PASSWORD not in body
    finally:
        smtp.stop()
        http.stop()


def _database_text(url: str) -> str:
    engine = make_engine(url)
    try:
        with store.session_factory(engine)() as s:
            parts = []
            for a in s.scalars(select(Alert)):
                parts += [a.channel_label, a.last_error or "", a.subject, a.dedup_key]
            for r in s.scalars(select(CrawlRun)):
                parts += [r.error or "", str(r.stats or "")]
            for o in s.scalars(select(FetchOutcome)):
                parts.append(o.detail or "")
            for d in s.scalars(select(Document)):
                parts.append(d.last_failure_detail or "")
            return "\n".join(parts)
    finally:
        engine.dispose()


@pytest.fixture
def processes_guard():
    started: list[H.CliProcess] = []

    class Procs:
        def start(self, args, env, log_path) -> H.CliProcess:
            p = H.CliProcess(args, env, log_path)
            started.append(p)
            return p

    yield Procs()
    for p in started:
        p.kill()


# --------------------------------------------------------------------------------------------
# No local files: not from declarations, not through redirects
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file:/etc/passwd",
        "/etc/passwd",
        "ftp://127.0.0.1/etc/passwd",
        "data:text/html,<main>hello</main>",
        "gopher://127.0.0.1:70/1",
        " file:///etc/passwd",
    ],
)
def test_a_declaration_with_a_non_http_url_is_refused_at_config_load(tmp_path, url):
    cfg = tmp_path / "pw.toml"
    cfg.write_text(
        "[[service]]\n"
        'slug = "example"\n'
        'name = "Example"\n'
        "[[service.document]]\n"
        'kind = "privacy-policy"\n'
        f"url = {_toml_string(url)}\n",
        encoding="utf-8",
    )
    env = H.cli_env(cfg, f"sqlite:///{tmp_path / 'pw.db'}")
    for args in (["services"], ["crawl"]):
        proc = H.cli(args, env, timeout=60)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        line = proc.stderr.strip()
        assert "\n" not in line and "Traceback" not in line, proc.stderr
        assert "expected an http:// or https:// URL" in line and "local files" in line, line
    assert not (tmp_path / "pw.db").exists()  # refused before anything was opened


def test_overriding_a_builtin_document_with_a_file_url_is_refused(tmp_path):
    cfg = tmp_path / "pw.toml"
    cfg.write_text(
        '[[service]]\nslug = "linkedin"\n[[service.document]]\nkind = "privacy-policy"\n'
        'url = "file:///etc/shadow"\n',
        encoding="utf-8",
    )
    proc = H.cli(["services"], H.cli_env(cfg, f"sqlite:///{tmp_path / 'pw.db'}"), timeout=60)
    assert proc.returncode == 1 and "file://" in proc.stderr and "linkedin" in proc.stderr


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _crawl_routes(tmp_path, policy_server, routes: dict):
    """Serve each route at /d/KIND, declare one document per KIND, run `policywatch crawl
    --json` on a new SQLite file; returns (the finished process, the database URL)."""
    for kind, route in routes.items():
        policy_server.set(f"/d/{kind}", route)
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    cfg = write_config(
        tmp_path / "pw.toml", policy_server.base, {k: f"/d/{k}" for k in routes}, db_url=url
    )
    return H.cli(["crawl", "--json"], H.cli_env(cfg, url)), url


@pytest.mark.slow
def test_redirects_to_non_http_schemes_are_failed_and_read_nothing(tmp_path, policy_server):
    """302s (and a meta refresh) to file:, ftp: and data: URLs: failed fetches; no stored body
    contains a local file, nothing becomes a version. A 302 to an http page is followed."""
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("root:x:0:0:TOP-SECRET-LOCAL-FILE\n", encoding="utf-8")
    local = secret_file.as_uri()
    routes = {
        "to-file": (H.redirect(local), "redirect-refused"),
        "to-file-301": (H.redirect(local, status=301), "redirect-refused"),
        "to-file-307": (H.redirect(local, status=307), "redirect-refused"),
        "to-ftp": (H.redirect("ftp://127.0.0.1/etc/passwd"), "redirect-refused"),
        "to-data": (
            H.redirect("data:text/html,<main>" + "TOP-SECRET-DATA-URL " * 40 + "</main>"),
            "redirect-refused",
        ),
        "to-file-chain": (H.redirect("/d/to-file"), "redirect-refused"),
        "meta-refresh": (
            Page(
                f'<html><head><meta http-equiv="refresh" content="0; url={local}">'
                "</head><body><main>Redirecting…</main></body></html>"
            ),
            None,  # any failure reason: the page itself has no policy
        ),
        "to-http": (H.redirect("/elsewhere"), ""),
    }
    policy_server.set("/elsewhere", policy_page())
    proc, url = _crawl_routes(tmp_path, policy_server, {k: r for k, (r, _) in routes.items()})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    import json

    got = {
        r["document"]: (r["outcome"], r["reason"])
        for r in map(json.loads, proc.stdout.splitlines())
    }
    for kind, (_route, reason) in routes.items():
        outcome, why = got[kind]
        if reason == "":
            assert outcome == "new", (kind, got[kind])
        elif reason is None:
            assert outcome == "failed", (kind, got[kind])
        else:
            assert (outcome, why) == ("failed", reason), kind
    engine = make_engine(url)
    try:
        with store.session_factory(engine)() as s:
            stored = [store.load_body(s, b.sha256) for b in s.scalars(select(Blob))]
            snapped = {
                d.kind
                for d in s.scalars(
                    select(Document).join(Snapshot, Snapshot.document_id == Document.id)
                )
            }
    finally:
        engine.dispose()
    assert all(b"TOP-SECRET" not in body and b"root:x:0:0" not in body for body in stored)
    assert snapped <= {"meta-refresh", "to-http"}  # only real HTTP answers were stored


def test_meta_refreshes_to_http_pages_are_followed_whatever_the_page_encoding(
    tmp_path, policy_server
):
    """The crawl child looks for a meta refresh only in pages whose start mentions "refresh"
    (or holds NUL bytes): a refresh in any case, in a UTF-16 page, or after a long head must
    still be followed exactly as Scrapy's own middleware follows it."""
    policy_server.set("/target", policy_page())

    def refresh(head: str) -> str:
        return (
            f"<html><head>{head}<meta http-equiv='REFRESH' content='0; url=/target'></head>"
            "<body><main>Moved: this notice is not the policy.</main></body></html>"
        )

    utf16 = refresh("").encode("utf-16")
    pages = {
        "upper-case": Page(refresh("")),
        "late-in-head": Page(refresh("<title>x</title>" + "<meta name='k' content='v'>" * 80)),
        "utf-16": Page(utf16, headers={"Content-Type": "text/html; charset=utf-16"}),
        "no-refresh": Page(policy_page()),
    }
    proc, url = _crawl_routes(tmp_path, policy_server, pages)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    engine = make_engine(url)
    try:
        with store.session_factory(engine)() as s:
            final = {
                d.kind: snap.final_url
                for d, snap in s.execute(
                    select(Document, Snapshot).join(Snapshot, Snapshot.document_id == Document.id)
                )
            }
    finally:
        engine.dispose()
    assert {k: v.rsplit("/", 1)[-1] for k, v in final.items()} == {
        "upper-case": "target",
        "late-in-head": "target",
        "utf-16": "target",
        "no-refresh": "no-refresh",
    }
