"""Turn a change between two versions into AI-training findings (DESIGN.md §2 "Finding").

For each clause that was added, removed or reworded (``monitor.align``), both sides are
classified (``monitor.detect``) and the pair is described as what it means for a user:

* a clause permitting AI training on user data appears (``added``, high) or disappears
  (``removed``, medium);
* an AI-training clause covers more (``widened``, high: new data categories, new recipients,
  new models or products, a removed limit or condition) or less (``narrowed``, medium);
* a control over that use appears (``opt-out-added``, medium) or vanishes (``opt-out-removed``,
  high);
* a promise not to train ("we do not use your messages to train") disappears (``widened``,
  high) or appears (``narrowed``, medium);
* other rewordings (``reworded``: medium when the detector's signals changed, low otherwise);
* clauses where AI is used on data without training (``ai-feature-use-not-training``): low.

Formatting-only, link-only, date-only and apostrophe-style edits produce nothing: clauses are
compared by ``segment.comparable``. A clause whose text still exists elsewhere in the other
version (split or merged sentences) is not reported as added or removed.

Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from monitor.align import ClauseChange, align, align_changes
from monitor.detect import Classification, classify
from monitor.rules import lexicon as L
from monitor.segment import (
    Clause,
    Segmentation,
    comparable,
    resegment,
    segment,
    segmentation,
)

__all__ = [
    "FindingData",
    "findings_for_change",
    "baseline_findings",
    "clause_scope",
    "clause_keys",
    "context_of",
]


@dataclass(frozen=True)
class FindingData:
    """One AI-related event in a change (or in a first version, kind "present")."""

    kind: str  # present | added | removed | widened | narrowed | reworded | opt-out-added | opt-out-removed
    category: str
    severity: str  # high | medium | low | info
    before: str | None
    after: str | None
    signals: tuple[str, ...]
    heading_path: tuple[str, ...]
    explanation: str


# --------------------------------------------------------------------------- clause state

_TRAINING = "training"
_OPT_OUT = "opt-out"
_PROMISE = "promise"
_FEATURE = "feature"


# A sentence that starts like this continues the previous one ("You can opt out of this use",
# "They can also help train tools"): the previous sentence is part of its context.
_CONTINUES = re.compile(
    r"^(?:this|these|that|those|they|it|such|you can|you may|to opt|if you|however|in addition|"
    r"additionally|for (?:example|instance)|you have the right|learn more)\b",
    re.IGNORECASE,
)


def context_of(clauses: Sequence[Clause], clause: Clause) -> tuple[str, ...]:
    """The detector's context for a clause: its heading path, plus the previous sentence of the
    same section when the clause reads as a continuation of it."""
    i = clause.index
    if (
        clause.kind in ("sentence", "table-row")
        and 0 < i <= len(clauses)
        and clauses[i - 1].kind == clause.kind
        and clauses[i - 1].heading_path == clause.heading_path
        and _CONTINUES.match(clause.text)
    ):
        return (*clause.heading_path, clauses[i - 1].text)
    return clause.heading_path


def _classify(clause: Clause, clauses: Sequence[Clause]) -> Classification:
    return classify(clause.text, context_of(clauses, clause))


def _state(cls: Classification) -> str | None:
    """What the clause is, for comparing two versions of it."""
    if cls.ai_training:
        return _OPT_OUT if cls.category == "opt-out" else _TRAINING
    sig = cls.signals
    if any(s.startswith("neg.") for s in sig) and any(
        s.startswith(("verb.", "nom.", "use.")) for s in sig
    ):
        return _PROMISE  # "we do not use your messages to train our models"
    if cls.category == "ai-feature-use-not-training":
        return _FEATURE
    return None


# --------------------------------------------------------------------------- scope


@functools.cache
def _scope_rules() -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    rules = []
    for group, table in (
        ("data", L.SCOPE_DATA),
        ("recipient", L.SCOPE_RECIPIENTS),
        ("model", L.SCOPE_MODELS),
        ("limit", L.SCOPE_LIMITS),
    ):
        for sid, label, pattern in table:
            rules.append((group, sid, label, re.compile(pattern)))
    return tuple(rules)


_SCOPE_NORMALISE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def clause_scope(text: str) -> dict[str, frozenset[str]]:
    """The scope items a clause mentions, by group: data, recipient, model, limit (labels)."""
    key = " ".join(text.translate(_SCOPE_NORMALISE).lower().split())
    found: dict[str, set[str]] = {"data": set(), "recipient": set(), "model": set(), "limit": set()}
    for group, _sid, label, pattern in _scope_rules():
        if pattern.search(key):
            found[group].add(label)
    return {k: frozenset(v) for k, v in found.items()}


_PRODUCTS = frozenset(
    {"Gemini", "Bard", "Cloud AI", "Copilot", "ChatGPT", "Meta AI", "Llama", "Google Translate"}
)


def _compare_scope(old_text: str, new_text: str) -> tuple[list[str], list[str], str | None]:
    """(widening items, narrowing items, rename note) between two versions of a clause."""
    old, new = clause_scope(old_text), clause_scope(new_text)
    widen: list[str] = []
    narrow: list[str] = []
    rename = None
    added_models = sorted(new["model"] - old["model"])
    removed_models = sorted(old["model"] - new["model"])
    if (
        len(added_models) == 1
        and len(removed_models) == 1
        and added_models[0] in _PRODUCTS
        and removed_models[0] in _PRODUCTS
    ):
        rename = f"product renamed: {removed_models[0]} → {added_models[0]}"
        added_models = removed_models = []
    if not old["model"] & _PRODUCTS:
        # naming a product where the clause said "our Services" makes it more specific, not wider
        added_models = [m for m in added_models if m not in _PRODUCTS]
    if not new["model"] & _PRODUCTS:
        # and dropping the product name for "our Services" does not make it narrower
        removed_models = [m for m in removed_models if m not in _PRODUCTS]
    for label, items in (
        ("new data categories", sorted(new["data"] - old["data"])),
        ("new recipients", sorted(new["recipient"] - old["recipient"])),
        ("new models or products", added_models),
        ("limits removed", sorted(old["limit"] - new["limit"])),
    ):
        if items:
            widen.append(f"{label}: {', '.join(items)}")
    for label, items in (
        ("data categories dropped", sorted(old["data"] - new["data"])),
        ("recipients dropped", sorted(old["recipient"] - new["recipient"])),
        ("models or products dropped", removed_models),
        ("new limits", sorted(new["limit"] - old["limit"])),
    ):
        if items:
            narrow.append(f"{label}: {', '.join(items)}")
    return widen, narrow, rename


def _scope_summary(text: str) -> str:
    scope = clause_scope(text)
    parts = []
    if scope["data"]:
        parts.append("data: " + ", ".join(sorted(scope["data"])))
    if scope["model"]:
        parts.append("models: " + ", ".join(sorted(scope["model"])))
    if scope["recipient"]:
        parts.append("recipients: " + ", ".join(sorted(scope["recipient"])))
    return "; ".join(parts)


# --------------------------------------------------------------------------- findings


def _category(state: str | None, cls: Classification) -> str:
    if state == _PROMISE:
        return "training-permission"
    if state == _FEATURE:
        return "ai-feature-use-not-training"
    return cls.category


def _finding(
    kind: str,
    severity: str,
    category: str,
    old: Clause | None,
    new: Clause | None,
    signals: tuple[str, ...],
    explanation: str,
) -> FindingData:
    where = new if new is not None else old
    assert where is not None
    if category == "ai-feature-use-not-training":
        severity = "low"
    return FindingData(
        kind=kind,
        category=category,
        severity=severity,
        before=old.text if old is not None else None,
        after=new.text if new is not None else None,
        signals=signals,
        heading_path=where.heading_path,
        explanation=explanation,
    )


def _with_scope(sentence: str, text: str) -> str:
    summary = _scope_summary(text)
    return f"{sentence} ({summary})" if summary else sentence


def _appeared(
    state: str | None, cls: Classification, old: Clause | None, new: Clause
) -> FindingData | None:
    """A clause that is AI-related now and was not before (added, or reworded into one)."""
    cat = _category(state, cls)
    if state == _TRAINING:
        verb = "lets others use" if cat == "licensing-to-third-parties" else "permits using"
        text = _with_scope(f"new clause {verb} user data to train or improve AI", new.text)
        return _finding("added", "high", cat, old, new, cls.signals, text)
    if state == _OPT_OUT:
        text = "a new control over the use of user data for AI training"
        return _finding("opt-out-added", "medium", cat, old, new, cls.signals, text)
    if state == _PROMISE:
        text = "a new promise not to use user data for AI training"
        return _finding("narrowed", "medium", cat, old, new, cls.signals, text)
    if state == _FEATURE:
        text = "new clause about AI used on user data (no training)"
        return _finding("added", "low", cat, old, new, cls.signals, text)
    return None


def _disappeared(
    state: str | None, cls: Classification, old: Clause, new: Clause | None
) -> FindingData | None:
    """A clause that was AI-related and no longer is (removed, or reworded out of it)."""
    cat = _category(state, cls)
    if state == _TRAINING:
        text = "an AI-training clause was removed or no longer mentions AI training"
        return _finding("removed", "medium", cat, old, new, cls.signals, text)
    if state == _OPT_OUT:
        text = "a control over the use of user data for AI training was removed"
        return _finding("opt-out-removed", "high", cat, old, new, cls.signals, text)
    if state == _PROMISE:
        text = "a promise not to use user data for AI training was removed"
        return _finding("widened", "high", cat, old, new, cls.signals, text)
    if state == _FEATURE:
        text = "a clause about AI used on user data was removed"
        return _finding("removed", "low", cat, old, new, cls.signals, text)
    return None


_MEANING_PREFIXES = (
    "verb.",
    "nom.",
    "use.",
    "obj.",
    "neg.",
    "cond.",
    "ctl.",
    "recip.",
    "restrict.",
)


def _reworded(
    change: ClauseChange, old_doc: Sequence[Clause], new_doc: Sequence[Clause]
) -> FindingData | None:
    old, new = change.old, change.new
    assert old is not None and new is not None
    c_old, c_new = _classify(old, old_doc), _classify(new, new_doc)
    s_old, s_new = _state(c_old), _state(c_new)
    if s_old is None and s_new is None:
        return None
    if s_old != s_new and context_of(old_doc, old) != context_of(new_doc, new):
        # a table cell or list item under a changed row label / lead-in: judge the old wording
        # in the new context (the context sentence's own change is reported by itself)
        c_ctx = classify(old.text, context_of(new_doc, new))
        if _state(c_ctx) == s_new:
            c_old, s_old = c_ctx, s_new
    if s_old is None or (s_old == _FEATURE and s_new in (_TRAINING, _OPT_OUT, _PROMISE)):
        return _appeared(s_new, c_new, old, new)
    if s_new is None or (s_new == _FEATURE and s_old in (_TRAINING, _OPT_OUT, _PROMISE)):
        return _disappeared(s_old, c_old, old, new)
    signals = tuple(dict.fromkeys(c_new.signals + c_old.signals))
    cat = _category(s_new, c_new)
    if s_old != s_new:
        if s_new == _OPT_OUT:
            return _finding(
                "opt-out-added",
                "medium",
                cat,
                old,
                new,
                signals,
                "the AI-training clause now comes with a user control",
            )
        if s_old == _OPT_OUT:
            return _finding(
                "opt-out-removed",
                "high",
                cat,
                old,
                new,
                signals,
                "the user control over AI training was removed from this clause",
            )
        if s_new == _PROMISE:
            return _finding(
                "narrowed",
                "medium",
                cat,
                old,
                new,
                signals,
                "the clause now says user data is not used for AI training",
            )
        return _finding(
            "widened",
            "high",
            cat,
            old,
            new,
            signals,
            "a promise not to use user data for AI training became a permission",
        )

    widen, narrow, rename = _compare_scope(old.text, new.text)
    if s_new == _PROMISE:
        # a promise that covers more is a narrower permission, and the other way round
        widen, narrow = narrow, widen
        if narrow:
            return _finding(
                "narrowed",
                "medium",
                cat,
                old,
                new,
                signals,
                "the promise not to train AI now covers more: " + "; ".join(narrow),
            )
        if widen:
            return _finding(
                "widened",
                "high",
                cat,
                old,
                new,
                signals,
                "the promise not to train AI now covers less: " + "; ".join(widen),
            )
    elif s_new != _FEATURE:
        if widen:
            return _finding("widened", "high", cat, old, new, signals, "; ".join(widen))
        if narrow:
            return _finding("narrowed", "medium", cat, old, new, signals, "; ".join(narrow))
    changed = {s for s in c_old.signals if s.startswith(_MEANING_PREFIXES)} ^ {
        s for s in c_new.signals if s.startswith(_MEANING_PREFIXES)
    }
    if rename:
        return _finding("reworded", "medium", cat, old, new, signals, rename)
    if changed:
        return _finding(
            "reworded",
            "medium",
            cat,
            old,
            new,
            signals,
            "AI clause reworded; signals changed: " + ", ".join(sorted(changed)),
        )
    return _finding(
        "reworded",
        "low",
        cat,
        old,
        new,
        signals,
        "AI clause reworded without a change in what it permits",
    )


def _doc_key(clauses: Sequence[Clause]) -> str:
    return " " + " ".join(comparable(c.text) for c in clauses) + " "


def _still_present(clause: Clause, other_doc: str) -> bool:
    key = comparable(clause.text)
    return bool(key) and f" {key} " in other_doc


# --------------------------------------------------------------------------- segmentations

# The last few versions segmented (with their clauses' comparison keys), by text. A version
# is usually segmented as the new text of a change and again as the old text of the next one,
# and ``clause_keys`` asks for the versions before it: kept here, and each new text is
# ``resegment``-ed from a similar one.
_CACHE_SIZE = 8
_cache: OrderedDict[str, tuple[Segmentation, tuple[str, ...]]] = OrderedDict()
_cache_lock = threading.Lock()
_PROBE = 64  # characters at each end that a version shares with an earlier one of its document


def _cached(text: str) -> tuple[Segmentation, tuple[str, ...]] | None:
    with _cache_lock:
        entry = _cache.get(text)
        if entry is not None:
            _cache.move_to_end(text)
        return entry


def _remember(text: str, entry: tuple[Segmentation, tuple[str, ...]]) -> None:
    with _cache_lock:
        _cache[text] = entry
        _cache.move_to_end(text)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def _similar_cached(text: str) -> tuple[Segmentation, tuple[str, ...]] | None:
    """A cached segmentation of a text that looks like a version of the same document.

    Only a guess at where ``resegment`` saves work: it is exact whatever it is given.
    """
    head, tail = text[:_PROBE], text[-_PROBE:]
    with _cache_lock:
        for other in reversed(_cache):
            if other.startswith(head) or other.endswith(tail):
                return _cache[other]
    return None


def _segmentation(
    text: str, base: tuple[Segmentation, tuple[str, ...]] | None = None
) -> tuple[Segmentation, tuple[str, ...]]:
    """The clauses of ``text`` and their ``comparable`` keys (cached), reusing ``base`` (or a
    cached similar version): its clauses and keys before and after the edited part."""
    entry = _cached(text)
    if entry is not None:
        return entry
    if base is None:
        base = _similar_cached(text)
    if base is None:
        seg = segmentation(text)
        keys = tuple(comparable(c.text) for c in seg.clauses)
    else:
        old, old_keys = base
        seg = resegment(old, text)
        end = len(seg.clauses) - seg.tail
        keys = (
            old_keys[: seg.head]
            + tuple(comparable(c.text) for c in seg.clauses[seg.head : end])
            + old_keys[len(old_keys) - seg.tail :]
        )
    entry = (seg, keys)
    _remember(text, entry)
    return entry


def clear_caches() -> None:
    """Forget the segmentations and clause keys kept between calls (for cold measurements)."""
    with _cache_lock:
        _cache.clear()
    _clause_keys.cache_clear()


def clause_keys(text: str) -> frozenset[str]:
    """Comparison keys of all clauses of a version, for ``previously_seen``."""
    return _clause_keys(text)


@functools.lru_cache(maxsize=32)
def _clause_keys(text: str) -> frozenset[str]:
    # the tracker asks for the same earlier versions at each new change of a document
    return frozenset(_segmentation(text)[1])


# --------------------------------------------------------------------------- changes


def findings_for_change(
    old_text: str, new_text: str, *, previously_seen: Collection[str] = ()
) -> list[FindingData]:
    """AI-training findings of the change from ``old_text`` to ``new_text`` (in new-doc order).

    ``previously_seen`` (optional) holds ``clause_keys`` of versions *before* ``old_text``. An
    AI clause that "appears" but was already in an earlier version is a capture flapping back
    (a page variant, an expanded section), not news: it is reported with severity "low".

    Same result as ``_findings_full`` (tests compare them on real histories and on edits at
    every kind of place), computed for what changed: the new text is segmented from the old
    one (``segment.resegment``: only the lines around the edit are walked again, the other
    clauses and their keys are reused), and only the clauses between unchanged runs are
    compared word by word and walked here (``align.align_changes``). Both versions stay cached
    for the next call.
    """
    old_entry = _segmentation(old_text)
    new_seg, new_keys = _segmentation(new_text, base=old_entry)
    old, old_keys = old_entry[0].clauses, old_entry[1]
    new = new_seg.clauses
    return _findings_of(
        align_changes(old, new, old_keys, new_keys),
        old,
        new,
        lambda: (_joined(old_keys), _joined(new_keys)),
        previously_seen,
    )


def _joined(keys: Sequence[str]) -> str:
    """``_doc_key`` from keys already computed."""
    return " " + " ".join(keys) + " "


def _findings_full(
    old_text: str, new_text: str, *, previously_seen: Collection[str] = ()
) -> list[FindingData]:
    """The reference for ``findings_for_change``: segment both versions from scratch, align
    every clause, check each change in the plain order. Kept for the tests that prove the fast
    path gives the same findings, and as the readable statement of what it computes."""
    old = segment(old_text)
    new = segment(new_text)
    changes = (c for c in align(old, new) if c.kind not in ("unchanged", "moved"))
    return _findings_of(changes, old, new, lambda: (_doc_key(old), _doc_key(new)), previously_seen)


def _findings_of(
    changes: Iterable[ClauseChange],
    old: Sequence[Clause],
    new: Sequence[Clause],
    docs: Callable[[], tuple[str, str]],
    previously_seen: Collection[str],
) -> list[FindingData]:
    """The findings of the aligned changes between two versions (unchanged and moved pairs
    already left out). ``docs`` gives both versions' joined clause keys; it is called at the
    first change only, so a pair without changes never builds them."""
    old_doc = new_doc = ""
    findings: list[FindingData] = []
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for change in changes:
        if not old_doc:
            old_doc, new_doc = docs()
        finding = None
        if change.kind == "added":
            assert change.new is not None
            if _still_present(change.new, old_doc):
                continue  # the sentence existed before, only its segmentation changed
            cls = _classify(change.new, new)
            finding = _appeared(_state(cls), cls, None, change.new)
            if (
                finding is not None
                and previously_seen
                and comparable(change.new.text) in previously_seen
            ):
                finding = replace(
                    finding,
                    severity="low",
                    explanation="clause reappeared (it was in an earlier version): "
                    + finding.explanation,
                )
        elif change.kind == "removed":
            assert change.old is not None
            if _still_present(change.old, new_doc):
                continue
            cls = _classify(change.old, old)
            finding = _disappeared(_state(cls), cls, change.old, None)
        else:
            assert change.old is not None and change.new is not None
            if comparable(change.old.text) == comparable(change.new.text):
                continue
            if _still_present(change.old, new_doc) and _still_present(change.new, old_doc):
                continue  # both wordings exist in both versions: a duplicate re-paired
            finding = _reworded(change, old, new)
        if finding is None:
            continue
        key = (finding.kind, finding.category, finding.before, finding.after)
        if key in seen:
            continue
        seen.add(key)
        findings.append(finding)
    return findings


def baseline_findings(text: str) -> list[FindingData]:
    """The AI-training clauses of a document's first version: kind "present", never alerts."""
    findings: list[FindingData] = []
    seen: set[str] = set()
    clauses = _segmentation(text)[0].clauses
    for clause in clauses:
        cls = _classify(clause, clauses)
        if not cls.ai_training:
            continue
        key = comparable(clause.text)
        if key in seen:
            continue
        seen.add(key)
        findings.append(
            FindingData(
                kind="present",
                category=cls.category,
                severity="info",
                before=None,
                after=clause.text,
                signals=cls.signals,
                heading_path=clause.heading_path,
                explanation=_with_scope(
                    "AI-training clause present in the first version", clause.text
                ),
            )
        )
    return findings
