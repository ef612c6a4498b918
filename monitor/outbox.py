"""The alert outbox: which Change or tracking event deserves an Alert, for which channel.

Why an outbox (DESIGN.md §3.5): the tracker calls :func:`enqueue_for_change` /
:func:`enqueue_for_tracking` inside the transaction that creates the Change (or the
TrackingEvent), so the alert rows commit together with what they report, or not at all. Sending
happens later, after commit, in monitor.notify; a crash can delay an alert but never lose it.
One row per (change or event, channel), keyed by ``dedup_key`` (unique in the schema), so a
rerun never queues a second copy.

What triggers a change alert (``alert_on``, default ``ai``):

- ``ai``: the change has AI findings (any kind but ``present``, which only restates a first
  version);
- ``substantive``: ``ai`` plus any substantive change;
- ``all``: any change, including links-only, formatting and date-only ones.

Never for a document's first version (``change_class = first``) nor for a technical change
(re-extraction: the page did not change, our reading of it did). Tracking alerts ("broken" /
"resumed") are not subject to ``alert_on``: the tracker raises them once per episode.

Routing with tags (Apprise's idea, applied here per alert): a channel without tags receives
every alert; a channel with tags receives an alert when the two tag sets share at least one tag
(``all`` on a channel matches everything). The tags an alert carries:

==========================  =================================================================
``change`` / ``tracking``   what the alert reports
``ai``                      the change has AI findings
``severity:<level>``        ``high``, ``medium``, ``low`` or ``info`` (most severe finding;
                            ``info`` for a change without findings; tracking broken is
                            ``medium``, resumed ``info``)
``finding:<kind>``          one per finding kind: ``added``, ``widened``, ``opt-out-removed`` …
``class:<change_class>``    ``substantive``, ``links-only``, ``formatting``, ``date-only``
``tracking:<kind>``         ``tracking:broken`` or ``tracking:resumed``
``service:<slug>``          e.g. ``service:linkedin``
``document:<slug>/<kind>``  e.g. ``document:linkedin/privacy-policy``
==========================  =================================================================

For example ``{url = "slack://…", tags = ["ai"]}`` sends only AI alerts to Slack while an
untagged ``mailto://…`` channel gets everything ``alert_on`` lets through.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from monitor import compose
from monitor.secrets import mask_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.config import Channel, Settings
    from monitor.models import Alert, Change, Document, TrackingEvent

log = logging.getLogger(__name__)

__all__ = [
    "ChannelRef",
    "alert_tags",
    "build_content",
    "channel_id",
    "channels",
    "enqueue_for_change",
    "enqueue_for_tracking",
    "list_alerts",
    "requeue",
    "routes",
    "should_alert",
]

TRACKING_SEVERITY = {"broken": "medium", "resumed": "info"}


# --------------------------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------------------------


def channel_id(url: str) -> str:
    """A stable id for a channel that does not store its secret.

    sha256 of the URL without its password, first 16 hex digits: rotating an SMTP password
    keeps the channel (and its pending alerts); a different webhook token is a different
    channel.
    """
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if parts.password is not None:
            user = parts.username or ""
            host = netloc.rsplit("@", 1)[1]
            netloc = f"{user}@{host}"
        ident = urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        ident = url.strip()
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ChannelRef:
    """A configured channel with its id and printable (masked) label."""

    id: str
    label: str
    channel: Channel

    @property
    def url(self) -> str:
        return self.channel.url

    @property
    def tags(self) -> tuple[str, ...]:
        return self.channel.tags


def channels(settings: Settings) -> list[ChannelRef]:
    """Configured channels in config order; a URL listed twice counts once."""
    seen: dict[str, ChannelRef] = {}
    for ch in settings.notify:
        cid = channel_id(ch.url)
        if cid not in seen:
            seen[cid] = ChannelRef(cid, mask_url(ch.url), ch)
    return list(seen.values())


def routes(channel_tags: tuple[str, ...] | list[str], alert_tags: list[str] | set[str]) -> bool:
    """Apprise-style routing: untagged channels take everything, tagged ones need an overlap."""
    wanted = {t.strip().lower() for t in channel_tags if t.strip()}
    if not wanted or "all" in wanted:
        return True
    return bool(wanted & {t.lower() for t in alert_tags})


# --------------------------------------------------------------------------------------------
# Deciding and enqueueing
# --------------------------------------------------------------------------------------------


def _finding_views(findings) -> tuple[compose.FindingView, ...]:
    return tuple(
        compose.FindingView(
            kind=f.kind,
            category=f.category or "",
            severity=f.severity or "info",
            before=f.before,
            after=f.after,
            signals=tuple(str(s) for s in (f.signals or ())),
            heading_path=tuple(str(h) for h in (f.heading_path or ())),
            explanation=f.explanation or "",
        )
        for f in findings
    )


def should_alert(alert_on: str, change_class: str, technical: bool, has_ai: bool) -> bool:
    """The ``alert_on`` rule (module docstring), as a pure function."""
    if technical or change_class == "first":
        return False
    if alert_on == "all":
        return True
    if alert_on == "substantive":
        return has_ai or change_class == "substantive"
    return has_ai


def alert_tags(
    kind: str,
    document: Document,
    *,
    change_class: str | None = None,
    findings: tuple[compose.FindingView, ...] = (),
    tracking_kind: str | None = None,
) -> list[str]:
    """The tag vocabulary of the module docstring, sorted for stable storage."""
    tags = {kind, f"service:{document.service}", f"document:{document.service}/{document.kind}"}
    if kind == "change":
        ai = compose.alerting_findings(findings)
        tags.add(f"class:{change_class}")
        tags.add(f"severity:{compose.max_severity(ai)}")
        if ai:
            tags.add("ai")
            tags.update(f"finding:{f.kind}" for f in ai)
    else:
        tags.add(f"tracking:{tracking_kind}")
        tags.add(f"severity:{TRACKING_SEVERITY.get(tracking_kind or '', 'info')}")
    return sorted(tags)


def _names(settings: Settings, document: Document) -> tuple[str, str, str]:
    """(service name, document title, source URL) from the declaration, else the row."""
    svc = settings.declarations.get(document.service) if settings.declarations else None
    decl = svc.document(document.kind) if svc else None
    service_name = svc.name if svc else document.service
    title = compose.document_title(document.kind, document.title or (decl.title if decl else None))
    url = document.url or (decl.url if decl else "")
    return service_name, title, url


def _exists(session: Session, key: str) -> bool:
    from sqlalchemy import select

    from monitor.models import Alert

    if any(isinstance(o, Alert) and o.dedup_key == key for o in session.new):
        return True
    return session.scalar(select(Alert.id).where(Alert.dedup_key == key)) is not None


def _enqueue(
    session: Session,
    settings: Settings,
    *,
    prefix: str,
    tags: list[str],
    subject: str,
    severity: str,
    document: Document,
    change_id: int | None = None,
    tracking_event_id: int | None = None,
) -> list[Alert]:
    from monitor.models import Alert

    created: list[Alert] = []
    for ch in channels(settings):
        if not routes(ch.tags, tags):
            continue
        key = f"{prefix}:{ch.id}"
        if _exists(session, key):
            log.debug("alert %s already queued", key)
            continue
        alert = Alert(
            dedup_key=key,
            change_id=change_id,
            tracking_event_id=tracking_event_id,
            document_id=document.id,
            channel_id=ch.id,
            channel_label=ch.label,
            tags=list(tags),
            status="pending",
            attempts=0,
            next_attempt_at=None,
            subject=subject,
            severity=severity,
        )
        session.add(alert)
        created.append(alert)
    return created


def enqueue_for_change(session: Session, settings: Settings, change: Change) -> list[Alert]:
    """Queue one Alert per matching channel for ``change`` (in the caller's transaction).

    The Change and its Finding rows must be flushed (they need ids); nothing is committed.
    Calling it twice for the same change queues nothing the second time.
    """
    from sqlalchemy import select

    from monitor.models import Document, Finding

    findings = _finding_views(
        session.scalars(select(Finding).where(Finding.change_id == change.id).order_by(Finding.id))
    )
    ai = compose.alerting_findings(findings)
    if not should_alert(settings.alert_on, change.change_class, bool(change.technical), bool(ai)):
        return []
    document = session.get(Document, change.document_id)
    if document is None:  # pragma: no cover - the foreign key makes this impossible
        raise ValueError(f"change {change.id} has no document")
    service_name, title, _url = _names(settings, document)
    tags = alert_tags("change", document, change_class=change.change_class, findings=findings)
    return _enqueue(
        session,
        settings,
        prefix=f"change:{change.id}",
        tags=tags,
        subject=compose.change_subject(service_name, title, change.change_class, findings),
        severity=compose.max_severity(ai),
        document=document,
        change_id=change.id,
    )


def enqueue_for_tracking(session: Session, settings: Settings, event: TrackingEvent) -> list[Alert]:
    """Queue one Alert per matching channel for a ``broken`` / ``resumed`` tracking event."""
    from monitor.models import Document

    if event.kind not in TRACKING_SEVERITY:
        return []
    document = session.get(Document, event.document_id)
    if document is None:  # pragma: no cover
        raise ValueError(f"tracking event {event.id} has no document")
    service_name, title, _url = _names(settings, document)
    tags = alert_tags("tracking", document, tracking_kind=event.kind)
    return _enqueue(
        session,
        settings,
        prefix=f"tracking:{event.id}",
        tags=tags,
        subject=compose.tracking_subject(service_name, title, event.kind, event.reason),
        severity=TRACKING_SEVERITY[event.kind],
        document=document,
        tracking_event_id=event.id,
    )


# --------------------------------------------------------------------------------------------
# From rows to the values compose renders
# --------------------------------------------------------------------------------------------


def build_content(session: Session, settings: Settings, alert: Alert) -> compose.AlertContent:
    """Read what ``alert`` reports and turn it into a :class:`compose.AlertContent`.

    The "rest of the diff" excerpt is computed here, at send time, from the two version texts:
    storing rendered bodies would freeze today's wording into the database.
    """
    from sqlalchemy import select

    from monitor.models import Change, Document, Finding, TrackingEvent, Version

    if alert.change_id is not None:
        change = session.get(Change, alert.change_id)
        document = session.get(Document, change.document_id)
        service_name, title, url = _names(settings, document)
        findings = _finding_views(
            session.scalars(
                select(Finding).where(Finding.change_id == change.id).order_by(Finding.id)
            )
        )
        new = session.get(Version, change.to_version_id)
        old = session.get(Version, change.from_version_id) if change.from_version_id else None
        items: tuple[compose.DiffItem, ...] = ()
        more = 0
        if old is not None:
            shown = [
                t for f in compose.alerting_findings(findings) for t in (f.before, f.after) if t
            ]
            items, more = compose.diff_excerpt(old.text, new.text, exclude=shown)
        return compose.AlertContent(
            kind="change",
            alert_id=alert.id,
            service=document.service,
            service_name=service_name,
            document_kind=document.kind,
            document_title=title,
            source_url=url,
            detected_at=change.detected_at,
            change_class=change.change_class,
            from_version=old.number if old else None,
            to_version=new.number,
            effective_date=new.effective_date,
            added_chars=change.added_chars or 0,
            removed_chars=change.removed_chars or 0,
            findings=findings,
            other_changes=items,
            more_changes=more,
            tags=tuple(alert.tags or ()),
        )
    event = session.get(TrackingEvent, alert.tracking_event_id)
    if event is None:
        raise ValueError(f"alert {alert.id} reports neither a change nor a tracking event")
    document = session.get(Document, event.document_id)
    service_name, title, url = _names(settings, document)
    return compose.AlertContent(
        kind="tracking",
        alert_id=alert.id,
        service=document.service,
        service_name=service_name,
        document_kind=document.kind,
        document_title=title,
        source_url=url,
        detected_at=event.at,
        tracking_kind=event.kind,
        tracking_reason=event.reason,
        tracking_detail=event.detail,
        failures=event.failures or 0,
        tags=tuple(alert.tags or ()),
    )


# --------------------------------------------------------------------------------------------
# Listing and requeueing (CLI)
# --------------------------------------------------------------------------------------------


def list_alerts(
    session: Session, *, status: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Alerts newest first, with the fields of DESIGN.md §5 (plus a few more); timestamps
    stay datetimes for the caller to format.

    ``channel`` is the masked label stored at enqueue time; the URL itself is never stored.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from monitor.models import Alert

    query = select(Alert).options(selectinload(Alert.document)).order_by(Alert.id.desc())
    if status:
        query = query.where(Alert.status == status)
    if limit:
        query = query.limit(limit)
    rows = []
    for a in session.scalars(query):
        doc = a.document
        rows.append(
            {
                "alert": a.id,
                "channel": a.channel_label,
                "status": a.status,
                "attempts": a.attempts,
                "service": doc.service if doc else None,
                "document": doc.kind if doc else None,
                "subject": a.subject,
                "created_at": a.created_at,
                "sent_at": a.sent_at,
                "kind": "change" if a.change_id is not None else "tracking",
                "severity": a.severity,
                "tags": list(a.tags or ()),
                "next_attempt_at": a.next_attempt_at,
                "last_error": a.last_error,
            }
        )
    return rows


def requeue(session: Session, *, ids: list[int] | None = None, include_failed: bool = True) -> int:
    """Make alerts due now: failed ones start over (attempts reset), pending ones skip their
    backoff wait. Returns how many rows changed; the caller commits."""
    from sqlalchemy import update

    from monitor.models import Alert

    statuses = ["pending", "failed"] if include_failed else ["pending"]
    stmt = update(Alert).where(Alert.status.in_(statuses))
    if ids:
        stmt = stmt.where(Alert.id.in_(ids))
    failed = session.execute(
        stmt.where(Alert.status == "failed").values(
            status="pending", attempts=0, next_attempt_at=None
        )
    ).rowcount
    waiting = session.execute(
        stmt.where(Alert.status == "pending", Alert.next_attempt_at.is_not(None)).values(
            next_attempt_at=None
        )
    ).rowcount
    return (failed or 0) + (waiting or 0)
