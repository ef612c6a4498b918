"""Deliver queued alerts through Apprise, after commit, at least once.

Delivery protocol, one alert at a time:

1. **claim**: a due ``pending`` alert (or a ``sending`` one whose lease ran out, see 4) becomes
   ``sending`` with ``attempts + 1`` and ``next_attempt_at = now + lease``, by a conditional
   UPDATE that only one process can win; COMMIT.
2. **send** through Apprise, with no transaction open.
3. **record**: ``sent`` + ``sent_at``; or, on failure, back to ``pending`` with the masked error
   and ``next_attempt_at = now + backoff_seconds * 2 ** (attempts - 1)`` (capped at a day),
   or ``failed`` once ``attempts`` reaches ``alerts.max_attempts``; COMMIT.
4. **crash between 2 and 3** (killed, power loss, database gone): the row stays ``sending``.
   Nobody can know whether the message left, so once the lease (``2 * send_timeout + 60`` s)
   has run out the next run sends it again.

The trade-off: **at-least-once**. At-most-once (treat a stale ``sending`` row as sent) would
lose the alert whenever the crash happened before the message left, and a silently lost "LinkedIn
may now train AI on your data" message is the worst failure this product can have. A duplicate is
a nuisance the reader can recognise: every message carries the alert number ("Alert #17"), the
same for every attempt. Duplicates need a crash inside a window of one commit; a rerun of the
tracker never queues a second row (``dedup_key`` is unique per change or event and channel),
and a crash *before* the send re-sends nothing twice. A crash counts as an attempt, so an alert
that kills the process each time still ends as ``failed`` instead of looping forever.

Channel formats (chosen from the URL scheme):

- ``mailto://`` / ``mailtos://``: the HTML message (every piece of policy text escaped).
  Apprise sends it as multipart/alternative and derives the text/plain part from the HTML, so
  the HTML marks changed words with text markers (``[-…-]``, ``{+…+}``) as well as colour.
- ``slack://``: Slack mrkdwn, posted as Block Kit (``blocks=yes`` is set on the URL): in that
  mode Apprise passes our already-escaped mrkdwn through unchanged, where its legacy mode would
  escape it a second time. One section holds 3,000 characters, so the message is fitted to that.
- ``mmost://`` / ``mmosts://`` (Mattermost, Slack-compatible webhooks): the same mrkdwn,
  fitted to Apprise's 4,000-character limit for Mattermost.
- anything else: plain text; the complete text when it fits the service's limit, otherwise a
  compact one cut at a boundary and ending with "… see full diff: policywatch diff …".

Secrets: Apprise URLs carry passwords and tokens, and Apprise (and urllib3 below it) log URLs,
for example Mattermost's webhook URL at debug level. While a send runs, their loggers stop
propagating and a handler re-logs every record through ``monitor.notify.apprise`` after
:func:`monitor.secrets.redact` (every configured URL, its password and its path tokens). Errors
stored in ``alerts.last_error`` and returned to the CLI go through the same redaction.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor import compose, outbox
from monitor.secrets import redact

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from monitor.config import Settings

log = logging.getLogger(__name__)
library_log = logging.getLogger("monitor.notify.apprise")

__all__ = [
    "SendReport",
    "deliver",
    "lease_seconds",
    "notify_test",
    "sample_content",
    "send_pending",
]

EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
SLACK_SCHEMES = frozenset({"slack"})
MATTERMOST_SCHEMES = frozenset({"mmost", "mmosts"})
MAX_BACKOFF = timedelta(days=1)
#: Loggers that may print a channel URL while a message is sent.
LIBRARY_LOGGERS = ("apprise", "urllib3")


@dataclass(frozen=True)
class SendReport:
    """What one :func:`send_pending` run did; ``errors`` are masked and safe to print."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rendered:
    """A message ready for Apprise: title, body and Apprise's ``body_format`` (None = as is)."""

    url: str
    title: str
    body: str
    body_format: str | None
    style: str


def lease_seconds(settings: Settings) -> float:
    """How long a ``sending`` claim is trusted before the alert is considered interrupted."""
    return 2 * settings.alerts.send_timeout + 60


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _secrets(settings: Settings) -> list[str]:
    return [c.url for c in settings.notify]


# --------------------------------------------------------------------------------------------
# Keeping secrets out of library logs
# --------------------------------------------------------------------------------------------


class _RedactingHandler(logging.Handler):
    """Collects library records (redacted) and re-logs them under ``monitor.notify.apprise``."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.secrets = secrets
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += " | " + logging.Formatter().formatException(record.exc_info)
        except Exception:  # a library's broken log call must not break a send
            text = str(record.msg)
        text = redact(text, self.secrets)
        self.messages.append((record.levelno, text))
        # Library chatter goes out at DEBUG: our own log line reports the outcome.
        library_log.debug("%s: %s", record.name, text)


@contextlib.contextmanager
def _library_logs(secrets: list[str]) -> Iterator[_RedactingHandler]:
    handler = _RedactingHandler(secrets)
    saved = []
    for name in LIBRARY_LOGGERS:
        lg = logging.getLogger(name)
        saved.append((lg, lg.propagate, lg.level))
        lg.addHandler(handler)
        lg.propagate = False
    # Apprise's debug lines hold the reason of a failure ("Connection refused"): capture them.
    apprise_logger = saved[0][0]
    if apprise_logger.getEffectiveLevel() > logging.DEBUG:
        apprise_logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for lg, propagate, level in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate
            lg.setLevel(level)


_ERRNO = re.compile(r"\[Errno -?\d+\] [^\"')(]+")
_DEBUG_REASON = re.compile(r"Exception|Errno|refused|timed out|Timeout|unreachable|SSL", re.I)


def _error_text(messages: list[tuple[int, str]]) -> str:
    """The useful part of Apprise's log lines: its warnings, and the debug lines that carry
    the low-level reason ("Socket Exception: [Errno 111] Connection refused"). Payload dumps
    are skipped: they hold policy text, not the reason."""
    keep = [
        m
        for lvl, m in messages
        if lvl >= logging.WARNING
        or (_DEBUG_REASON.search(m) and "Payload" not in m and "Response Details" not in m)
    ]
    seen: list[str] = []
    for m in keep:
        m = " ".join(m.split())
        errno = _ERRNO.search(m)
        if errno:  # the innermost reason says it all ("[Errno 111] Connection refused")
            m = errno.group(0).rstrip(" .")
        m = m if len(m) <= 240 else m[:239] + "…"
        if m and m not in seen:
            seen.append(m)
    text = "; ".join(seen[-4:]) or "Apprise reported a failure without details"
    return text if len(text) <= 600 else text[:599] + "…"


# --------------------------------------------------------------------------------------------
# Choosing the format and sending one message
# --------------------------------------------------------------------------------------------


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].strip().lower() if "://" in url else ""


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _apprise(url: str, settings: Settings):
    """An Apprise object holding one channel, or None when the URL is not usable."""
    import apprise

    try:
        asset = apprise.AppriseAsset(
            app_id="policywatch",
            app_desc="policywatch alerts",
            app_url="https://github.com/policywatch/policywatch",
            storage_mode="memory",
            service_timeout=settings.alerts.send_timeout,
        )
    except TypeError:  # older Apprise without storage/timeout options
        asset = apprise.AppriseAsset(app_id="policywatch", app_desc="policywatch alerts")
    obj = apprise.Apprise(asset=asset)
    return obj if obj.add(url) and len(obj) == 1 else None


def render_for(url: str, content: compose.AlertContent, plugin: Any = None) -> Rendered:
    """Pick the format for a channel and render ``content`` within that channel's limits."""
    scheme = _scheme(url)
    title = compose.subject(content)
    if scheme in EMAIL_SCHEMES:
        return Rendered(url, title, compose.render_html(content), "html", "email")
    if scheme in SLACK_SCHEMES:
        limit = compose.SLACK_BLOCK_LIMIT
        body = compose.render_slack(content, block_limit=limit, total_limit=limit).mrkdwn
        return Rendered(_with_query(url, blocks="yes"), "", body, None, "slack")
    body_max = int(getattr(plugin, "body_maxlen", 0) or 32768)
    title_max = int(getattr(plugin, "title_maxlen", 250) if plugin is not None else 250)
    if scheme in MATTERMOST_SCHEMES:
        body = compose.render_slack(content, block_limit=body_max, total_limit=body_max).mrkdwn
        return Rendered(url, "", body, None, "mattermost")
    if title_max > 0:
        title = title if len(title) <= title_max else title[: title_max - 1] + "…"
        limit = body_max
    else:  # Apprise puts the title on the first line of the body
        limit = body_max - len(title) - 2
    formats = getattr(plugin, "notify_format", "text")
    if not isinstance(formats, (tuple, list)):
        formats = (formats,)
    if "text" not in {getattr(f, "value", f) for f in formats}:
        limit = int(limit * 0.9)  # Apprise escapes text for HTML/Markdown services
    return Rendered(url, title, compose.render_trimmed(content, max(40, limit)), "text", "text")


def deliver(url: str, content: compose.AlertContent, settings: Settings) -> tuple[bool, str]:
    """Send one message to one channel; returns (ok, masked error)."""
    secrets = _secrets(settings) + [url]
    with _library_logs(secrets) as captured:
        try:
            first = _apprise(url, settings)
            if first is None:
                return False, "not a valid Apprise URL, or its Apprise plugin is not available"
            rendered = render_for(url, content, first[0])
            obj = first if rendered.url == url else _apprise(rendered.url, settings)
            if obj is None:
                return False, "not a valid Apprise URL, or its Apprise plugin is not available"
            ok = bool(
                obj.notify(
                    body=rendered.body,
                    title=rendered.title,
                    body_format=rendered.body_format,
                    notify_type=_notify_type(content),
                )
            )
        except Exception as exc:  # a plugin bug must not stop the other alerts
            return False, redact(f"{type(exc).__name__}: {exc}", secrets)
    return (True, "") if ok else (False, _error_text(captured.messages))


def _notify_type(content: compose.AlertContent) -> str:
    if content.kind == "tracking":
        return "success" if content.tracking_kind == "resumed" else "warning"
    top = compose.most_severe(compose.alerting_findings(content.findings))
    return "failure" if top is not None and top.severity == "high" else "warning" if top else "info"


# --------------------------------------------------------------------------------------------
# The outbox sender
# --------------------------------------------------------------------------------------------


def _maker(engine_or_sessionmaker: Engine | sessionmaker[Session]) -> sessionmaker[Session]:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import sessionmaker

    if isinstance(engine_or_sessionmaker, Engine):
        return sessionmaker(engine_or_sessionmaker, expire_on_commit=False)
    return engine_or_sessionmaker


def _due(now: datetime):
    from sqlalchemy import and_, or_

    from monitor.models import Alert

    return or_(
        and_(
            Alert.status == "pending",
            or_(Alert.next_attempt_at.is_(None), Alert.next_attempt_at <= now),
        ),
        and_(Alert.status == "sending", Alert.next_attempt_at <= now),
    )


INTERRUPTED = (
    "the previous attempt was interrupted before its result was recorded; sent again "
    "(it may arrive twice, with the same alert number)"
)


def send_pending(
    engine_or_sessionmaker: Engine | sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    ids: list[int] | None = None,
) -> SendReport:
    """Deliver every due alert (or only ``ids``), one claim/send/record cycle each.

    ``now`` (UTC) decides what is due and stamps the result; it defaults to the clock. An
    alert whose channel is no longer configured stays pending, untouched, and is reported in
    ``errors``: a shell without ``POLICYWATCH_NOTIFY`` must not fail every queued alert.
    """
    from sqlalchemy import func, select, update

    from monitor.models import Alert

    maker = _maker(engine_or_sessionmaker)
    now = now or _utcnow()
    secrets = _secrets(settings)
    by_id = {ch.id: ch for ch in outbox.channels(settings)}
    lease = timedelta(seconds=lease_seconds(settings))
    sent = failed = 0
    errors: list[str] = []

    with maker() as session:
        query = select(Alert.id, Alert.status, Alert.channel_id, Alert.channel_label).where(
            _due(now)
        )
        if ids:
            query = query.where(Alert.id.in_(ids))
        due = session.execute(query.order_by(Alert.id)).all()

    for alert_id, seen_status, cid, label in due:
        channel = by_id.get(cid)
        if channel is None:
            errors.append(
                f"alert {alert_id}: channel {label} is not in the current configuration; "
                "left pending"
            )
            continue
        # 1. claim (one winner even with two senders), commit
        with maker() as session, session.begin():
            claimed = session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.status == seen_status, _due(now))
                .values(status="sending", attempts=Alert.attempts + 1, next_attempt_at=now + lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                continue
            alert = session.get(Alert, alert_id)
            attempts = alert.attempts
            error = ""
            try:
                content = outbox.build_content(session, settings, alert)
            except Exception as exc:  # a rendering bug: fail this alert visibly, keep going
                content = None
                error = redact(f"cannot build the message: {type(exc).__name__}: {exc}", secrets)
        # 2. send, outside any transaction
        if content is not None:
            ok, error = deliver(channel.url, content, settings)
        else:
            ok = False
        if seen_status == "sending":
            error = f"{INTERRUPTED}; {error}" if error else INTERRUPTED
        # 3. record, commit
        with maker() as session, session.begin():
            alert = session.get(Alert, alert_id)
            alert.last_error = error or None
            if ok:
                alert.status, alert.sent_at, alert.next_attempt_at = "sent", now, None
                sent += 1
                log.info("alert %d sent to %s: %s", alert_id, label, alert.subject)
            elif attempts >= settings.alerts.max_attempts:
                alert.status, alert.next_attempt_at = "failed", None
                failed += 1
                errors.append(
                    f"alert {alert_id} to {label}: {error} (gave up after {attempts} attempts)"
                )
                log.error(
                    "alert %d to %s failed for good after %d attempts: %s",
                    alert_id,
                    label,
                    attempts,
                    error,
                )
            else:
                delay = timedelta(seconds=settings.alerts.backoff_seconds * 2 ** (attempts - 1))
                alert.status, alert.next_attempt_at = "pending", now + min(delay, MAX_BACKOFF)
                errors.append(
                    f"alert {alert_id} to {label}: {error} (attempt {attempts}, will retry)"
                )
                log.warning(
                    "alert %d to %s failed (attempt %d of %d, next try %s): %s",
                    alert_id,
                    label,
                    attempts,
                    settings.alerts.max_attempts,
                    alert.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    error,
                )

    with maker() as session:
        pending = session.scalar(
            select(func.count(Alert.id)).where(Alert.status.in_(("pending", "sending")))
        )
    return SendReport(sent=sent, failed=failed, pending=int(pending or 0), errors=errors)


# --------------------------------------------------------------------------------------------
# notify-test
# --------------------------------------------------------------------------------------------


def sample_content(now: datetime | None = None) -> compose.AlertContent:
    """A made-up alert that shows every part of a real one (used by ``notify-test``)."""
    old = (
        "We use the data that we have about you to provide and personalise our Services, "
        "including with the help of automated systems."
    )
    new = (
        "We may use your personal data to provide and personalise our Services and to develop "
        "and train artificial intelligence (AI) models, including with the help of automated "
        "systems."
    )
    return compose.AlertContent(
        kind="change",
        alert_id=0,
        service="example",
        service_name="Example Service (policywatch test message)",
        document_kind="privacy-policy",
        document_title="Privacy Policy",
        source_url="https://example.com/privacy",
        detected_at=now or _utcnow(),
        change_class="substantive",
        from_version=1,
        to_version=2,
        effective_date=None,
        added_chars=len(new),
        removed_chars=len(old),
        findings=(
            compose.FindingView(
                kind="widened",
                category="training",
                severity="high",
                before=old,
                after=new,
                signals=("ai-model-training", "personal-data"),
                heading_path=("How we use your data",),
                explanation=(
                    "This is a test message from policywatch: a real alert explains here why "
                    "the change matters."
                ),
            ),
        ),
    )


def notify_test(settings: Settings, tag: str | None = None) -> list[tuple[str, bool, str]]:
    """Send a sample alert to each channel (or to those an alert tagged ``tag`` would reach).

    Returns ``(masked label, ok, masked error)`` per channel, in config order.
    """
    results = []
    content = sample_content()
    for ch in outbox.channels(settings):
        if tag is not None and not outbox.routes(ch.tags, [tag]):
            continue
        ok, error = deliver(ch.url, content, settings)
        results.append((ch.label, ok, error))
    return results
