"""Real loopback parts shared by the notify/outbox tests (no test functions here).

- :class:`SMTPSink`: an aiosmtpd server on 127.0.0.1 that requires AUTH with a known password
  (so the password really travels, and the tests can check it never shows up anywhere else).
- :class:`HTTPSink`: a threaded http.server that records JSON posts (Apprise ``json://`` and
  Mattermost ``mmost://`` webhooks).
- ``migrate``: builds the schema of a fresh database (tests/conftest.py's ``db_url`` gives a
  SQLite file and a throw-away PostgreSQL database) with Alembic ``upgrade head``.
- ``seed_change`` / ``seed_tracking``: Document, two Versions, Change and Findings via the ORM.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMTP_USER = "alerts"
SMTP_PASSWORD = "Sup3r-Secret-SMTP-pw"
HOOK_TOKEN = "mmTokenSecret0123456789"
JSON_TOKEN = "jsonPathToken9876543210"

OLD_CLAUSE = (
    "We use the data that we have about you to provide and personalize our Services, including "
    "with the help of automated systems and inferences we make."
)
NEW_CLAUSE = (
    "We may use your personal data to develop and train artificial intelligence (AI) models, "
    "and to provide and personalize our Services, including with the help of automated systems."
)
HOSTILE = 'Opt out in Settings <script>alert("pw")</script> <img src=x onerror=alert(1)>.'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------


class SMTPSink:
    """aiosmtpd on loopback; ``messages`` are parsed e-mails in arrival order."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.auth_ok = 0
        self._controller = None

    def url(self, **extra: str) -> str:
        query = "&".join(
            [
                "mode=insecure",
                "from=policywatch@example.com",
                "to=reader@example.com",
                *(f"{k}={v}" for k, v in extra.items()),
            ]
        )
        return f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{self.port}?{query}"

    def start(self) -> SMTPSink:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
                sink.messages.append(
                    email.message_from_bytes(envelope.content, policy=email.policy.default)
                )
                return "250 Message accepted"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == SMTP_USER.encode()
                and auth_data.password == SMTP_PASSWORD.encode()
            )
            if ok:
                sink.auth_ok += 1
            return AuthResult(success=ok)

        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=False,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def parts(self, index: int = -1) -> tuple[str, str]:
        """(text/plain, text/html) bodies of one received message."""
        msg = self.messages[index]
        plain = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        return (
            plain.get_content() if plain is not None else "",
            html.get_content() if html is not None else "",
        )


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HTTPSink:
    """A loopback endpoint that records POSTs and answers ``status`` (200 by default)."""

    status: int = 200
    posts: list[Post] = field(default_factory=list)
    port: int = 0

    def start(self) -> HTTPSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                sink.posts.append(Post(self.path, dict(self.headers), body))
                self.send_response(sink.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def json_url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook/{JSON_TOKEN}"

    def mattermost_url(self) -> str:
        return f"mmost://127.0.0.1:{self.port}/{HOOK_TOKEN}"


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


def migrate(url: str) -> str:
    """Build the schema the only supported way (Alembic ``upgrade head``)."""
    from monitor.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def make_settings(database_url: str, channels, **kw):
    """Settings with the built-in declarations (for service names) and fast retries."""
    from monitor.config import AlertSettings, Channel, Settings
    from monitor.declarations import load_builtin

    chans = tuple(c if isinstance(c, Channel) else Channel(url=c) for c in channels)
    alerts = AlertSettings(
        tracking_failures=kw.pop("tracking_failures", 3),
        max_attempts=kw.pop("max_attempts", 5),
        backoff_seconds=kw.pop("backoff_seconds", 60.0),
        send_timeout=kw.pop("send_timeout", 10.0),
    )
    return Settings(
        database_url=database_url,
        notify=chans,
        alert_on=kw.pop("alert_on", "ai"),
        alerts=alerts,
        declarations=load_builtin(),
        **kw,
    )


def sessionmaker_for(url: str):
    from sqlalchemy.orm import sessionmaker

    from monitor.db import make_engine

    return sessionmaker(make_engine(url), expire_on_commit=False)


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def _document(session, service: str, kind: str):
    from sqlalchemy import select

    from monitor.models import Document

    doc = session.scalar(select(Document).where(Document.service == service, Document.kind == kind))
    if doc is None:
        doc = Document(
            service=service,
            kind=kind,
            title="Privacy Policy" if kind == "privacy-policy" else "",
            url=f"https://www.{service}.com/legal/{kind}",
        )
        session.add(doc)
        session.flush()
    return doc


def seed_change(
    session,
    *,
    service: str = "linkedin",
    kind: str = "privacy-policy",
    change_class: str = "substantive",
    findings: list[dict] | None = None,
    technical: bool = False,
    first: bool = False,
    detected_at: datetime | None = None,
):
    """Document + Version(s) + Change + Findings, flushed (ids assigned), not committed."""
    from sqlalchemy import func, select

    from monitor.models import Change, Finding, Version

    doc = _document(session, service, kind)
    number = (
        session.scalar(select(func.max(Version.number)).where(Version.document_id == doc.id)) or 0
    )
    at = detected_at or datetime(2024, 9, 19, 6, 10, tzinfo=UTC)
    old_text = f"# Privacy Policy\n{OLD_CLAUSE}\nWe collect cookies.\nContact us."
    new_text = (
        f"# Privacy Policy\nEffective November 3, 2024\n{NEW_CLAUSE}\n{HOSTILE}\n"
        "We collect cookies & similar technologies.\nContact us."
    )
    old = None
    if not first:
        old = Version(
            document_id=doc.id,
            number=number + 1,
            fetched_at=at,
            text=old_text,
            text_sha256=f"{number + 1:064d}",
        )
        session.add(old)
        number += 1
    new = Version(
        document_id=doc.id,
        number=number + 1,
        fetched_at=at,
        text=new_text,
        text_sha256=f"{number + 1:064d}",
        effective_date="2024-11-03",
        technical=technical,
    )
    session.add(new)
    session.flush()
    change = Change(
        document_id=doc.id,
        from_version_id=old.id if old else None,
        to_version_id=new.id,
        detected_at=at,
        change_class="first" if first else change_class,
        added_chars=len(new_text),
        removed_chars=len(old_text) if old else 0,
        technical=technical,
    )
    session.add(change)
    session.flush()
    for f in findings if findings is not None else [AI_WIDENED]:
        session.add(Finding(change_id=change.id, **f))
    session.flush()
    return change


AI_WIDENED = {
    "kind": "widened",
    "category": "training",
    "severity": "high",
    "before": OLD_CLAUSE,
    "after": NEW_CLAUSE,
    "signals": ["train-ai-models", "personal-data"],
    "heading_path": ["Privacy Policy"],
    "explanation": "Your personal data may now be used to train AI models.",
}
AI_OPT_OUT = {
    "kind": "opt-out-added",
    "category": "opt-out",
    "severity": "low",
    "before": None,
    "after": HOSTILE,
    "signals": ["opt-out"],
    "heading_path": ["Privacy Policy"],
    "explanation": "An opt-out was added.",
}
PRESENT = dict(AI_WIDENED, kind="present", before=None)


def seed_tracking(session, kind: str = "broken", *, service: str = "linkedin"):
    from monitor.models import TrackingEvent

    doc = _document(session, service, "privacy-policy")
    event = TrackingEvent(
        document_id=doc.id,
        kind=kind,
        reason="login-wall" if kind == "broken" else None,
        detail="HTTP 200 but the page asks to sign in" if kind == "broken" else None,
        failures=5,
        at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
    )
    session.add(event)
    session.flush()
    return event


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
