"""Render alerts: subject, plain text, HTML email, Slack mrkdwn and short text for small channels.

Pure (DESIGN.md §3.6): every function takes frozen values and returns strings. The outbox builds
an :class:`AlertContent` from the ORM rows; the notifier picks the format a channel understands.
Nothing here knows about Apprise, the database or the network, so every format is covered by
golden files (tests/unit/golden/).

Why the formats look the way they do:

- **Policy text is untrusted input.** A page can contain ``<script>``, ``<img onerror=…>`` or
  Slack control sequences (``<!channel>``). HTML escapes every character of it (and only
  ``http``/``https`` source URLs become links); Slack escapes ``&``, ``<`` and ``>`` as Slack
  asks, so no policy text can become a link, a mention or markup.
- **Changed words are marked with text, not only with colour**: ``[-removed-]`` and
  ``{+added+}`` (wdiff notation) in every format. Colour and strike-through are added on top in
  HTML and Slack, but the markers survive any conversion (Apprise derives the e-mail's
  plain-text part from the HTML part), colour blindness and screen readers.
- **Never a silent truncation.** When a channel limits the size of a message, the text is cut
  at a line or word boundary and ends with ``… see full diff: policywatch diff …``, the command
  that shows everything.
- **Stable alert id in every message.** Delivery is at-least-once (see monitor.notify); a
  repeated id tells the reader that a second message is a re-delivery, not a new change.
"""

from __future__ import annotations

import difflib
import functools
import html
import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "AlertContent",
    "DiffItem",
    "FindingView",
    "SlackMessage",
    "change_subject",
    "diff_excerpt",
    "document_title",
    "most_severe",
    "render_html",
    "render_slack",
    "render_text",
    "render_trimmed",
    "slack_escape",
    "subject",
    "word_segments",
]

DELETE, EQUAL, INSERT = -1, 0, 1

SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1, "info": 0}
# Among findings of equal severity, the one that matters most to a user names the subject.
KIND_RANK = {
    "opt-out-removed": 7,
    "added": 6,
    "widened": 5,
    "reworded": 4,
    "removed": 3,
    "narrowed": 2,
    "opt-out-added": 1,
    "present": 0,
}
KIND_VERB = {
    "added": "added",
    "widened": "widened",
    "narrowed": "narrowed",
    "removed": "removed",
    "reworded": "reworded",
    "present": "present",
}
CLASS_WORDING = {
    "substantive": "substantive",
    "links-only": "links only",
    "formatting": "formatting only",
    "date-only": "date only",
    "first": "first version",
}
REASON_WORDING = {
    "login-wall": "login wall",
    "blocked": "blocked by the site",
    "structure-changed": "selector no longer matches",
    "not-found": "page not found",
    "too-short": "text too short",
    "transient": "network errors",
    "captcha": "CAPTCHA",
    "consent": "consent wall",
}

#: Slack: one mrkdwn text block holds at most 3,000 characters, a message about 40,000.
SLACK_BLOCK_LIMIT = 3000
SLACK_TOTAL_LIMIT = 40000
# Longest clause shown in full formats (a defence against a whole page parsed as one clause).
FULL_CLAUSE_LIMIT = 6000
ELLIPSIS = "…"


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    """One AI finding as the message shows it (mirrors monitor.findings.FindingData)."""

    kind: str
    category: str
    severity: str
    before: str | None
    after: str | None
    signals: tuple[str, ...] = ()
    heading_path: tuple[str, ...] = ()
    explanation: str = ""


@dataclass(frozen=True)
class DiffItem:
    """One changed passage outside the AI findings: ``added``, ``removed`` or ``changed``.

    ``segments`` are word-diff ops ``(op, text)``; for ``added``/``removed`` a single segment.
    """

    kind: str
    segments: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class AlertContent:
    """Everything one alert message says, as plain values (built by monitor.outbox).

    ``kind`` is ``change`` or ``tracking``. ``alert_id`` is the outbox row id, shown in every
    message so a re-delivery is recognisable.
    """

    kind: str
    alert_id: int
    service: str
    service_name: str
    document_kind: str
    document_title: str
    source_url: str
    detected_at: datetime
    # change alerts
    change_class: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    effective_date: str | None = None
    added_chars: int = 0
    removed_chars: int = 0
    findings: tuple[FindingView, ...] = ()
    other_changes: tuple[DiffItem, ...] = ()
    more_changes: int = 0
    # tracking alerts
    tracking_kind: str | None = None
    tracking_reason: str | None = None
    tracking_detail: str | None = None
    failures: int = 0
    tags: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.service_name} · {self.document_title}"

    @property
    def more_command(self) -> str:
        """The CLI command that shows everything this message may have left out."""
        svc, kind = shlex.quote(self.service), shlex.quote(self.document_kind)
        if self.kind == "change" and self.to_version is not None:
            if self.from_version is None:
                return f"policywatch show {svc} {kind} --version {self.to_version}"
            return (
                f"policywatch diff {svc} {kind} --from {self.from_version} --to {self.to_version}"
            )
        return f"policywatch history {svc} {kind}"

    @property
    def pointer(self) -> str:
        what = "full diff" if self.kind == "change" else "details"
        return f"{ELLIPSIS} see {what}: {self.more_command}"


@dataclass(frozen=True)
class SlackMessage:
    """Slack mrkdwn split into text blocks (each <= the block limit); ``text`` is the fallback."""

    text: str
    blocks: tuple[str, ...]

    @property
    def mrkdwn(self) -> str:
        """All blocks as one mrkdwn message (what goes into a single webhook ``text``)."""
        return "\n\n".join(self.blocks)

    def payload(self) -> dict:
        """A Slack Block Kit payload (used for the golden file; shape of chat.postMessage)."""
        return {
            "text": self.text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": b}} for b in self.blocks
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.payload(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# Words, subjects and small helpers
# --------------------------------------------------------------------------------------------


def document_title(kind: str, title: str | None = None) -> str:
    """``privacy-policy`` -> ``Privacy Policy`` unless a title is known."""
    if title and title.strip():
        return title.strip()
    return " ".join(w.capitalize() for w in re.split(r"[-_\s]+", kind) if w) or kind


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _reason(reason: str | None) -> str:
    if not reason:
        return "unknown reason"
    return REASON_WORDING.get(reason, reason.replace("-", " "))


def _clause_noun(category: str) -> str:
    return "AI-training clause" if ("train" in category or not category) else "AI clause"


def finding_phrase(f: FindingView) -> str:
    """``AI-training clause added``, ``AI opt-out removed`` …"""
    if f.kind.startswith("opt-out-"):
        return f"AI opt-out {f.kind.removeprefix('opt-out-')}"
    return f"{_clause_noun(f.category)} {KIND_VERB.get(f.kind, f.kind.replace('-', ' '))}"


def _finding_rank(f: FindingView) -> tuple[int, int]:
    return SEVERITY_RANK.get(f.severity, 0), KIND_RANK.get(f.kind, 0)


def alerting_findings(findings: Iterable[FindingView]) -> list[FindingView]:
    """Findings that describe a change (``present`` only restates a first version), most
    severe first so that the finding the subject names is the first one a reader sees."""
    return sorted((f for f in findings if f.kind != "present"), key=_finding_rank, reverse=True)


def most_severe(findings: Sequence[FindingView]) -> FindingView | None:
    """Highest severity first, then the kind that matters most; ties keep document order."""
    best: FindingView | None = None
    for f in findings:
        if best is None or _finding_rank(f) > _finding_rank(best):
            best = f
    return best


def max_severity(findings: Iterable[FindingView]) -> str:
    best = max((SEVERITY_RANK.get(f.severity, 0) for f in findings), default=0)
    return next(k for k, v in SEVERITY_RANK.items() if v == best)


def change_subject(
    service_name: str, doc_title: str, change_class: str, findings: Sequence[FindingView]
) -> str:
    """Subject of a change alert, from the most severe finding (or the change class)."""
    label = _one_line(f"{service_name} · {doc_title}")
    ai = alerting_findings(findings)
    top = most_severe(ai)
    if top is None:
        return f"{label} changed ({CLASS_WORDING.get(change_class, change_class)})"
    more = f" (+{len(ai) - 1} more)" if len(ai) > 1 else ""
    return f"{label}: {finding_phrase(top)}{more}"


def tracking_subject(service_name: str, doc_title: str, kind: str, reason: str | None) -> str:
    label = _one_line(f"{service_name} · {doc_title}")
    if kind == "broken":
        return f"{label}: tracking broken ({_reason(reason)})"
    return f"{label}: tracking {kind}"


def subject(content: AlertContent) -> str:
    if content.kind == "tracking":
        return tracking_subject(
            content.service_name,
            content.document_title,
            content.tracking_kind or "broken",
            content.tracking_reason,
        )
    return change_subject(
        content.service_name,
        content.document_title,
        content.change_class or "substantive",
        content.findings,
    )


def _when(dt: datetime) -> str:
    dt = dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    return dt.strftime("%Y-%m-%d %H:%M UTC")


def _safe_url(url: str) -> str | None:
    """Only http(s) URLs may become links (a declaration could hold ``javascript:``)."""
    url = url.strip()
    return url if re.match(r"^https?://[^\s]+$", url, re.IGNORECASE) else None


# --------------------------------------------------------------------------------------------
# Word diff of clauses
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


#: Above this many token comparisons the middle of two clauses is shown as one replacement:
#: difflib is quadratic, and a "clause" that is really a whole page must not stall a send.
WORD_DIFF_BUDGET = 2_000_000


def word_segments(old: str, new: str) -> list[tuple[int, str]]:
    """Word-level diff ops ``(op, text)`` between two clauses (DELETE -1, EQUAL 0, INSERT 1).

    difflib on word tokens is enough for clause-sized inputs and is deterministic; a lone
    word, space or punctuation mark between two changes is folded into them so that an edit
    reads as one replaced phrase. Joining the EQUAL+DELETE texts gives ``old`` back, the
    EQUAL+INSERT texts ``new``.
    """
    return list(_word_segments(old, new))


@functools.lru_cache(maxsize=512)
def _word_segments(old: str, new: str) -> tuple[tuple[int, str], ...]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    # Common prefix and suffix first: cheap, and most clause edits touch the middle only.
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    mid_a, mid_b = a[start : len(a) - end], b[start : len(b) - end]
    ops: list[tuple[int, str]] = [(EQUAL, "".join(a[:start]))]
    if len(mid_a) * len(mid_b) > WORD_DIFF_BUDGET:
        ops += [(DELETE, "".join(mid_a)), (INSERT, "".join(mid_b))]
    else:
        matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                ops.append((EQUAL, "".join(mid_a[i1:i2])))
                continue
            if i2 > i1:
                ops.append((DELETE, "".join(mid_a[i1:i2])))
            if j2 > j1:
                ops.append((INSERT, "".join(mid_b[j1:j2])))
    ops.append((EQUAL, "".join(a[len(a) - end :])))
    return tuple(_fold_small_equalities([(op, t) for op, t in ops if t]))


def _fold_small_equalities(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Fold a space, a punctuation mark or a short word between two changes into both sides.

    "[-the-] to [-our-]" reads better as "[-the to our-]"; repeated until nothing changes, so a
    run of small edits becomes one phrase, while "[-language-]{+AI+} models" keeps its shared
    word unmarked.
    """
    for _ in range(len(ops)):
        folded: list[tuple[int, str]] = []
        changed = False
        for i, (op, text) in enumerate(ops):
            core = text.strip()
            # whitespace, punctuation, or one short word ("the", "to", "use")
            small = op == EQUAL and (
                not any(ch.isalnum() for ch in core)
                or (len(core) <= 3 and not any(ch.isspace() for ch in core))
            )
            if small and 0 < i < len(ops) - 1 and ops[i - 1][0] != EQUAL and ops[i + 1][0] != EQUAL:
                folded += [(DELETE, text), (INSERT, text)]
                changed = True
            else:
                folded.append((op, text))
        ops = _merge_runs(folded)
        if not changed:
            break
    return ops


def _merge_runs(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join neighbours: one delete then one insert per changed run, equal text joined."""
    merged: list[tuple[int, str]] = []
    run: list[tuple[int, str]] = []

    def flush() -> None:
        for wanted in (DELETE, INSERT):
            text = "".join(t for o, t in run if o == wanted)
            if text:
                merged.append((wanted, text))
        run.clear()

    for op, text in ops:
        if op == EQUAL:
            flush()
            if merged and merged[-1][0] == EQUAL:
                merged[-1] = (EQUAL, merged[-1][1] + text)
            else:
                merged.append((EQUAL, text))
        else:
            run.append((op, text))
    flush()
    return merged


Ops = list[tuple[int, str]]


def _side(ops: Sequence[tuple[int, str]], wanted: int) -> Ops:
    """One side of a word diff: the unchanged text and this side's changes (``wanted`` op)."""
    return [(op, text) for op, text in ops if op in (EQUAL, wanted)]


def _window(ops: Sequence[tuple[int, str]], budget: int, context: int = 80) -> Ops:
    """Shorten unchanged stretches to ``context`` characters around changes, then cap the total.

    Cuts happen only inside unchanged text or inside one changed run (whose markers are added
    by the renderer afterwards), so a marker is never left open.
    """
    if sum(len(t) for _, t in ops) <= budget:
        return list(ops)
    if all(op == EQUAL for op, _ in ops):  # a new or removed clause: show how it starts
        return [(EQUAL, _cut_right("".join(t for _, t in ops), max(1, budget - 1)) + ELLIPSIS)]
    out: Ops = []
    last = len(ops) - 1
    for i, (op, text) in enumerate(ops):
        if (
            op != EQUAL
            or len(text) <= context + 1
            or (0 < i < last and len(text) <= 2 * context + 1)
        ):
            out.append((op, text))
        elif i == 0:
            out.append((EQUAL, ELLIPSIS + _cut_left(text, context)))
        elif i == last:
            out.append((EQUAL, _cut_right(text, context) + ELLIPSIS))
        else:
            middle = f"{_cut_right(text, context)} {ELLIPSIS} {_cut_left(text, context)}"
            out.append((EQUAL, middle))
    total = 0
    capped: Ops = []
    for op, text in out:
        room = budget - total
        if room <= len(ELLIPSIS) + 1:
            capped.append((EQUAL, ELLIPSIS))
            break
        if len(text) > room:
            capped.append((op, _cut_right(text, room - 1) + ELLIPSIS))
            break
        capped.append((op, text))
        total += len(text)
    return capped


def _cut_right(text: str, n: int) -> str:
    """The first ``n`` characters of ``text``, cut back to a word boundary when possible."""
    if len(text) <= n:
        return text
    cut = text[:n]
    space = cut.rfind(" ")
    return (cut[:space] if space > n // 2 else cut).rstrip()


def _cut_left(text: str, n: int) -> str:
    """The last ``n`` characters of ``text``, started at a word boundary when possible."""
    if len(text) <= n:
        return text
    cut = text[-n:]
    space = cut.find(" ")
    return (cut[space + 1 :] if 0 <= space < n // 2 else cut).lstrip()


def _clause_sides(f: FindingView) -> tuple[Ops | None, Ops | None]:
    """Before/after with the changed words marked (a whole new or removed clause is unmarked)."""
    before = _one_line(f.before) if f.before else None
    after = _one_line(f.after) if f.after else None
    if before and after:
        ops = word_segments(before, after)
        return _side(ops, DELETE), _side(ops, INSERT)
    return ([(EQUAL, before)] if before else None), ([(EQUAL, after)] if after else None)


# --------------------------------------------------------------------------------------------
# The rest of the diff (computed by the outbox at send time, rendered here)
# --------------------------------------------------------------------------------------------


def _pair_paragraphs(olds: list[str], news: list[str]) -> list[tuple[str | None, str | None]]:
    """Pair each old paragraph with the most similar later new one (in order), if similar
    enough to read as an edit; the rest are plain removals and additions."""
    out: list[tuple[str | None, str | None]] = []
    words = [[t for t in _TOKEN.findall(n) if not t.isspace()] for n in news]
    j = 0
    for o in olds:
        best, best_ratio = None, 0.5
        old_words = [t for t in _TOKEN.findall(o) if not t.isspace()]
        for k in range(j, len(news)):
            matcher = difflib.SequenceMatcher(None, old_words, words[k], autojunk=False)
            if matcher.real_quick_ratio() > best_ratio and matcher.quick_ratio() > best_ratio:
                ratio = matcher.ratio()
                if ratio > best_ratio:
                    best, best_ratio = k, ratio
        if best is None:
            out.append((o, None))
            continue
        out += [(None, n) for n in news[j:best]]
        out.append((o, news[best]))
        j = best + 1
    out += [(None, n) for n in news[j:]]
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def diff_excerpt(
    old_text: str, new_text: str, exclude: Iterable[str] = (), *, max_items: int = 4
) -> tuple[tuple[DiffItem, ...], int]:
    """Changed passages (paragraph level) outside the given clauses: (first items, how many more).

    Paragraphs that contain one of the ``exclude`` clauses (the AI findings, already shown in
    full) are skipped. A paragraph replaced by one other paragraph is shown as a word diff.
    """
    old_lines = [ln for ln in old_text.splitlines() if ln.strip()]
    new_lines = [ln for ln in new_text.splitlines() if ln.strip()]
    skip = [_norm(c) for c in exclude if c and c.strip()]

    def shown(line: str) -> bool:
        n = _norm(line)
        return not any(c in n or n in c for c in skip)

    items: list[DiffItem] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds = [_one_line(ln) for ln in old_lines[i1:i2]]
        news = [_one_line(ln) for ln in new_lines[j1:j2]]
        for o, n in _pair_paragraphs(olds, news):
            if (o and not shown(o)) or (n and not shown(n)):
                continue  # an AI finding shows this paragraph in full
            if o and n:
                items.append(DiffItem("changed", tuple(word_segments(o, n))))
            elif o:
                items.append(DiffItem("removed", ((DELETE, o),)))
            else:
                items.append(DiffItem("added", ((INSERT, n),)))
    return tuple(items[:max_items]), max(0, len(items) - max_items)


# --------------------------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------------------------


def _text_ops(ops: Sequence[tuple[int, str]]) -> str:
    out = []
    for op, t in ops:
        lead, core, trail = _split_space(t)
        if op == EQUAL or not core:
            out.append(t)
        else:
            out.append(lead + (f"[-{core}-]" if op == DELETE else f"{{+{core}+}}") + trail)
    return "".join(out)


def _meta_lines(c: AlertContent) -> list[tuple[str, str]]:
    rows = [
        ("Service", f"{c.service_name} ({c.service})"),
        ("Document", f"{c.document_title} ({c.service}/{c.document_kind})"),
    ]
    if c.kind == "change":
        rows.append(("Detected", _when(c.detected_at)))
        if c.effective_date:
            rows.append(("Effective", c.effective_date))
        versions = (
            f"version {c.from_version} → {c.to_version}"
            if c.from_version is not None
            else f"version {c.to_version}"
        )
        cls = CLASS_WORDING.get(c.change_class or "", c.change_class or "")
        rows.append(
            ("Change", f"{versions} ({cls}, +{c.added_chars} / −{c.removed_chars} characters)")
        )
    else:
        rows.append(("Since" if c.tracking_kind == "broken" else "Resumed", _when(c.detected_at)))
    return rows


def _tracking_paragraphs(c: AlertContent) -> list[tuple[str, str]]:
    """(heading, text) pairs of a tracking alert; shared by every format."""
    if c.tracking_kind == "broken":
        paras = [
            (
                "What happened",
                f"{c.failures} fetches in a row failed ({_reason(c.tracking_reason)}).",
            ),
        ]
        if c.tracking_detail:
            paras.append(("Last error", _one_line(c.tracking_detail)[:500]))
        paras.append(
            (
                "What it means",
                "policywatch cannot read this document at the moment, so it cannot report "
                "changes to it. The last good version stands; nothing was recorded as deleted.",
            )
        )
        paras.append(
            (
                "What to do",
                "Open the page in a browser. If it moved or its layout changed, update the "
                "declaration (URL or selectors). You get one more message when tracking resumes.",
            )
        )
        return paras
    return [
        (
            "What happened",
            f"The document can be read again after {c.failures} failed fetches. "
            "Any change made in the meantime is compared and reported as usual.",
        )
    ]


def _footer_lines(c: AlertContent) -> list[tuple[str, str]]:
    rows = [("Source", c.source_url)] if c.source_url else []
    rows.append(("Full diff" if c.kind == "change" else "History", c.more_command))
    return rows


ALERT_ID_NOTE = "a message repeating this number is a re-delivery"


def _finding_header(i: int, f: FindingView) -> str:
    return f"{i}. {finding_phrase(f)} · severity {f.severity} · {f.category or 'uncategorised'}"


def render_text(c: AlertContent) -> str:
    """The complete plain-text message (generic channels with room, CLI preview, demo)."""
    lines = [subject(c), ""]
    width = max(len(k) for k, _ in _meta_lines(c) + _footer_lines(c)) + 1
    lines += [f"{k + ':':<{width}} {v}" for k, v in _meta_lines(c)]
    if c.kind == "tracking":
        for head, text in _tracking_paragraphs(c):
            lines += ["", f"{head}: {text}"]
    else:
        ai = alerting_findings(c.findings)
        if ai:
            lines += ["", f"AI FINDINGS ({len(ai)})"]
        for i, f in enumerate(ai, 1):
            lines += ["", _finding_header(i, f)]
            if f.heading_path:
                lines.append("   Section: " + " › ".join(f.heading_path))
            before, after = _clause_sides(f)
            lines.append(
                "   Before: "
                + (_text_ops(_clip_pieces(before)) if before else "(none: new clause)")
            )
            lines.append(
                "   After:  " + (_text_ops(_clip_pieces(after)) if after else "(clause removed)")
            )
            if f.explanation:
                lines.append("   Why it matters: " + _one_line(f.explanation))
            if f.signals:
                lines.append("   Signals: " + ", ".join(f.signals))
        if c.other_changes:
            title = "OTHER CHANGES (excerpt)" if ai else "WHAT CHANGED (excerpt)"
            lines += ["", title]
            for item in c.other_changes:
                lines.append(f" {_item_mark(item)} " + _text_ops(_window(item.segments, 400)))
            if c.more_changes:
                lines.append(f" … and {c.more_changes} more changed passages")
    lines.append("")
    lines += [f"{k + ':':<{width}} {v}" for k, v in _footer_lines(c)]
    lines += ["", f"Alert #{c.alert_id} ({ALERT_ID_NOTE})."]
    return "\n".join(lines) + "\n"


def _item_mark(item: DiffItem) -> str:
    return {"added": "+", "removed": "-", "changed": "~"}.get(item.kind, "*")


def _compact_text(c: AlertContent) -> str:
    """The most useful lines first, for channels with little room (SMS, push)."""
    # The alert number goes on the second line so that no cut can remove it.
    lines = [subject(c)]
    if c.kind == "tracking":
        lines.append(f"Alert #{c.alert_id} · {_when(c.detected_at)}")
        for head, text in _tracking_paragraphs(c)[:2]:
            lines.append(f"{head}: {text}")
    else:
        when = f"Alert #{c.alert_id} · detected {_when(c.detected_at)}"
        if c.effective_date:
            when += f", effective {c.effective_date}"
        lines.append(when)
        for f in alerting_findings(c.findings):
            before, after = _clause_sides(f)
            if f.explanation:
                lines.append(f"{finding_phrase(f)}: {_one_line(f.explanation)}")
            else:
                lines.append(f"{finding_phrase(f)}:")
            if after:
                lines.append("Now: " + _text_ops(_window(after, 300, context=60)))
            elif before:
                lines.append("Removed: " + _text_ops(_window(before, 300, context=60)))
        for item in c.other_changes:
            lines.append(f"{_item_mark(item)} " + _text_ops(_window(item.segments, 200)))
    if c.source_url:
        lines.append(c.source_url)
    return "\n".join(lines)


def render_trimmed(c: AlertContent, limit: int) -> str:
    """Plain text that fits ``limit`` characters.

    The full text when it fits; otherwise the compact text (most useful lines first), cut at a
    line or word boundary if need be, and always ended by ``… see full diff: <command>`` so
    the reader knows there is more. Below the room for the subject and that pointer, the
    subject alone (what happened matters more than where to read the rest).
    """
    full = render_text(c)
    if len(full) <= limit:
        return full
    head = subject(c)
    pointer = "\n" + c.pointer
    if len(head) + len(pointer) > limit:
        return head if len(head) <= limit else _cut_right(head, max(1, limit - 1)) + ELLIPSIS
    compact = _compact_text(c)
    room = limit - len(pointer)
    if len(compact) <= room:
        return compact + pointer
    cut = compact[:room]
    newline = cut.rfind("\n")
    if newline > room * 2 // 3 or newline == len(head):
        cut = cut[:newline]
    else:
        # cut inside a line: leave room for the ellipsis and a marker that must be closed
        cut = _cut_right(cut, room - 3) + ELLIPSIS
        cut += _closing_markers(cut)
    return cut.rstrip() + pointer


def _closing_markers(text: str) -> str:
    """The marker that closes a change run a cut left open (``+}`` or ``-]``), if any."""
    out = ""
    for left, right in (("{+", "+}"), ("[-", "-]")):
        if text.rfind(left) > text.rfind(right):
            out += right
    return out


# --------------------------------------------------------------------------------------------
# HTML e-mail
# --------------------------------------------------------------------------------------------

_E = html.escape  # quote=True: safe in text and in attribute values
_DEL = "background:#fde2e2;color:#8a1c1c;text-decoration:line-through"
_INS = "background:#d9f5dd;color:#14532d;text-decoration:none"
_SEVERITY_COLOUR = {"high": "#b91c1c", "medium": "#c2410c", "low": "#a16207", "info": "#4b5563"}


def _html_ops(ops: Sequence[tuple[int, str]]) -> str:
    out = []
    for op, t in ops:
        lead, core, trail = _split_space(t)
        if op == EQUAL or not core:
            out.append(_E(t))
        elif op == DELETE:
            out.append(f'{lead}<del style="{_DEL}">[-{_E(core)}-]</del>{trail}')
        else:
            out.append(f'{lead}<ins style="{_INS}">{{+{_E(core)}+}}</ins>{trail}')
    return "".join(out)


def _html_link(url: str) -> str:
    safe = _safe_url(url)
    return f'<a href="{_E(safe)}">{_E(safe)}</a>' if safe else _E(url)


def render_html(c: AlertContent) -> str:
    """The HTML part of the e-mail. All policy and page text is escaped; styles are inline
    because many mail clients drop ``<style>`` blocks."""
    p = 'style="margin:0 0 8px 0"'
    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>' + _E(subject(c)) + "</title></head>",
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;'
        'font-size:15px;line-height:1.45;color:#111827;max-width:760px">',
        f'<h2 style="font-size:19px;margin:0 0 12px 0">{_E(subject(c))}</h2>',
    ]
    meta = "<br>\n".join(
        f'<span style="color:#6b7280">{_E(k)}:</span> {_E(v)}' for k, v in _meta_lines(c)
    )
    out.append(f'<p style="margin:0 0 12px 0">{meta}</p>')
    if c.kind == "tracking":
        for head, text in _tracking_paragraphs(c):
            out.append(f"<p {p}><strong>{_E(head)}:</strong> {_E(text)}</p>")
    else:
        ai = alerting_findings(c.findings)
        if ai:
            out.append(
                f'<h3 style="font-size:16px;margin:16px 0 8px 0">AI findings ({len(ai)})</h3>'
            )
        for i, f in enumerate(ai, 1):
            colour = _SEVERITY_COLOUR.get(f.severity, "#4b5563")
            out.append(
                f'<div style="border-left:4px solid {colour};padding:4px 0 4px 12px;margin:0 0 14px 0">'
            )
            out.append(
                f"<p {p}><strong>{i}. {_E(finding_phrase(f))}</strong> · "
                f'<span style="color:{colour}">severity {_E(f.severity)}</span> · '
                f"{_E(f.category or 'uncategorised')}</p>"
            )
            if f.heading_path:
                out.append(f"<p {p}>Section: {_E(' › '.join(f.heading_path))}</p>")
            before, after = _clause_sides(f)
            before_html = (
                _html_ops(_clip_pieces(before)) if before else "<em>(none: new clause)</em>"
            )
            after_html = _html_ops(_clip_pieces(after)) if after else "<em>(clause removed)</em>"
            out.append(f"<p {p}><strong>Before:</strong><br>{before_html}</p>")
            out.append(f"<p {p}><strong>After:</strong><br>{after_html}</p>")
            if f.explanation:
                out.append(
                    f"<p {p}><strong>Why it matters:</strong> {_E(_one_line(f.explanation))}</p>"
                )
            if f.signals:
                out.append(
                    f'<p style="margin:0 0 8px 0;color:#4b5563">Signals: {_E(", ".join(f.signals))}</p>'
                )
            out.append("</div>")
        if c.other_changes:
            title = "Other changes (excerpt)" if ai else "What changed (excerpt)"
            out.append(f'<h3 style="font-size:16px;margin:16px 0 8px 0">{title}</h3>')
            out.append('<ul style="margin:0 0 12px 0;padding-left:20px">')
            for item in c.other_changes:
                out.append(f"<li>{_html_ops(_window(item.segments, 400))}</li>")
            if c.more_changes:
                out.append(f"<li>… and {c.more_changes} more changed passages</li>")
            out.append("</ul>")
    for k, v in _footer_lines(c):
        value = (
            _html_link(v)
            if k == "Source"
            else f'<span style="font-family:monospace">{_E(v)}</span>'
        )
        out.append(f"<p {p}><strong>{_E(k)}:</strong> {value}</p>")
    out.append(
        f'<p style="margin:16px 0 0 0;color:#6b7280;font-size:12px">'
        f"Alert #{c.alert_id} ({ALERT_ID_NOTE}).</p>"
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _clip_pieces(ops: Ops) -> Ops:
    return _window(ops, FULL_CLAUSE_LIMIT, context=400)


# --------------------------------------------------------------------------------------------
# Slack mrkdwn
# --------------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters; everything else is literal in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_ops(ops: Sequence[tuple[int, str]]) -> str:
    out = []
    for op, t in ops:
        lead, core, trail = _split_space(t)
        if op == EQUAL or not core:
            out.append(slack_escape(t))
        elif op == DELETE:
            out.append(f"{lead}~[-{slack_escape(core)}-]~{trail}")
        else:
            out.append(f"{lead}*{{+{slack_escape(core)}+}}*{trail}")
    return "".join(out)


def _split_space(t: str) -> tuple[str, str, str]:
    """Slack only formats ``*x*`` when the markers touch non-space characters."""
    core = t.strip()
    if not core:
        return t, "", ""
    start = t.index(core[0])
    return t[:start], core, t[start + len(core) :]


def _slack_link(url: str, label: str) -> str:
    safe = _safe_url(url)
    if not safe:
        return slack_escape(url)
    return f"<{slack_escape(safe).replace('|', '%7C')}|{slack_escape(label)}>"


def _slack_code(text: str) -> str:
    return "`" + slack_escape(text.replace("`", "'")) + "`"


def render_slack(
    c: AlertContent,
    *,
    block_limit: int = SLACK_BLOCK_LIMIT,
    total_limit: int = SLACK_TOTAL_LIMIT,
) -> SlackMessage:
    """Slack mrkdwn in blocks of at most ``block_limit`` characters and ``total_limit`` in all.

    Each block is built for the room that is left, so clauses are shortened around their
    changed words before anything is dropped; a block that no longer fits at a useful size is
    replaced, with everything after it, by the "see full diff" pointer. The footer (source,
    command, alert id) is always kept.
    """
    head = f"*{slack_escape(subject(c))}*\n" + slack_escape(
        " · ".join(f"{k}: {v}" for k, v in _meta_lines(c)[2:])
    )
    builders: list = []
    if c.kind == "tracking":
        text = "\n".join(
            f"*{slack_escape(h)}:* {slack_escape(t)}" for h, t in _tracking_paragraphs(c)
        )
        builders.append(lambda limit, text=text: _fit(text, limit))
    else:
        ai = alerting_findings(c.findings)
        for i, f in enumerate(ai, 1):
            builders.append(lambda limit, i=i, f=f: _slack_finding(i, f, limit))
        if c.other_changes:
            title = "Other changes (excerpt)" if ai else "What changed (excerpt)"
            builders.append(lambda limit, title=title: _slack_other(c, title, limit))
    footer = []
    if c.source_url:
        footer.append(f"Source: {_slack_link(c.source_url, c.source_url)}")
    footer.append(
        f"{'Full diff' if c.kind == 'change' else 'History'}: {_slack_code(c.more_command)}"
    )
    footer.append(f"_Alert #{c.alert_id} ({ALERT_ID_NOTE})._")
    tail = _fit("\n".join(footer), block_limit)
    pointer = slack_escape(c.pointer)
    # What is left once the footer is counted; the "\n\n" between blocks counts too, because
    # a webhook receives the blocks joined as one text.
    room = total_limit - len(tail) - 2
    kept = [_fit(head, max(40, min(block_limit, room - len(pointer) - 4)))]
    room -= len(kept[0]) + 2
    for n, build in enumerate(builders):
        reserve = len(pointer) + 2 if n < len(builders) - 1 else 0
        avail = min(block_limit, room - reserve - 2)
        block = build(avail) if avail >= MIN_SLACK_BLOCK else ""
        if not block or len(block) > avail:
            kept.append(pointer)
            break
        kept.append(block)
        room -= len(block) + 2
    kept.append(tail)
    return SlackMessage(text=subject(c), blocks=tuple(kept))


#: A finding shortened below this size says too little; the pointer replaces it.
MIN_SLACK_BLOCK = 300


def _slack_finding(i: int, f: FindingView, limit: int) -> str:
    head = [f"*{slack_escape(_finding_header(i, f))}*"]
    if f.heading_path:
        head.append("Section: " + slack_escape(" › ".join(f.heading_path)))
    tail = []
    if f.explanation:
        tail.append("*Why it matters:* " + slack_escape(_one_line(f.explanation)))
    if f.signals:
        tail.append("Signals: " + ", ".join(_slack_code(s) for s in f.signals))
    before, after = _clause_sides(f)
    fixed = sum(len(x) + 1 for x in head + tail) + 40
    budget = max(60, limit - fixed) // (2 if before and after else 1)
    text = ""
    for _ in range(8):  # markers and escaping add length: shrink the clauses until it fits
        lines = list(head)
        lines.append(
            "*Before:* "
            + (_slack_ops(_window(before, budget)) if before else "_(none: new clause)_")
        )
        lines.append(
            "*After:* " + (_slack_ops(_window(after, budget)) if after else "_(clause removed)_")
        )
        text = "\n".join(lines + tail)
        if len(text) <= limit or budget <= 60:
            break
        budget = max(60, int(budget * 0.8))
    return _fit(text, limit)


def _slack_other(c: AlertContent, title: str, limit: int) -> str:
    per_item = max(80, min(400, (limit - 120) // max(1, len(c.other_changes)) - 12))
    lines = [f"*{title}*"]
    for item in c.other_changes:
        lines.append(f"• {_slack_ops(_window(item.segments, per_item))}")
    if c.more_changes:
        lines.append(f"• … and {c.more_changes} more changed passages")
    return _fit("\n".join(lines), limit)


def _fit(block: str, limit: int) -> str:
    """Last-resort cap of one block at a line boundary (never inside an entity or marker)."""
    if len(block) <= limit:
        return block
    lines = block.split("\n")
    while len(lines) > 1 and len("\n".join(lines)) + 2 > limit:
        lines.pop()
    text = "\n".join(lines)
    if len(text) + 2 > limit:
        text = re.sub(r"&[a-z]*$", "", text[: limit - 2].rstrip())
        # drop a formatting marker left open by the cut
        for marker in ("*", "~", "_", "`"):
            if text.count(marker) % 2:
                text = text.replace(marker, "")
    return text + " " + ELLIPSIS
