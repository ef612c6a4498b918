"""Replay real privacy-policy histories (Open Terms Archive versions) through the pipeline.

Four documents are served side by side from a loopback server; each crawl advances every
document to its next real version. A version must be recorded for every real change, never
for a page whose text did not change, and never for a truncated capture.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from monitor import store
from monitor.config import load_settings
from monitor.db import make_engine
from monitor.models import Change, Document, Version
from monitor.render_diff import render_unified
from monitor.runner import run_crawl
from tests.support.config import write_config
from tests.support.httpserver import Page
from tests.support.mdhtml import policy_html

HISTORIES = {
    "linkedin-privacy": ("LinkedIn", "Privacy Policy"),
    "google-privacy": ("Google", "Privacy Policy"),
    "discord-privacy": ("Discord", "Privacy Policy"),
    "reddit-privacy": ("Reddit", "Privacy Policy"),
}


def _words(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


@pytest.mark.slow
def test_real_histories_record_one_version_per_real_change(corpus_dir, tmp_path, policy_server):
    manifest = json.loads((corpus_dir / "versions" / "manifest.json").read_text())
    files: dict[str, list[str]] = {}
    for kind, (service, terms) in HISTORIES.items():
        rows = [r for r in manifest if r["service"] == service and r["terms_type"] == terms]
        rows.sort(key=lambda r: r["source_seq"])
        files[kind] = [(corpus_dir.parent / r["path"]).read_text(encoding="utf-8") for r in rows]

    db_url = f"sqlite:///{tmp_path / 'replay.db'}"
    cfg = write_config(
        tmp_path / "pw.toml",
        policy_server.base,
        {k: f"/{k}" for k in HISTORIES},
        db_url=db_url,
        min_length=1000,
    )
    settings = load_settings(cfg, env={})
    engine = make_engine(db_url)
    rounds = max(len(v) for v in files.values())
    for i in range(rounds):
        for kind, texts in files.items():
            md = texts[min(i, len(texts) - 1)]
            policy_server.set(f"/{kind}", Page(policy_html(md, title=kind, noise=f"csrf-{i}")))
        result = run_crawl(settings, engine)
        # The one truncated real capture (Reddit, 2 KB) must be held, nothing else may fail.
        failed = [o for o in result.outcomes if o[1] == "failed" and o[2] != "suspicious-shrink"]
        assert not failed, (i, failed)

    maker = store.session_factory(engine)
    with maker() as s:
        for kind, texts in files.items():
            doc = s.scalars(select(Document).where(Document.kind == kind)).one()
            versions = list(
                s.scalars(
                    select(Version).where(Version.document_id == doc.id).order_by(Version.number)
                )
            )
            # What a user expects: a substantive (or date-only) change whenever the words
            # changed, a links-only/formatting one when only link targets or layout did, and
            # nothing for a capture that lost more than half the text (held until confirmed;
            # the next capture restores the text, so it never becomes a version).
            word_changes, last = 0, None
            for md in texts:
                words = _words(md)
                if last is not None and len(words) < 0.5 * len(last):
                    continue
                if words != last:
                    word_changes += 1
                    last = words
            assert word_changes <= len(versions) <= len(texts), (kind, len(versions))
            assert all(len(v.text) > 5000 for v in versions), kind
            changes = list(
                s.scalars(select(Change).where(Change.document_id == doc.id).order_by(Change.id))
            )
            assert len(changes) == len(versions) and changes[0].change_class == "first"
            word_level = 0
            for ch in changes[1:]:
                old = s.get(Version, ch.from_version_id)
                new = s.get(Version, ch.to_version_id)
                assert old.text != new.text
                if _words(old.text) != _words(new.text):
                    word_level += 1
                    assert ch.change_class in ("substantive", "date-only"), (kind, new.number)
                    diff = render_unified(old.text, new.text, from_label="old", to_label="new")
                    assert diff.count("\n+") + diff.count("\n-") >= 2, (kind, new.number)
                elif ch.change_class == "substantive":
                    # Only punctuation moved (an escaped '>' or a list dash in the source
                    # markdown): recorded, but there must be no word in what changed.
                    from monitor.diff import diff_texts

                    d = diff_texts(old.text, new.text)
                    assert not re.search(r"\w", d.added_text() + d.removed_text()), (
                        kind,
                        new.number,
                    )
                else:
                    assert ch.change_class in ("links-only", "formatting"), (kind, new.number)
                assert ch.added_chars + ch.removed_chars > 0
            assert word_level == word_changes - 1, (kind, word_level, word_changes)
    engine.dispose()
