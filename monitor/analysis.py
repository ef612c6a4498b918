"""What a stored fetch says, computed without the database: extraction, diff, findings.

Pure functions of bytes and texts (DESIGN.md §3.4: pure core, I/O at the edges). They live
apart from the tracker so that a pool of worker processes can run them without importing
SQLAlchemy or the models: extraction is the parent's main CPU cost during a crawl, and the
tracker hands batches of it to the other core (see ``monitor.runner``).

Why the fingerprint shortcut: most fetches of a policy return a page whose raw bytes differ
(CSRF tokens, timestamps, ads) while the policy is the same. A cheap lxml fingerprint of the
selected region, equal to the one recorded with the latest version, proves the text is
unchanged without running the full extractor (the extractor's contract guarantees it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from monitor import codec
from monitor.declarations import DocumentDeclaration

#: Bump when extraction rules change in a way that changes output, so fingerprints recorded
#: by an older extractor never vouch for text the new one would produce differently.
EXTRACTOR_EPOCH = "1"


def fingerprint_key(decl: DocumentDeclaration, region: str | None) -> str | None:
    """Bind a region fingerprint to the declaration and extractor that produced it."""
    if region is None:
        return None
    material = "|".join(
        [
            EXTRACTOR_EPOCH,
            "\x1f".join(decl.select),
            "\x1f".join(decl.remove),
            str(decl.min_length),
            region,
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class Analysis:
    """What a snapshot says."""

    fingerprint: str | None
    text: str | None = None  # None: same fingerprint as the latest version, not extracted
    failure: tuple[str, str] | None = None  # (reason, message)
    effective_date: str | None = None
    # sha256 of the text's UTF-8 form, when known for free (see __reduce__): spares the crawl
    # process hashing ~100 KB per new version. Not part of what the analysis says.
    text_sha256: str | None = field(default=None, compare=False)

    def __reduce__(self):
        """Cross process boundaries with the text as UTF-8 bytes, and its digest.

        Why: every analysis made in a worker comes back to the crawl process, and pickle
        rebuilds a ``str`` through a slow decoding path: for 1000 texts of ~100 KB, 0.57 s of
        the crawl process's CPU, against 0.17 s for ``bytes.decode`` (measured), at a point
        where that process is the crawl's bottleneck. The bytes at hand make the digest the
        version row needs cheap to compute here, in the worker.
        """
        data = digest = None
        if self.text is not None:
            data = self.text.encode("utf-8", "surrogatepass")
            digest = hashlib.sha256(data).hexdigest()
        return _analysis_from_wire, (
            self.fingerprint,
            data,
            self.failure,
            self.effective_date,
            digest,
        )


def _analysis_from_wire(
    fingerprint: str | None,
    data: bytes | None,
    failure: tuple[str, str] | None,
    effective_date: str | None,
    text_sha256: str | None = None,
) -> Analysis:
    """The other half of :meth:`Analysis.__reduce__`."""
    text = None
    if data is not None:
        try:
            text = data.decode("utf-8")  # the fast path; a lone surrogate needs the slow one
        except UnicodeDecodeError:
            text = data.decode("utf-8", "surrogatepass")
    return Analysis(fingerprint, text, failure, effective_date, text_sha256)


def analyse(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    decl: DocumentDeclaration,
    latest_fingerprint: str | None,
) -> Analysis:
    """Fingerprint first (cheap); extract only when the selected region changed.

    For a document's first snapshot there is nothing to compare, so one parse gives both
    the text and the fingerprint.
    """
    from monitor.extract import ExtractionFailed, extract, find_effective_date, region_fingerprint

    if latest_fingerprint is not None:
        key = fingerprint_key(
            decl,
            region_fingerprint(
                body, content_type=content_type, select=decl.select, remove=decl.remove, url=url
            ),
        )
        if key is not None and key == latest_fingerprint:
            return Analysis(key)
    try:
        result = extract(
            body,
            url=url,
            content_type=content_type,
            select=decl.select,
            remove=decl.remove,
            min_length=decl.min_length,
        )
    except ExtractionFailed as exc:
        return Analysis(None, failure=(exc.reason, exc.message))
    effective = find_effective_date(result.text)
    return Analysis(
        fingerprint_key(decl, result.fingerprint),
        result.text,
        effective_date=effective.isoformat() if effective else None,
    )


@dataclass(frozen=True)
class SnapshotJob:
    """One stored body to analyse, as it comes out of the database (still compressed:
    decompressing is part of the work handed to a worker)."""

    data: bytes
    compression: str | None
    url: str
    content_type: str | None
    decl: DocumentDeclaration
    latest_fingerprint: str | None


def analyse_job(job: SnapshotJob) -> Analysis:
    """:func:`analyse` for a :class:`SnapshotJob` (a top-level function: picklable)."""
    body = codec.decompress(job.compression, job.data)
    return analyse(
        body,
        url=job.url,
        content_type=job.content_type,
        decl=job.decl,
        latest_fingerprint=job.latest_fingerprint,
    )


@dataclass(frozen=True)
class ChangeAnalysis:
    """A new version's diff class, sizes and findings against the previous version."""

    change_class: str
    added_chars: int
    removed_chars: int
    findings: tuple = ()


def analyse_change_texts(previous: str, new: str, earlier: tuple[str, ...] = ()) -> ChangeAnalysis:
    """Diff ``previous`` → ``new``; for a substantive change, the AI-clause findings.

    ``earlier``: texts of versions before ``previous`` (newest first). Their clauses let a
    clause that flaps back in (a capture that lost a section, then regained it) read as
    "reappeared", not as a new permission.
    """
    from monitor.diff import diff_texts

    diff = diff_texts(previous, new)
    change_class = diff.change_class if diff.change_class != "none" else "formatting"
    found: tuple = ()
    if change_class == "substantive":
        from monitor.findings import clause_keys, findings_for_change

        seen: set[str] = set()
        for text in earlier:
            seen |= clause_keys(text)
        found = tuple(findings_for_change(previous, new, previously_seen=seen))
    return ChangeAnalysis(change_class, diff.added_chars, diff.removed_chars, found)


def analyse_change_job(args: tuple[str, str, tuple[str, ...]]) -> ChangeAnalysis:
    """:func:`analyse_change_texts` for one ``(previous, new, earlier)`` tuple: a top-level
    function of this module, so that a worker unpickling it imports nothing but the pure
    core (a function of the tracker would drag SQLAlchemy and the models into every worker:
    ~0.5 s each, measured)."""
    return analyse_change_texts(*args)
