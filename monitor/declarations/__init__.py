"""Declarations: the data that says how to get each Document (DESIGN.md §2).

A declaration is TOML, never code, so a user can add a service or fix a selector without
touching Python. The built-in declarations live beside this module, one file per service;
a user's config file uses exactly the same shape (DESIGN.md §5) and is merged on top:

    [[service]]
    slug = "example"
    name = "Example Corp"
    [[service.document]]
    kind = "privacy-policy"
    title = "Privacy Policy"
    url = "http://127.0.0.1:8123/privacy"
    select = ["main"]
    remove = [".promo"]

A config document whose (slug, kind) matches a built-in one overrides only the keys it sets,
so ``url = "http://127.0.0.1:8000/x"`` alone retargets a built-in document (tests do that).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ALLOWED_SCHEMES = ("http://", "https://")


class DeclarationError(ValueError):
    """A declaration is malformed; the message names the source, the key and what is expected."""


@dataclass(frozen=True)
class DocumentDeclaration:
    """How to fetch and extract one Document of a Service."""

    service: str
    kind: str
    title: str
    url: str
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    needs_js: bool = False
    min_length: int = 500
    ignore_robots_txt: bool = False
    robots_reason: str = ""
    enabled: bool = True
    note: str = ""

    @property
    def key(self) -> str:
        """The stable ``service/kind`` key used in tables, CLI output and alerts."""
        return f"{self.service}/{self.kind}"


@dataclass(frozen=True)
class ServiceDeclaration:
    """A monitored platform and its documents."""

    slug: str
    name: str
    documents: tuple[DocumentDeclaration, ...] = field(default_factory=tuple)
    builtin: bool = False

    def document(self, kind: str) -> DocumentDeclaration | None:
        return self._by_kind.get(kind)

    @cached_property
    def _by_kind(self) -> dict[str, DocumentDeclaration]:
        """Kind → declaration; the crawl looks one up per fetched page, and a researcher's
        config may declare thousands of documents for one service."""
        by_kind: dict[str, DocumentDeclaration] = {}
        for decl in self.documents:
            by_kind.setdefault(decl.kind, decl)
        return by_kind


_DOC_KEYS: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "title": str,
    "url": str,
    "select": list,
    "remove": list,
    "needs_js": bool,
    "min_length": int,
    "ignore_robots_txt": bool,
    "robots_reason": str,
    "enabled": bool,
    "note": str,
}
_SERVICE_KEYS = {"slug", "name", "document"}


def _expect(value: Any, typ: type | tuple[type, ...], where: str, what: str) -> Any:
    if isinstance(value, bool) and typ is int:
        raise DeclarationError(f"{where}: expected {what}, got {value!r}")
    if not isinstance(value, typ):
        raise DeclarationError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")
    return value


def _check_url(url: str, where: str) -> str:
    if not url.startswith(ALLOWED_SCHEMES):
        raise DeclarationError(
            f"{where}: expected an http:// or https:// URL, got {url!r} "
            "(file:// and other schemes are refused so a declaration cannot read local files)"
        )
    return url


def _parse_document(
    raw: Mapping[str, Any], service: str, source: str, idx: int, partial: bool
) -> dict[str, Any]:
    where = f"{source}: service {service!r} document #{idx + 1}"
    if not isinstance(raw, Mapping):
        raise DeclarationError(f"{where}: expected a table ([[service.document]])")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _DOC_KEYS:
            known = ", ".join(sorted(_DOC_KEYS))
            raise DeclarationError(f"{where}: unknown key {key!r} (known keys: {known})")
        typ = _DOC_KEYS[key]
        k = f"{where} key {key!r}"
        if typ is list:
            _expect(value, list, k, "a list of CSS selector strings")
            for item in value:
                _expect(item, str, k, "a list of CSS selector strings")
            out[key] = tuple(value)
        elif typ is int:
            _expect(value, int, k, "a whole number")
            if value < 0:
                raise DeclarationError(f"{k}: expected a number >= 0, got {value}")
            out[key] = value
        elif typ is bool:
            _expect(value, bool, k, "true or false")
            out[key] = value
        else:
            out[key] = _expect(value, str, k, "a string")
    if "kind" not in out:
        raise DeclarationError(f"{where}: missing key 'kind' (a slug like 'privacy-policy')")
    if not SLUG_RE.match(out["kind"]):
        raise DeclarationError(
            f"{where} key 'kind': expected lowercase letters, digits and '-', got {out['kind']!r}"
        )
    if "url" in out:
        _check_url(out["url"], f"{where} key 'url'")
    if not partial:
        for required in ("url",):
            if required not in out:
                raise DeclarationError(f"{where} ({out['kind']}): missing key {required!r}")
    return out


def parse_services(
    data: Mapping[str, Any], source: str, *, builtin: bool = False, known: Iterable[str] = ()
) -> list[tuple[str, str | None, list[dict[str, Any]]]]:
    """Validate the ``[[service]]`` tables of one TOML document.

    Returns raw (slug, name, [document dicts]) triples; merging happens in :func:`merge`.
    ``known`` lists built-in slugs, for which documents may be partial overrides.
    """
    services = data.get("service", [])
    if not isinstance(services, list):
        raise DeclarationError(f"{source}: 'service' must be an array of tables ([[service]])")
    known_set = set(known)
    out = []
    for i, raw in enumerate(services):
        where = f"{source}: service #{i + 1}"
        if not isinstance(raw, Mapping):
            raise DeclarationError(f"{where}: expected a table ([[service]])")
        for key in raw:
            if key not in _SERVICE_KEYS:
                raise DeclarationError(
                    f"{where}: unknown key {key!r} (known keys: document, name, slug)"
                )
        slug = raw.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            raise DeclarationError(
                f"{where} key 'slug': expected lowercase letters, digits and '-', got {slug!r}"
            )
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            raise DeclarationError(f"{where} key 'name': expected a string, got {name!r}")
        partial = slug in known_set
        if name is None and not partial:
            raise DeclarationError(f"{where} ({slug}): missing key 'name'")
        docs_raw = raw.get("document", [])
        if not isinstance(docs_raw, list):
            raise DeclarationError(f"{where} ({slug}): 'document' must be [[service.document]]")
        docs = [_parse_document(d, slug, source, j, partial) for j, d in enumerate(docs_raw)]
        seen: set[str] = set()
        for d in docs:
            if d["kind"] in seen:
                raise DeclarationError(f"{where} ({slug}): document kind {d['kind']!r} twice")
            seen.add(d["kind"])
        out.append((slug, name, docs))
    return out


def _build_doc(service: str, raw: Mapping[str, Any], source: str) -> DocumentDeclaration:
    if "url" not in raw:
        raise DeclarationError(
            f"{source}: service {service!r} document {raw['kind']!r}: missing key 'url'"
        )
    fields = dict(raw)
    fields.setdefault("title", raw["kind"].replace("-", " ").title())
    return DocumentDeclaration(service=service, **fields)


def merge(
    base: Mapping[str, ServiceDeclaration],
    overlay: list[tuple[str, str | None, list[dict[str, Any]]]],
    source: str,
) -> dict[str, ServiceDeclaration]:
    """Lay config declarations over built-in ones: per (slug, kind), keys set win."""
    merged = dict(base)
    for slug, name, docs in overlay:
        current = merged.get(slug)
        if current is None:
            built = tuple(_build_doc(slug, d, source) for d in docs)
            merged[slug] = ServiceDeclaration(slug=slug, name=name or slug, documents=built)
            continue
        by_kind = {d.kind: d for d in current.documents}
        order = [d.kind for d in current.documents]
        for d in docs:
            existing = by_kind.get(d["kind"])
            if existing is None:
                by_kind[d["kind"]] = _build_doc(slug, d, source)
                order.append(d["kind"])
            else:
                by_kind[d["kind"]] = replace(existing, **d)
        merged[slug] = replace(
            current,
            name=name or current.name,
            documents=tuple(by_kind[k] for k in order),
        )
    return merged


def load_builtin() -> dict[str, ServiceDeclaration]:
    """The declarations shipped with policywatch, keyed by slug, in file-name order."""
    out: dict[str, ServiceDeclaration] = {}
    # The files sit beside this module (package data). Path, not importlib.resources: that
    # import alone costs ~7 ms of every command's start-up, and policywatch is never zipped.
    folder = Path(__file__).resolve().parent
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        source = f"built-in declarations/{entry.name}"
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DeclarationError(f"{source}: not valid TOML: {exc}") from exc
        for slug, name, docs in parse_services(data, source):
            built = tuple(_build_doc(slug, d, source) for d in docs)
            out[slug] = ServiceDeclaration(
                slug=slug, name=name or slug, documents=built, builtin=True
            )
    return out
