"""Decide whether a clause lets the company train AI on user data (DESIGN.md §3.8).

Deterministic, explainable, offline. The decision is built from lexicon hits (``monitor.rules``)
combined by a few structural rules, because the words alone mislead:

* **Direction.** "We use AI to review your content" uses AI *on* data; "we use your content to
  train our AI" uses data *for* AI. Only a development verb whose object is an AI object counts
  ("improve our AI models"), not an AI object behind an instrument word ("improve our services
  using machine learning").
* **Strength.** "train"/"fine-tune" plus an AI object is enough; "improve" an AI object is
  enough; "develop"/"build" an AI object only counts when user data is named too (companies
  "develop AI" in many sentences that are not about your data).
* **Negation scope.** "We do not use your messages to train" is a promise, not a permission,
  unless an exception follows ("unless you share them with our AI") or it states the effect of a
  user control ("turning the setting off means we won't ..."), which makes it an opt-out clause.
* **Restrictions.** "You may not use our content to train" restricts users; "we restrict our
  providers from training" restricts third parties: neither is a permission.
* **Other senses.** Model clauses, device models, business models, 3D models, staff training.

Every rule and lexicon entry has an id; the ids that fired are the ``signals``.
Pure: no I/O; the rule tables are compiled once and cached.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.rules import lexicon as L

__all__ = ["Classification", "classify", "ai_related", "CATEGORIES"]

CATEGORIES = (
    "training-permission",
    "opt-out",
    "licensing-to-third-parties",
    "ai-feature-use-not-training",
    "not-ai",
)


@dataclass(frozen=True)
class Classification:
    """The detector's verdict on one clause.

    ``ai_training`` is True when the clause permits or describes using user data or content to
    train, develop or improve AI/ML models (including licensing it to others for that), or gives
    or removes a control over that use. ``signals`` are rule/lexicon ids, for explanation.
    """

    ai_training: bool
    score: float
    category: str
    signals: tuple[str, ...]


# --------------------------------------------------------------------------- compiled rules


def _c(pattern: str) -> re.Pattern[str]:
    # patterns run on the normalised, lowercased clause (``_Text.s``)
    return re.compile(pattern)


@dataclass(frozen=True)
class _Rules:
    ai_objects: tuple[tuple[str, re.Pattern[str]], ...]
    tech_objects: tuple[tuple[str, re.Pattern[str]], ...]
    model_senses: tuple[tuple[str, re.Pattern[str]], ...]
    verbs: tuple[tuple[str, str, re.Pattern[str]], ...]  # (id, strength, pattern)
    learn_from: re.Pattern[str]
    nominals: tuple[tuple[str, re.Pattern[str]], ...]
    training_people: re.Pattern[str]
    bare_training: re.Pattern[str]
    staff_object: re.Pattern[str]
    user_data: tuple[tuple[str, re.Pattern[str]], ...]
    own_content: re.Pattern[str]
    sensitive: tuple[tuple[str, re.Pattern[str]], ...]
    recipients: tuple[tuple[str, re.Pattern[str]], ...]
    share: re.Pattern[str]
    their_models: re.Pattern[str]
    controls: tuple[tuple[str, re.Pattern[str]], ...]
    conditions: tuple[tuple[str, re.Pattern[str]], ...]
    exceptions: re.Pattern[str]
    negators: re.Pattern[str]
    not_negation: re.Pattern[str]
    post_negation: re.Pattern[str]
    user_may_not: re.Pattern[str]
    any_ai: re.Pattern[str]
    recipient_actor: re.Pattern[str]
    third_party_restriction: re.Pattern[str]
    restriction_lead_in: re.Pattern[str]
    tool_use: tuple[tuple[str, re.Pattern[str]], ...]
    user_trains: re.Pattern[str]
    ai_feature_objects: re.Pattern[str]
    prefilter: re.Pattern[str]
    weights: dict[str, float] = field(default_factory=dict)


@functools.cache
def _rules() -> _Rules:
    """Compile the lexicon once per process (it is package data, immutable)."""
    verbs = tuple(
        (vid, strength, _c(p))
        for strength, table in (
            ("strong", L.STRONG_VERBS),
            ("medium", L.MEDIUM_VERBS),
            ("weak", L.WEAK_VERBS),
        )
        for vid, p in table
    )
    prefilter_words = (
        r"train|tun(?:e|ing)|model|\bais?\b|artificial|machine|learn|algorithm|llm|gpt|gemini|bard"
        r"|copilot|chat ?bot|neural|classifier|generative|\bgen ?ai\b|\bgai\b|\bml\b|alexa|llama|grok"
        r"|claude|assistant|recognition|computer vision|language|future (?:versions|iterations)"
        r"|\bmeta ai\b|dall|sora|\bnlp\b"
    )
    return _Rules(
        ai_objects=tuple((i, _c(p)) for i, p in L.AI_OBJECTS),
        tech_objects=tuple((i, _c(p)) for i, p in L.TECH_OBJECTS),
        model_senses=tuple((i, _c(p)) for i, p in L.MODEL_OTHER_SENSES),
        verbs=verbs,
        learn_from=_c(L.LEARN_FROM[1]),
        nominals=tuple((i, _c(p)) for i, p in L.NOMINALS),
        training_people=_c(L.TRAINING_PEOPLE),
        bare_training=_c(L.BARE_TRAINING),
        staff_object=_c(r"^\s*(?:(?:and|or|to|help|helping)\s+)*" + L.STAFF_OBJECTS),
        user_data=tuple((i, _c(p)) for i, p in L.USER_DATA),
        own_content=_c(L.OWN_CONTENT[1]),
        sensitive=tuple((i, _c(p)) for i, p in L.SENSITIVE_SUBJECTS),
        recipients=tuple((i, _c(p)) for i, p in L.RECIPIENTS),
        share=_c(L.SHARE_VERBS[1]),
        their_models=_c(L.THEIR_MODELS),
        controls=tuple((i, _c(p)) for i, p in L.CONTROLS),
        conditions=tuple((i, _c(p)) for i, p in L.CONDITIONS),
        exceptions=_c(L.EXCEPTIONS),
        negators=_c(L.NEGATORS),
        not_negation=_c(L.NOT_NEGATION),
        post_negation=_c(L.POST_NEGATION),
        user_may_not=_c(dict(L.USER_RESTRICTIONS)["restrict.user-may-not"]),
        any_ai=_c(dict(L.USER_RESTRICTIONS)["restrict.any-ai"]),
        recipient_actor=_c(L.RECIPIENT_ACTOR),
        third_party_restriction=_c(L.THIRD_PARTY_RESTRICTION[1]),
        restriction_lead_in=_c(L.RESTRICTION_LEAD_IN),
        tool_use=tuple((i, _c(p)) for i, p in L.FEATURES if i != "feat.user-trains"),
        user_trains=_c(dict(L.FEATURES)["feat.user-trains"]),
        ai_feature_objects=_c(L.AI_FEATURE_OBJECTS),
        prefilter=_c(prefilter_words),
        weights=dict(L.WEIGHTS),
    )


# --------------------------------------------------------------------------- text model

_NORMALISE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "–": " — ",
        "—": " — ",
        "‐": "-",
        "‑": "-",
        "\u00a0": " ",
    }
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_SPACES = re.compile(r"\s+")
_BOUNDARY_WORDS = frozenset(
    {";", ":", ".", "!", "?", "but", "unless", "except", "whereas", "although", "though"}
)
_BE = frozenset(
    {"be", "is", "are", "was", "were", "been", "being", "get", "gets", "got", "getting"}
)
_COMPANY_ACTOR = re.compile(r"\b(?:we|us)\b|\bwe'(?:ll|re|ve|d)\b")
_ANY_ACTOR = re.compile(r"\b(?:we|us|our|ours)\b|\bwe'(?:ll|re|ve|d)\b")


@dataclass
class _Text:
    """A normalised clause with its tokens, for windowed rules."""

    s: str
    starts: list[int]
    ends: list[int]
    words: list[str]

    @classmethod
    def of(cls, text: str) -> _Text:
        if not text.isascii():
            text = text.translate(_NORMALISE)
        s = _SPACES.sub(" ", text.lower()).strip()
        starts, ends, words = [], [], []
        for m in _TOKEN.finditer(s):
            starts.append(m.start())
            ends.append(m.end())
            words.append(m.group())
        return cls(s, starts, ends, words)

    def span(self, m: re.Match[str]) -> tuple[int, int]:
        """Token range [t0, t1) covered by a regex match on ``s``."""
        t0 = max(0, bisect_right(self.starts, m.start()) - 1)
        t1 = max(t0 + 1, bisect_left(self.starts, m.end()))
        return t0, t1

    def find(self, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        return [self.span(m) for m in pattern.finditer(self.s)]

    def clause_start(self, t: int) -> int:
        """First token of the clause containing token t (after the last boundary)."""
        i = t - 1
        while i >= 0:
            if self.words[i] in _BOUNDARY_WORDS:
                return i + 1
            i -= 1
        return 0

    def clause_end(self, t: int, limit: int) -> int:
        j = t
        end = min(len(self.words), t + limit)
        while j < end:
            if self.words[j] in _BOUNDARY_WORDS:
                return j
            j += 1
        return end

    def substring(self, t0: int, t1: int) -> str:
        if t0 >= t1 or t0 >= len(self.starts):
            return ""
        return self.s[self.starts[t0] : self.ends[min(t1, len(self.ends)) - 1]]


@dataclass
class _Event:
    signal: str  # verb or nominal id
    kind: str  # weight key
    verb_at: int
    obj_signal: str | None
    obj_at: int


@dataclass
class _Analysis:
    """Everything the rules found in one clause (no context yet)."""

    text: _Text
    events: list[_Event]
    ai_objects: list[tuple[str, int, int]]
    data: list[tuple[str, int, int]]


_OBJ_WINDOW = 14


def _ai_object_hits(t: _Text, rules: _Rules) -> list[tuple[str, int, int]]:
    excluded: list[tuple[int, int]] = []
    for _sid, pat in rules.model_senses:
        for span in t.find(pat):
            excluded.append(span)
    hits: list[tuple[str, int, int]] = []
    for oid, pat in rules.ai_objects:
        for a, b in t.find(pat):
            if oid == "obj.ai-model" and any(x <= a < y or x < b <= y for x, y in excluded):
                continue
            hits.append((oid, a, b))
    hits.sort(key=lambda h: h[1])
    return hits


def _instrument_between(t: _Text, a: int, b: int) -> bool:
    return any(w in L.INSTRUMENT_WORDS for w in t.words[a:b])


# words allowed between "for" and the AI object in "use your data for (the training of) AI"
_FOR_GAP = frozenset(
    {
        "the",
        "our",
        "its",
        "their",
        "a",
        "an",
        "future",
        "new",
        "generative",
        "training",
        "developing",
        "improving",
        "building",
        "development",
        "improvement",
        "of",
    }
)


def _find_events(
    t: _Text,
    rules: _Rules,
    ai_hits: list[tuple[str, int, int]],
    data: list[tuple[str, int, int]],
) -> list[_Event]:
    events: list[_Event] = []
    people_spans = t.find(rules.training_people)
    for vid, strength, pat in rules.verbs:
        for m in pat.finditer(t.s):
            v0, v1 = t.span(m)
            word = t.words[v0]
            if v0 > 0 and t.words[v0 - 1] == "-":
                continue  # "AI-enhanced features", "ML-trained": an adjective, not a verb
            if vid == "verb.train":
                if any(a <= v0 < b for a, b in people_spans):
                    continue
                if rules.staff_object.match(t.s[t.ends[v1 - 1] :] if v1 - 1 < len(t.ends) else ""):
                    continue
            if vid == "verb.make-better":
                window = (v0 + 1, v1)
            else:
                window = (v1, t.clause_end(v1, _OBJ_WINDOW))
            if (
                word.endswith("ed")
                and strength != "strong"
                and v0 > 0
                and t.words[v0 - 1] in _ADJECTIVE_CONTEXT
            ):
                continue  # "the latest models, improved image creation": an adjective
            passive = (
                strength in ("strong", "medium")
                and word.endswith("ed")
                and (
                    (v0 >= 1 and t.words[v0 - 1] in _BE)
                    or (v0 >= 2 and t.words[v0 - 2] in _BE)
                    or any(b in (v0, v0 - 1) for _, _, b in ai_hits)
                )
            )
            found = None
            if not passive:
                for oid, a, _b in ai_hits:
                    if "your" in t.words[window[0] : a]:
                        continue  # "improve your AI images": the user's AI output, not a model
                    if window[0] <= a < window[1] and not _instrument_between(t, v1, a):
                        found = (oid, a)
                        break
            if found:
                kind = {
                    "strong": "event.strong-active",
                    "medium": "event.medium",
                    "weak": "event.weak",
                }[strength]
                events.append(_Event(vid, kind, v0, found[0], found[1]))
                continue
            if strength != "strong" and not passive:
                continue
            if passive:
                c0 = t.clause_start(v0)
                subj = [h for h in ai_hits if c0 <= h[1] < v0]
                if subj:
                    events.append(_Event(vid, "event.strong-passive", v0, subj[-1][0], subj[-1][1]))
                continue
            after = t.words[v1 : v1 + 2]
            if vid == "verb.train" and after[:1] and after[0] in ("on", "using", "with", "from"):
                # "we (do not) train on your business data"
                tail = t.substring(v1, min(len(t.words), v1 + 6))
                if any(pat2.search(tail) for did, pat2 in rules.user_data if did != "data.generic"):
                    events.append(_Event(vid, "event.train-on-data", v0, None, v1))
                    continue
            head = t.substring(v1, min(len(t.words), v1 + 5))
            tech = next((oid for oid, pat2 in rules.tech_objects if pat2.search(head)), None)
            if tech and word in ("train", "trains", "retrain", "retrains", "re-train"):
                events.append(_Event(vid, "event.strong-tech", v0, tech, v1))
                continue
            if ai_hits and word != "training":
                oid, a, _ = ai_hits[0]
                events.append(_Event(vid, "event.strong-anywhere", v0, oid, a))
    for nid, pat in rules.nominals:
        for a, b in t.find(pat):
            if any(x < b and a < y for x, y in people_spans):
                continue  # "AI training courses"
            if nid == "nom.data-sources" and not ai_hits:
                continue
            events.append(_Event(nid, nid, a, None, a))
    for m in rules.learn_from.finditer(t.s):
        v0, _ = t.span(m)
        c0 = t.clause_start(v0)
        subj = [h for h in ai_hits if c0 <= h[1] < v0 and v0 - h[2] <= 4]
        if subj:
            events.append(
                _Event("verb.learn-from", "event.learn-from", v0, subj[-1][0], subj[-1][1])
            )
    # "use your information for generative AI models"
    for m in re.finditer(
        r"\b(?:use|uses|used|using|usage|process|processes|processed|processing|leverage|leverages)\b",
        t.s,
    ):
        u0, u1 = t.span(m)
        end = t.clause_end(u1, 16)
        for j in range(u1, end):
            if t.words[j] == "for":
                if not any(u1 <= d[1] < j for d in data):
                    break  # "Terms of Use for Gemini": nothing is being used
                after = [
                    h
                    for h in ai_hits
                    if j < h[1] <= j + 3 and all(w in _FOR_GAP for w in t.words[j + 1 : h[1]])
                ]
                if after and not rules.ai_feature_objects.search(
                    t.substring(after[0][1], after[0][2] + 2)
                ):
                    nxt = t.words[after[0][2]] if after[0][2] < len(t.words) else ""
                    if nxt not in (
                        "features",
                        "feature",
                        "tools",
                        "tool",
                        "products",
                        "chatbot",
                        "chatbots",
                        "assistant",
                    ):
                        events.append(
                            _Event("use.for-ai", "event.use-for-ai", u0, after[0][0], after[0][1])
                        )
                break
    return events


@functools.lru_cache(maxsize=8192)
def _analyse(text: str) -> _Analysis:
    rules = _rules()
    t = _Text.of(text)
    ai_hits = _ai_object_hits(t, rules)
    data: list[tuple[str, int, int]] = []
    own = t.find(rules.own_content)
    for did, pat in rules.user_data:
        for a, b in t.find(pat):
            if any(x <= a < y for x, y in own):
                continue
            data.append((did, a, b))
    events = _find_events(t, rules, ai_hits, data) if ai_hits or "train" in t.s else []
    return _Analysis(t, events, ai_hits, data)


def _data_bonus(
    data: list[tuple[str, int, int]], weights: dict[str, float]
) -> tuple[float, str | None]:
    specific = [d for d in data if d[0] != "data.generic"]
    if specific:
        return weights["data.specific"], specific[0][0]
    if data:
        return weights["data.generic"], "data.generic"
    return 0.0, None


_SUBORDINATE = re.compile(
    r"^(?:even )?(?:if|whether|when|whenever|although|though|while|because|since|as|regardless|where)\b"
)


def _negated(t: _Text, rules: _Rules, ev: _Event) -> bool:
    """Is the event inside the scope of a negator of its own clause?

    Before the verb: "we do not use X to train", "no data is used for model training", but not
    a negator inside a leading subordinate clause ("Even if you don't have an account, we may
    still process information to improve AI"). After the verb, only a negation that takes the
    user data out: "trained on public data, not on yours".
    """
    c0 = t.clause_start(ev.verb_at)
    span = t.substring(c0, ev.verb_at).rsplit("—", 1)[-1]  # a dash starts a new thought
    pieces = span.split(",")
    kept = [p for p in pieces[:-1] if not _SUBORDINATE.match(p.strip())] + pieces[-1:]
    span = ",".join(kept)
    if span and rules.negators.search(rules.not_negation.sub(" ", span)):
        return True
    after = t.substring(ev.verb_at, t.clause_end(ev.verb_at + 1, 24))
    return bool(rules.post_negation.search(after))


def _condition_spans(t: _Text, rules: _Rules) -> list[tuple[int, int]]:
    spans = []
    for _cid, pat in rules.conditions:
        for m in pat.finditer(t.s):
            spans.append((m.start(), len(t.s)))
    return spans


def _controls(t: _Text, rules: _Rules, skip_conditions: bool = True) -> list[str]:
    spans = _condition_spans(t, rules) if skip_conditions else []
    found = []
    label_like = len(t.words) <= 16 and not t.s.rstrip().endswith("?")
    for cid, pat in rules.controls:
        if cid == "ctl.first-person" and not label_like:
            continue
        for m in pat.finditer(t.s):
            if any(a <= m.start() < b for a, b in spans):
                continue
            found.append(cid)
            break
    return found


@functools.lru_cache(maxsize=8192)
def _verdict(text: str) -> tuple[float, str, tuple[str, ...], bool]:
    """Classify a clause on its own. Returns (score, category, signals, restricted)."""
    rules = _rules()
    w = rules.weights
    an = _analyse(text)
    t = an.text
    bonus, data_id = _data_bonus(an.data, w)

    if not an.events:
        bare = rules.bare_training.search(t.s)
        if bare and not rules.training_people.search(t.s):
            controls = [
                c for c in _controls(t, rules, skip_conditions=False) if c in _INHERITING_CONTROLS
            ]
            if controls:
                # "Opting out does not affect training that has already taken place."
                sig = ("nom.training-bare", *controls)
                return w["event.training-control"], "opt-out", sig, False
        cat = "ai-feature-use-not-training" if an.ai_objects else "not-ai"
        sig = [h[0] for h in an.ai_objects[:3]]
        sig += [fid for fid, pat in rules.tool_use if pat.search(t.s)]
        return (0.1 if an.ai_objects else 0.0), cat, tuple(dict.fromkeys(sig)), False

    # Events inside a condition ("unless you turn on the Improve our AI setting") describe the
    # exception, not the main statement; they only count when nothing else does.
    cond_starts = [t.span(m)[0] for _, pat in rules.conditions[:2] for m in pat.finditer(t.s)]
    scored: list[tuple[float, _Event, bool, bool]] = []  # score, event, negated, in-condition
    for ev in an.events:
        in_cond = any(c < ev.verb_at for c in cond_starts)
        scored.append((w[ev.kind] + bonus, ev, _negated(t, rules, ev), in_cond))
    main = [x for x in scored if not x[3]] or scored
    positive = [x for x in main if not x[2]]
    negative = [x for x in main if x[2]]
    best = max(positive, key=lambda x: x[0]) if positive else None
    ref = best if best else max(negative, key=lambda x: x[0])
    ev_ref = ref[1]

    signals: list[str] = []
    restricted = False
    pre = t.substring(0, ev_ref.verb_at)
    own_content = bool(rules.own_content.search(t.s))
    if rules.user_may_not.search(pre):
        restricted = True
        signals.append("restrict.user-may-not")
    elif own_content and not _COMPANY_ACTOR.search(t.s):
        restricted = True
        signals.append("restrict.company-content")
    if restricted and rules.any_ai.search(t.s):
        signals.append("restrict.any-ai")
    clause_pre = t.substring(t.clause_start(ev_ref.verb_at), ev_ref.verb_at)
    if best is not None and rules.third_party_restriction.search(clause_pre):
        signals.append("restrict.third-party")
        negative.append(best)
        best = None

    controls_all = _controls(t, rules, skip_conditions=False)
    controls = _controls(t, rules)
    conditions = [cid for cid, pat in rules.conditions if pat.search(t.s)]
    exception = False
    via_control = False
    if best is None:
        score, ev, _, _ = max(negative, key=lambda x: x[0])
        c0 = t.clause_start(ev.verb_at)
        # an exception only counts after the negator: "we won't ... unless you ..."
        neg_m = rules.negators.search(t.s, t.starts[c0] if c0 < len(t.starts) else 0)
        tail = t.s[neg_m.end() :] if neg_m else ""
        if not restricted and rules.exceptions.search(tail):
            exception = True
            signals.append(_negation_id(t, rules, ev))
            signals.append("cond.exception")
        elif controls_all and not restricted:
            via_control = True
            signals.append(_negation_id(t, rules, ev))
            signals.append("ctl.negated-by-control")
        else:
            if not restricted:
                signals.append(_negation_id(t, rules, ev))
            signals = [ev.signal, *([ev.obj_signal] if ev.obj_signal else []), *signals]
            if data_id:
                signals.append(data_id)
            cap = w["cap.restricted"] if restricted else w["cap.negated"]
            return (
                round(min(score, cap) * 0.5, 3),
                "not-ai",
                tuple(dict.fromkeys(signals)),
                restricted,
            )
    else:
        score, ev = best[0], best[1]

    if (
        (not data_id or data_id == "data.generic")
        and not ev.kind.startswith("nom.")
        and _ai_subject(an)
        and not _ANY_ACTOR.search(t.s)
        and not controls_all
    ):
        # "LLMs learn from data ... people who help train the models", "Alexa's models may
        # produce content based on data used to train these models": a description of how AI
        # works, with an AI system as the subject and neither user data nor the company.
        score = min(score, w["cap.descriptive"])
        signals.append("desc.ai-subject")

    signals = [ev.signal, *([ev.obj_signal] if ev.obj_signal else []), *signals]
    if data_id:
        signals.append(data_id)
    for sid, pat in rules.sensitive:
        if pat.search(t.s):
            signals.append(sid)
    if restricted:
        return min(score, w["cap.restricted"]), "not-ai", tuple(dict.fromkeys(signals)), True
    if rules.user_trains.search(t.s):
        signals.append("feat.user-trains")
        cat = "ai-feature-use-not-training"
        return min(score, w["cap.user-feature"]), cat, tuple(dict.fromkeys(signals)), False

    recipients = [rid for rid, pat in rules.recipients if pat.search(t.s)]
    their = bool(rules.their_models.search(t.s))
    # "so that Microsoft can train ...", "to enable OpenAI to train ..."
    recipient_actor = bool(
        rules.recipient_actor.search(t.substring(max(0, ev.verb_at - 6), ev.verb_at))
    ) and ("interests of" not in t.s)
    licensing = bool(recipients) and (bool(rules.share.search(t.s)) or their or recipient_actor)
    signals.extend(conditions)
    used_controls = controls_all if (exception or via_control) else controls
    signals.extend(used_controls)
    if licensing:
        signals.extend(recipients)
        if their:
            signals.append("recip.their-models")
    signals_t = tuple(dict.fromkeys(signals))
    if score < L.THRESHOLD and rules.bare_training.search(t.s):
        strong = [c for c in controls_all if c in _INHERITING_CONTROLS]
        if strong:
            # "you can turn off training in the Sora settings"
            sig = tuple(dict.fromkeys([*signals, "nom.training-bare", *strong]))
            return w["event.training-control"], "opt-out", sig, False
    if score < L.THRESHOLD:
        return (
            score,
            ("ai-feature-use-not-training" if an.ai_objects else "not-ai"),
            signals_t,
            False,
        )
    if used_controls and (
        exception or via_control or not conditions or _strong_control(used_controls)
    ):
        cat = "opt-out"
    elif licensing:
        cat = "licensing-to-third-parties"
    else:
        cat = "training-permission"
    return score, cat, signals_t, False


# Before an "-ed" form these make it an adjective ("improved image creation", "with trained").
_ADJECTIVE_CONTEXT = frozenset(
    {",", "and", "or", "with", "an", "a", "the", "more", "new", "highly", "of", "(", "-", "its"}
)

_SUBJECT_MODIFIERS = frozenset(
    {"the", "these", "those", "such", "many", "most", "some", "all", "modern", "large", "today's"}
)


def _ai_subject(an: _Analysis) -> bool:
    """Does the clause open with an AI system as its subject ("LLMs learn ...")?"""
    if not an.ai_objects:
        return False
    first = an.ai_objects[0][1]
    before = an.text.words[:first]
    return len(before) <= 3 and all(w in _SUBJECT_MODIFIERS or w.endswith("'s") for w in before)


def _negation_id(t: _Text, rules: _Rules, ev: _Event) -> str:
    c0 = t.clause_start(ev.verb_at)
    m = rules.negators.search(rules.not_negation.sub(" ", t.substring(c0, ev.verb_at)))
    word = m.group().strip() if m else "not"
    return {"never": "neg.never", "no": "neg.no", "no longer": "neg.no-longer"}.get(
        word, "neg.do-not"
    )


# Controls strong enough to make a bare sentence an opt-out of the AI use its context describes.
_INHERITING_CONTROLS = frozenset(
    {"ctl.opt-out", "ctl.object", "ctl.turn-off", "ctl.setting", "ctl.consent"}
)


def _strong_control(controls: list[str]) -> bool:
    return any(c in ("ctl.opt-out", "ctl.turn-off", "ctl.first-person") for c in controls)


@functools.lru_cache(maxsize=16384)
def _relevant(text: str) -> bool:
    """Cheap first pass: most clauses mention nothing about AI or training at all."""
    return bool(_rules().prefilter.search(text.lower()))


def classify(text: str, context: Sequence[str] = ()) -> Classification:
    """Classify one clause; ``context`` is its heading path / list lead-in, outermost first.

    The context only helps: it can supply the user data a list item leaves implicit ("We use
    the following to train our models:" / "- your public posts"), turn list items into
    prohibitions ("You may not:"), or make a bare control ("You can opt out at any time") an
    opt-out of the AI-training use its lead-in describes.
    """
    rules = _rules()
    w = rules.weights
    near = [c for c in list(context)[-2:] if c]
    relevant = _relevant(text)
    ctx_relevant = any(_relevant(c) for c in near)
    if not relevant and not ctx_relevant:
        return Classification(False, 0.0, "not-ai", ())

    score, category, signals, restricted = _verdict(text)
    sig = list(signals)

    if near:
        lead = near[-1]
        lead_t = _Text.of(lead)
        own_t = _analyse(text).text
        if (
            not restricted
            and rules.restriction_lead_in.search(lead_t.s)
            and not _COMPANY_ACTOR.search(own_t.s)
            and any(s.startswith(("verb.", "nom.", "use.")) for s in sig)
        ):
            return Classification(
                False,
                round(min(score, w["cap.restricted"]), 3),
                "not-ai",
                tuple(dict.fromkeys([*sig, "restrict.lead-in"])),
            )
        if (
            score < L.THRESHOLD
            and any(s.startswith(("verb.", "use.")) for s in sig)
            and not any(s.startswith(("neg.", "restrict.", "feat.")) for s in sig)
        ):
            # the clause names AI development but not the data: take the data from the context
            ctx_data = []
            for c in near:
                ctx_data.extend(d for d in _analyse(c).data if d[0] != "data.generic")
            if ctx_data and score + w["data.context"] >= L.THRESHOLD:
                score += w["data.context"]
                sig.append("ctx." + ctx_data[0][0])
                category = "training-permission"
        if score < L.THRESHOLD and not any(s.startswith(("neg.", "restrict.")) for s in sig):
            # inherit an AI-training lead-in / row label / nearest heading
            ctx_score, ctx_cat, ctx_sig, ctx_restricted = _verdict(lead)
            if (
                ctx_score >= L.THRESHOLD
                and not ctx_restricted
                and ctx_cat != "ai-feature-use-not-training"
            ):
                an = _analyse(text)
                negated_here = bool(rules.negators.search(rules.not_negation.sub(" ", an.text.s)))
                controls = [c for c in _controls(an.text, rules) if c in _INHERITING_CONTROLS]
                specific = [d for d in an.data if d[0] != "data.generic"]
                if controls and not negated_here:
                    score = w["context.training"]
                    category = "opt-out"
                    sig = [*sig, "ctx.training", *controls]
                elif specific and not negated_here:
                    score = w["context.training"]
                    category = ctx_cat if ctx_cat != "opt-out" else "training-permission"
                    sig = [*sig, "ctx.training", specific[0][0]]
    ai = score >= L.THRESHOLD
    if not ai and category in ("training-permission", "opt-out", "licensing-to-third-parties"):
        category = "not-ai"
    return Classification(
        ai, round(max(0.0, min(score, 0.99)), 3), category, tuple(dict.fromkeys(sig))
    )


def ai_related(result: Classification) -> bool:
    """Should a listing of "AI clauses" show this clause?

    True for AI-training clauses and AI-feature clauses, and also for the negated or restricted
    training statements that are ``not-ai`` as permissions but matter to a reader: "we do not
    use your messages to train our models", "you may not use our content to train AI".
    """
    if result.ai_training or result.category == "ai-feature-use-not-training":
        return True
    signals = result.signals
    return any(s.startswith(("verb.", "nom.", "use.")) for s in signals) and any(
        s.startswith(("neg.", "restrict.")) for s in signals
    )
