"""HTML bytes -> the normalised text of a document, or a precise failure (pure, no I/O).

This is the product's most important gate: a page that is not the document (a login wall, a bot
challenge, a consent interstitial, a JavaScript shell, a half-transferred or mis-decoded page, a
layout whose selector stopped matching) must never become a version. Every such page raises
:class:`ExtractionFailed` with a ``reason`` and a one-line ``message`` that says what happened and
what to do.

Output format (what the product stores, diffs, segments into clauses and shows to users)::

    # Heading 1              headings as "#" .. "######" lines
    A paragraph.             one paragraph per block, blocks separated by one blank line
    - item                   list items as "- " (ordered lists "1. ", honouring start/value)
      - nested item          two spaces of indentation per nesting level
    | cell | cell |          table rows (layout tables - role=presentation, nested or
                             one-column tables - are read as ordinary blocks)
    [link text](https://normalised.url/)   links inline; mailto: kept; javascript: and
                             same-page "#..." links reduced to their text; empty links dropped

Lines of one top-level list (with its nested lists) or of one table follow each other without a
blank line; the next list or table starts after one. ``<br>`` breaks a paragraph into lines.
Relative links resolve against the page's ``<base href>``, else its URL, and go through
``monitor.normalise.normalise_url`` (tracking ids, session ids and signed-CDN parameters removed),
so link churn is not a text change. A link that wraps blocks (a "card") keeps its blocks and
loses the link markup.

Images (and their alt text), script/style/noscript/template/svg/iframe/object, form controls
(input/select/textarea/option, buttons except accordion toggles and buttons inside headings or
summaries, whose text is a heading) and hidden elements (``hidden``, ``aria-hidden="true"``,
inline ``display:none``) are dropped. Collapsed content is KEPT: ``<details>`` bodies, panels
referenced by an ``aria-expanded`` toggle's ``aria-controls`` even when hidden, and
``hidden="until-found"`` (Google's help centre puts its answers in collapsed "zippies").
Emphasis (bold/italic) is not marked: a change of emphasis is not a change of the policy.
The text ends with exactly one newline; the same bytes always give byte-identical text.

Selectors (``select`` / ``remove``) are CSS (cssselect). All matches of all ``select`` selectors
are kept, in document order, nested matches once. ``remove`` selectors apply inside the
selection and may look at the selection's ancestors (``main .sr-only``). Open Terms Archive's
range selector ``{startBefore, endAfter}`` is written as one string::

    "range:<start-css>..<end-css>"                  from just before the first <start-css>
                                                    element to just after the first
                                                    <end-css> element that follows it
    "range:startAfter=<css>..endBefore=<css>"       each side may name its OTA key:
                                                    startBefore= / startAfter= and
                                                    endBefore= / endAfter=

e.g. Meta's AI terms: ``'range:[role="main"]..[role="separator"]'``. A range may be used in
``remove`` too (``'range:[role="separator"]..body'`` removes from the separator to the end of the
selection).

Performance (the pipeline must keep up with urlwatch, ~4 ms per 100 KB page - see
PERF-NOTES.md): everything runs on lxml directly - one parse per call, the region walked once in
Python, selectors translated to XPath once and cached. BeautifulSoup is deliberately not used:
building a soup costs 10-20 ms per page, several times the whole budget, and adds nothing lxml
does not give here. :func:`region_fingerprint` lets the caller skip extraction entirely for pages
whose selected content did not change (it costs little more than the parse), and
:func:`extract` returns text and fingerprint from a single parse - the fingerprint's own parse
when it is called right after :func:`region_fingerprint` for the same body. The renderer keeps
lxml attribute reads and per-word string building off the common path (see :class:`_Writer`);
its output is checked byte for byte against recorded outputs
(tests/unit/test_extract_equivalence.py).
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from monitor import charset as _charset
from monitor import pagecheck as _pagecheck
from monitor.charset import decode_body
from monitor.normalise import INVISIBLE_RE, LazyRe, nfc, normalise_text, normalise_url

__all__ = [
    "EXTRACTOR_VERSION",
    "REASONS",
    "Extraction",
    "ExtractionFailed",
    "RangeSelector",
    "decode_body",
    "extract",
    "extract_text",
    "find_effective_date",
    "parse_selector",
    "region_fingerprint",
    "validate_selector",
]


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string (long tables stay readable and compact)."""
    return tuple(text.split())


#: Bump when a change to this module can change the text of unchanged HTML: fingerprints (and
#: therefore "skip extraction" decisions) from another version never compare equal, and the
#: tracker can tell which versions a re-extraction would touch.
EXTRACTOR_VERSION = "1"

REASONS = frozenset(
    {
        "structure-changed",
        "too-short",
        "empty",
        "login-wall",
        "captcha",
        "consent-wall",
        "unsupported-browser",
        "js-required",
        "bot-wall",
        "encoding",
        "not-html",
        "truncated",
    }
)


class ExtractionFailed(Exception):
    """The fetched page is not (all of) the document; it must not become a version.

    ``reason`` is one of :data:`REASONS`; ``message`` is one line saying what happened and what
    to do. URLs in messages are shown without query string or credentials.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(reason, message)
        self.reason = reason
        self.message = " ".join(message.split())

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ExtractionFailed({self.reason!r}, {self.message!r})"


@dataclass(frozen=True)
class Extraction:
    """Result of :func:`extract`: the text and the fingerprint of the region it came from."""

    text: str
    fingerprint: str


@dataclass(frozen=True)
class RangeSelector:
    """OTA's range selector: from before/after ``start`` to before/after ``end``."""

    start: str
    start_before: bool
    end: str
    end_after: bool


# ---------------------------------------------------------------------------------------------
# lxml plumbing (imported lazily: the CLI must start fast)
# ---------------------------------------------------------------------------------------------

_etree: Any = None
_local = threading.local()


def _lxml() -> Any:
    global _etree
    if _etree is None:
        from lxml import etree

        _etree = etree
    return _etree


def _parser(encoding: str | None, huge: bool = False) -> Any:
    """A per-thread HTML parser (lxml parsers must not be shared between threads)."""
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get((encoding, huge))
    if parser is None:
        parser = _lxml().HTMLParser(
            encoding=encoding,
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            default_doctype=False,
            huge_tree=huge,
        )
        parsers[(encoding, huge)] = parser
    return parser


def _hit_limit(parser: Any) -> bool:
    """libxml2 stopped parsing at a resource limit (nesting deeper than 256 levels, or 2048
    with huge_tree): everything after that point is missing from the tree."""
    log = parser.error_log
    return bool(log) and any(e.type_name == "ERR_RESOURCE_LIMIT" for e in log)


def _parse(body: bytes, decoded: _charset.Decoded) -> Any:
    """Parse once; again without libxml2's default depth limit when a page needs it."""
    etree = _lxml()
    if decoded.utf8_bytes:
        source: bytes | str = body
        encoding: str | None = "utf-8"
    else:
        source = decoded.text
        if source.lstrip().startswith("<?xml"):
            source = _XML_DECL_RE.sub("", source, count=1)
        if not source.strip():
            return None
        encoding = None
    for huge in (False, True):
        parser = _parser(encoding, huge)
        root = etree.fromstring(source, parser)
        if not _hit_limit(parser):
            return root
    raise _TooDeep


def _xpath(expr: str) -> Any:
    """Compiled XPath, cached per thread."""
    cache = getattr(_local, "xpaths", None)
    if cache is None:
        cache = _local.xpaths = {}
    compiled = cache.get(expr)
    if compiled is None:
        compiled = cache[expr] = _lxml().XPath(expr)
    return compiled


@lru_cache(maxsize=2048)
def _css_to_xpath(css: str) -> str:
    from cssselect import HTMLTranslator
    from cssselect.parser import SelectorError
    from cssselect.xpath import ExpressionError

    css = css.strip()
    if not css:
        raise ValueError("empty CSS selector")
    try:
        return HTMLTranslator().css_to_xpath(css)
    except (SelectorError, ExpressionError) as exc:
        raise ValueError(f"invalid CSS selector {css!r}: {exc}") from None


@lru_cache(maxsize=2048)
def _is_contextual(css: str) -> bool:
    """True when a selector has a combinator, i.e. its match depends on ancestors."""
    from cssselect import parse
    from cssselect.parser import CombinedSelector

    return any(isinstance(sel.parsed_tree, CombinedSelector) for sel in parse(css))


def _literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in value.split("'")) + ")"


def _value_test(operator: str, value: str | None, subject: str) -> str | None:
    """XPath predicate body testing ``subject`` (``.`` or ``@name``) like a CSS attribute test."""
    if operator == "exists":
        return ""
    if value is None:
        return None
    lit = _literal(value)
    if operator == "=":
        return f"{subject} = {lit}"
    if not value:
        return None  # [a^=""] and friends: leave the edge cases to cssselect
    if operator == "~=":
        if any(ch.isspace() for ch in value):
            return None
        # cheap contains() first: the concat/normalize-space test is costly in libxml2
        return (
            f"contains({subject}, {lit}) and "
            f"contains(concat(' ', normalize-space({subject}), ' '), {_literal(f' {value} ')})"
        )
    if operator == "|=":
        return f"{subject} = {lit} or starts-with({subject}, {_literal(value + '-')})"
    if operator == "^=":
        return f"starts-with({subject}, {lit})"
    if operator == "$=":
        return f"substring({subject}, string-length({subject}) - {len(value) - 1}) = {lit}"
    if operator == "*=":
        return f"contains({subject}, {lit})"
    return None


def _compile_compound(tree: Any, axis: str) -> str | None:
    """One compound selector (tag + classes/ids/attributes) as a fast XPath step, or None.

    libxml2 evaluates a predicate on every element of ``descendant::*`` slowly (~0.3 us per
    element and clause); walking the attribute axis (``descendant::*/@class[...]/..``) visits
    only elements that have that attribute and is 5-10x faster on real pages. So the first
    attribute condition selects through the attribute axis, the others filter the few results.
    """
    from cssselect.parser import Attrib, Class, Element, Hash

    tests: list[tuple[str, str, str | None]] = []  # (attribute, operator, value)
    node = tree
    while not isinstance(node, Element):
        if isinstance(node, Class):
            tests.append(("class", "~=", node.class_name))
        elif isinstance(node, Hash):
            tests.append(("id", "=", node.id))
        elif isinstance(node, Attrib):
            if node.namespace or getattr(node, "flag", None):
                return None
            value = node.value.value if node.value is not None else None
            tests.append((node.attrib.lower(), node.operator, value))
        else:  # pseudo-classes, :not(), functions: cssselect's translation handles them
            return None
        node = node.selector
    if node.namespace:
        return None
    tag = (node.element or "*").lower()
    if not tests:
        return f"{axis}{tag}"
    tests.reverse()
    parts = []
    for i, (name, operator, value) in enumerate(tests):
        body = _value_test(operator, value, "." if i == 0 else f"@{name}")
        if body is None:
            return None
        if i == 0:
            parts.append(f"{axis}{tag}/@{name}" + (f"[{body}]" if body else "") + "/..")
        else:
            parts.append(f"[@{name}" + (f" and ({body})" if body else "") + "]")
    return "".join(parts)


def _compile_tree(tree: Any, axis: str) -> str | None:
    from cssselect.parser import CombinedSelector

    if isinstance(tree, CombinedSelector):
        left = _compile_tree(tree.selector, axis)
        if left is None:
            return None
        if tree.combinator == " ":
            right = _compile_tree(tree.subselector, "descendant::")
        elif tree.combinator == ">":
            right = _compile_tree(tree.subselector, "child::")
        else:
            return None
        return None if right is None else f"{left}/{right}"
    return _compile_compound(tree, axis)


@lru_cache(maxsize=2048)
def _selector_xpath(css: str) -> str:
    """XPath for a CSS selector: the fast form when the selector is simple, cssselect's otherwise.

    Both forms select the same elements (the unit tests compare them on the real snapshots).
    """
    translated = _css_to_xpath(css)
    from cssselect import parse

    parts = []
    for selector in parse(css):
        if selector.pseudo_element:
            return translated
        compiled = _compile_tree(selector.parsed_tree, "descendant-or-self::")
        if compiled is None:
            return translated
        parts.append(compiled)
    return " | ".join(parts)


def _split_range(body: str) -> tuple[str, str]:
    depth = 0
    quote = ""
    i = 0
    while i < len(body) - 1:
        ch = body[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "." and body[i + 1] == "." and depth == 0:
            return body[:i].strip(), body[i + 2 :].strip()
        i += 1
    raise ValueError(f"range selector {'range:' + body!r} needs '..' between start and end")


@lru_cache(maxsize=1024)
def parse_selector(selector: str) -> str | RangeSelector:
    """Parse one ``select``/``remove`` entry: a CSS selector, or a ``range:`` selector.

    Raises ValueError with a readable message when the selector is invalid.
    """
    text = selector.strip()
    if text[:6].lower() != "range:":
        _css_to_xpath(text)
        return text
    left, right = _split_range(text[6:])
    start_before, end_after = True, True
    for key, before in (("startbefore=", True), ("startafter=", False)):
        if left.lower().startswith(key):
            left, start_before = left[len(key) :].strip(), before
    for key, after in (("endafter=", True), ("endbefore=", False)):
        if right.lower().startswith(key):
            right, end_after = right[len(key) :].strip(), after
    _css_to_xpath(left)
    _css_to_xpath(right)
    return RangeSelector(left, start_before, right, end_after)


def validate_selector(selector: str) -> None:
    """Raise ValueError (with the reason) when ``selector`` is not a usable select/remove entry.

    Declarations and config files should call this at load time, so a typo is reported when the
    file is read rather than as a failed fetch.
    """
    parse_selector(selector)


# ---------------------------------------------------------------------------------------------
# Element classes
# ---------------------------------------------------------------------------------------------

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    _words(
        "address article aside blockquote body caption center dd details dialog dir div dl dt "
        "fieldset figcaption figure footer form header hgroup hr html legend li main menu nav ol "
        "p pre search section summary table tbody td tfoot th thead tr ul frameset noframes "
        "listing xmp plaintext h1 h2 h3 h4 h5 h6"
    )
)
# Dropped with their content (found with lxml's C-level tag filter, which is far faster than an
# XPath predicate). Password inputs are kept - they carry no text, and the login-wall check needs
# them; keeping them in the fingerprinted region keeps the fingerprint contract - and so are
# buttons that toggle collapsed content or sit in a heading/summary (their text is a heading).
_DROP_TAGS = tuple(
    _words(
        "script style noscript template svg math iframe frame object embed applet canvas video "
        "audio source track img picture map area select textarea option optgroup datalist head "
        "title meta link base param progress meter input button"
    )
)
# Blocks that walk() renders as a paragraph of their content (no heading, list, table or pre).
_PLAIN_BLOCKS = (
    _BLOCK_TAGS
    - frozenset(_HEADINGS)
    - frozenset(_words("ul ol menu dir li table pre listing xmp plaintext"))
)
_HEADING_LIKE = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "summary"})
# Hidden elements are found through the attribute axis (fast) and skipped by the renderer.
_HIDDEN_XPATH = (
    "descendant::*/@hidden/.. | descendant::*/@aria-hidden[. = 'true']/.. | "
    "descendant::*/@style[contains(translate(., 'ABCDEFGHIJKLMNOPQRSTUVWXYZ ', "
    "'abcdefghijklmnopqrstuvwxyz'), 'display:none')]/.."
)
_CONTROLS_XPATH = "descendant-or-self::*/@aria-expanded/../@aria-controls"
# Hidden elements and elements with a role, in one evaluation (see _marks).
_MARKS_XPATH = _HIDDEN_XPATH + " | descendant-or-self::*/@role/.."
_MACHINERY_XPATH = (
    "descendant-or-self::*[(self::input and translate(@type, 'PASWORD', 'pasword') = "
    "'password') or contains(@class, 'g-recaptcha') or contains(@class, 'h-captcha') or "
    "contains(@class, 'cf-turnstile') or @id = 'px-captcha' or (self::form and "
    "contains(@action, 'consent'))]"
)


def _drop(el: Any) -> None:
    """Remove ``el`` and its content from the tree, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# ---------------------------------------------------------------------------------------------
# Loading, checks, selection
# ---------------------------------------------------------------------------------------------


def _where(url: str | None) -> str:
    """A URL for messages: scheme, host and path only (no credentials, no query secrets)."""
    if not url:
        return "the page"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}" if host else parts.path or "the page"
    except ValueError:
        return "the page"


def _fail_verdict(verdict: _pagecheck.Verdict, url: str | None) -> ExtractionFailed:
    return ExtractionFailed(
        verdict.reason,
        f"{_where(url)} served {verdict.seen} instead of the document — {verdict.advice}",
    )


_XML_DECL_RE = LazyRe(r"^\s*<\?xml[^>]*\?>")


_NUL_AS_BYTE = frozenset({"utf-8", "cp1252"})


class _TooDeep(Exception):
    pass


class _Doc:
    """A parsed page and what the checks learnt about it (internal, one per call)."""

    __slots__ = ("body", "url", "root", "decoded", "closed")

    def __init__(
        self, body: bytes, url: str | None, root: Any, decoded: _charset.Decoded, closed: bool
    ):
        self.body = body
        self.url = url
        self.root = root
        self.decoded = decoded
        self.closed = closed


def _load(body: bytes, content_type: str | None, url: str | None) -> _Doc:
    """Bytes -> parsed document, after the checks that need no selection."""
    if not body or body.isspace():
        raise ExtractionFailed(
            "empty",
            f"{_where(url)} returned an empty body ({len(body or b'')} bytes) — the server sent "
            "nothing; it is retried on the next run, and if it persists check the URL in a "
            "browser",
        )
    what = _pagecheck.sniff_not_html(body, content_type)
    if what:
        raise ExtractionFailed(
            "not-html",
            f"{_where(url)} returned {what} ({len(body)} bytes), not an HTML page — point the "
            "declaration at the HTML version of the document",
        )
    verdict = _pagecheck.check_url(url) or _pagecheck.check_markers(body)
    if verdict:
        raise _fail_verdict(verdict, url)
    decoded = _charset.detect(body, content_type)
    # Searching a str for NUL is slow (no memchr for wide strings); for UTF-8 and windows-1252
    # a NUL character in the text is exactly a NUL byte in the body.
    has_nul = b"\x00" in body if decoded.encoding in _NUL_AS_BYTE else "\x00" in decoded.text
    if has_nul and not decoded.encoding.startswith(("utf-16", "utf-32")):
        # HTML ignores NUL characters in text; lxml would turn each into U+FFFD
        body = body.replace(b"\x00", b"")
        decoded = _charset.detect(body, content_type)
    try:
        _charset.check_replacements(decoded)
    except ExtractionFailed as exc:
        raise ExtractionFailed("encoding", f"{_where(url)}: {exc.message}") from None
    try:
        root = _parse(body, decoded)
    except _TooDeep:
        raise ExtractionFailed(
            "truncated",
            f"{_where(url)} nests elements more than 2048 levels deep; the HTML parser stops "
            "there, so the text would be incomplete — check the page in a browser and report it",
        ) from None
    if root is None:
        raise ExtractionFailed(
            "empty",
            f"{_where(url)} returned a body without any content ({len(body)} bytes) — it is "
            "retried on the next run; if it persists check the URL in a browser",
        )
    tail = body[-4096:].lower()
    closed = b"</html" in tail or b"</body" in tail
    if not closed and not decoded.utf8_bytes and decoded.encoding.startswith("utf-16"):
        low = decoded.text[-4096:].lower()
        closed = "</html" in low or "</body" in low
    doc = _Doc(body, url, root, decoded, closed)
    title = root.find("head/title")
    if title is None:
        title = root.find(".//title")
    verdict = _pagecheck.check_title(title.text if title is not None else None)
    if verdict:
        raise _fail_verdict(verdict, url)
    return doc


def _positions(root: Any) -> dict[Any, int]:
    return {el: i for i, el in enumerate(root.iter())}


def _first_after(candidates: list[Any], anchor: Any, pos: dict[Any, int], after: bool) -> Any:
    """First candidate that starts at/after ``anchor`` (or, for end-after, contains it)."""
    anchor_pos = pos[anchor]
    ancestors = set(anchor.iterancestors())
    for cand in candidates:
        if cand in ancestors:
            if after:
                return cand
            continue
        if pos.get(cand, -1) >= anchor_pos:
            return cand
    return None


_BEFORE, _IN, _AFTER = 0, 1, 2


def _apply_range(
    subtree: Any,
    start: Any,
    start_before: bool,
    end: Any,
    end_after: bool,
    keep: bool,
    initial: int = _BEFORE,
) -> None:
    """Keep (``keep=True``) or remove the part of ``subtree`` between the range boundaries.

    ``start``/``end`` may lie outside ``subtree`` (then the matching transition never happens
    inside it and ``initial`` tells the state at its start).
    """
    etree = _lxml()
    state = initial
    start_state: dict[Any, int] = {}
    outside_text: list[Any] = []  # elements whose .text is on the wrong side
    outside_tail: list[Any] = []
    full: list[Any] = []  # elements entirely on the wrong side
    for event, el in etree.iterwalk(subtree, events=("start", "end")):
        if event == "start":
            if el is start and start_before and state == _BEFORE:
                state = _IN
            if el is end and not end_after and state == _IN:
                state = _AFTER
            start_state[el] = state
            if el.text and ((state == _IN) != keep):
                outside_text.append(el)
        else:
            end_state = state
            if el is start and not start_before and state == _BEFORE:
                state = _IN
            if el is end and end_after and state == _IN:
                state = _AFTER
            if el is not subtree:
                s = start_state[el]
                wrong = (s != _IN) if keep else (s == _IN)
                if s == end_state and wrong:
                    full.append(el)
                if el.tail and ((state == _IN) != keep):
                    outside_tail.append(el)
    for el in outside_text:
        el.text = None
    for el in outside_tail:
        el.tail = None
    fullset = set(full)
    for el in full:
        if el.getparent() not in fullset:
            _drop(el)


def _path(ancestor: Any, node: Any) -> list[int]:
    path = []
    while node is not ancestor:
        parent = node.getparent()
        path.append(parent.index(node))
        node = parent
    path.reverse()
    return path


def _follow(node: Any, path: list[int]) -> Any:
    for i in path:
        node = node[i]
    return node


def _select_range(root: Any, rng: RangeSelector, pos: dict[Any, int]) -> tuple[Any, Any] | None:
    """(detached copy of the range, its start element in the document) or None."""
    starts = _xpath(_selector_xpath(rng.start))(root)
    if not starts:
        return None
    start = starts[0]
    end = _first_after(_xpath(_selector_xpath(rng.end))(root), start, pos, rng.end_after)
    if end is None:
        return None
    chain = {start, *start.iterancestors()}
    lca = end
    while lca is not None and lca not in chain:
        lca = lca.getparent()
    if lca is None:
        return None
    clone = copy.deepcopy(lca)
    clone.tail = None
    c_start = _follow(clone, _path(lca, start))
    c_end = _follow(clone, _path(lca, end))
    _apply_range(clone, c_start, rng.start_before, c_end, rng.end_after, keep=True)
    return clone, start


def _select(doc: _Doc, select: tuple[str, ...]) -> tuple[list[Any], bool]:
    """The selected regions in document order (nested matches once), and whether any is a range.

    With no selectors the region is the whole ``<body>``.
    """
    root = doc.root
    if not select:
        body = root.find("body")
        return [body if body is not None else root], False
    parsed = [parse_selector(s) for s in select]
    css = [p for p in parsed if isinstance(p, str)]
    ranges = [p for p in parsed if isinstance(p, RangeSelector)]
    regions: list[Any] = []
    if css:
        union = " | ".join(_selector_xpath(c) for c in css)
        matches = _xpath(union)(root)
        if len(matches) > 1:
            chosen = set(matches)
            matches = [m for m in matches if not any(a in chosen for a in m.iterancestors())]
        regions = matches
    if not ranges:
        return regions, False
    pos = _positions(root)
    keyed = [(pos[r], r) for r in regions]
    for rng in ranges:
        got = _select_range(root, rng, pos)
        if got is not None:
            keyed.append((pos[got[1]], got[0]))
    keyed.sort(key=lambda item: item[0])
    return [r for _, r in keyed], True


def _last_element(root: Any) -> Any:
    last = root
    while len(last):
        last = last[-1]
    return last


def _truncated(doc: _Doc, regions: list[Any], explicit: bool) -> bool:
    """The document was cut inside the selected content - only when that is clear.

    Many complete pages omit ``</body></html>`` (policies.google.com does), so a missing end tag
    alone proves nothing. For an explicitly selected region the page counts as cut when it has
    no closing ``</body>``/``</html>``, its last element lies inside the region (the region never
    ended), and either the bytes stop in the middle of a tag, of text or of a character, or the
    end of the page closes no element of the region's kind. For the implicit whole-body region
    only a stop in the middle of a tag, of text or of a character counts.
    """
    if doc.closed:
        return False
    tail = doc.body[-2048:].rstrip()
    mid = doc.decoded.cut_tail or not tail.endswith(b">")
    if not explicit:
        return mid
    last = _last_element(doc.root)
    regions_set = set(regions)
    if last not in regions_set and not any(a in regions_set for a in last.iterancestors()):
        return False
    if mid:
        return True
    low = tail.lower()
    return not any(f"</{r.tag}".encode() in low for r in regions if isinstance(r.tag, str))


def _cut_outside_selection(doc: _Doc) -> bool:
    """For a page whose selector matched nothing: does it look cut rather than re-laid-out?"""
    if doc.closed:
        return False
    if doc.decoded.cut_tail or not doc.body[-2048:].rstrip().endswith(b">"):
        return True
    last = _last_element(doc.root)
    return last.tag in ("script", "style", "head") or any(
        a.tag in ("script", "style", "head") for a in last.iterancestors()
    )


# ---------------------------------------------------------------------------------------------
# Preparing the selected regions (shared by the fingerprint and the text: the contract)
# ---------------------------------------------------------------------------------------------


def _base_url(doc: _Doc) -> str | None:
    base = doc.root.find("head/base")
    href = base.get("href") if base is not None else None
    if href and href.strip():
        from urllib.parse import urljoin

        try:
            return urljoin(doc.url or "", href.strip())
        except ValueError:
            return doc.url
    return doc.url


def _inside(el: Any, regions: set[Any]) -> bool:
    if el in regions:
        return True
    return any(a in regions for a in el.iterancestors())


def _prepare(doc: _Doc, regions: list[Any], remove: tuple[str, ...]) -> dict[Any, str]:
    """Apply removals, drop non-text elements, normalise links - in place.

    Returns each remaining ``<a>`` with an ``href`` mapped to that (normalised) href, so the
    renderer need not read the attribute back.
    """
    root = doc.root
    if remove:
        parsed = [parse_selector(s) for s in remove]
        local = [p for p in parsed if isinstance(p, str) and not _is_contextual(p)]
        contextual = [p for p in parsed if isinstance(p, str) and _is_contextual(p)]
        ranges = [p for p in parsed if isinstance(p, RangeSelector)]
        doomed: list[Any] = []
        if local:
            expr = _xpath(" | ".join(_selector_xpath(c) for c in local))
            for region in regions:
                doomed.extend(expr(region))
        if contextual:
            expr = _xpath(" | ".join(_selector_xpath(c) for c in contextual))
            region_set = set(regions)
            detached = [r for r in regions if r.getparent() is None and r is not root]
            candidates = list(expr(root))
            for region in detached:  # range copies are not in the document tree
                candidates.extend(expr(region))
            doomed.extend(c for c in candidates if _inside(c, region_set))
        region_ids = {id(r) for r in regions}
        for el in doomed:
            if id(el) not in region_ids:
                _drop(el)
        for rng in ranges:
            for region in regions:
                _remove_range(region, rng)
    for region in regions:
        for el in list(region.iter(*_DROP_TAGS)):
            if el.tag == "input":
                if (el.get("type") or "").lower() == "password":
                    continue
            elif el.tag == "button" and (
                el.get("aria-expanded") is not None
                or any(
                    a.tag in _HEADING_LIKE or a.get("role") == "heading" for a in el.iterancestors()
                )
            ):
                continue
            if el is not region:
                _drop(el)
    base = _base_url(doc)
    links: dict[Any, str] = {}
    cache = _LINK_CACHE
    for region in regions:
        for a in region.iter("a"):
            raw = a.get("href")
            if raw is None:
                continue
            href = cache.get(raw, _MISSING)
            if href is _MISSING:
                key = (raw, base)
                href = cache.get(key, _MISSING)
                if href is _MISSING:
                    href = _link_target(raw, base)
                    if len(cache) >= _LINK_CACHE_SIZE:
                        cache.clear()
                    cache[raw if href is None or _absolute(raw) else key] = href
            if href is None:
                del a.attrib["href"]
                continue
            # Setting an attribute to the value it has changes nothing - unless the value has
            # characters lxml refuses (controls; all non-printable), where set() must raise.
            if href != raw or not raw.isprintable():
                a.set("href", href)
            links[a] = href
    return links


# Link targets by href as written: pages repeat their links on every fetch (and a site's pages
# share most of theirs), and a dict lookup costs a fraction of the strip/lower/normalise_url
# path. Targets that do not depend on the page (absolute http(s) links, links reduced to their
# text) are keyed by the href alone, the others by (href, base URL). Bounded by clearing: every
# value is a pure function of its key, so any entry may go.
_LINK_CACHE: dict[str | tuple[str, str | None], str | None] = {}
_LINK_CACHE_SIZE = 32768
_MISSING: Any = object()


def _absolute(raw: str) -> bool:
    """Whether normalise_url ignores the base for this href (its own test, on the href that
    _link_target passes it)."""
    head = raw.strip()[:8].lower()
    return head.startswith("https://") or head.startswith("http://")


def _link_target(raw: str, base: str | None) -> str | None:
    """The normalised target of an ``href``, or None when the link is reduced to its text
    (empty, same-page ``#...``, ``javascript:``). ``normalise_url`` caches its results."""
    href = raw.strip()
    if not href or href[0] == "#" or href[:11].lower().startswith("javascript:"):
        return None
    return normalise_url(href, base)


def _marks(regions: list[Any]) -> tuple[frozenset[Any], frozenset[Any]]:
    """(hidden elements to skip, elements with a ``role``) - one XPath evaluation per region.

    Hidden elements (``hidden``, ``aria-hidden="true"``, inline ``display:none``; a region
    itself never counts) are skipped, except collapsed panels (``aria-controls`` of a toggle, or
    ``hidden="until-found"``), whose text is part of the document. The renderer reads ``role``
    only for the second set. The XPath returns the union of both; an element without ``role``
    can only have come from the hidden branches, and the few with one are checked here.
    """
    marks_xpath = _xpath(_MARKS_XPATH)
    hidden: list[Any] = []
    roles: list[Any] = []
    for region in regions:
        els = marks_xpath(region)
        if not els:
            continue
        found: list[Any] = []
        for el in els:
            if el.get("role") is None:
                found.append(el)
                continue
            roles.append(el)
            if el is not region and _is_hidden(el):
                found.append(el)
        if not found:
            continue
        keep_ids: set[str] = set()
        for value in _xpath(_CONTROLS_XPATH)(region):
            keep_ids.update(value.split())
        hidden.extend(
            el
            for el in found
            if el.get("hidden") != "until-found" and not (keep_ids and el.get("id") in keep_ids)
        )
    return frozenset(hidden), frozenset(roles)


def _is_hidden(el: Any) -> bool:
    """The test of :data:`_HIDDEN_XPATH` for one element (XPath ``translate`` maps A-Z to a-z
    and deletes spaces, as ``_STYLE_FOLD`` does)."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return style is not None and "display:none" in style.translate(_STYLE_FOLD)


_STYLE_FOLD = {**{ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, ord(" "): None}


def _remove_range(region: Any, rng: RangeSelector) -> None:
    starts = _xpath(_selector_xpath(rng.start))(region)
    if not starts:
        return
    start = starts[0]
    ends = _xpath(_selector_xpath(rng.end))(region)
    pos = _positions(region)
    end = _first_after(ends, start, pos, rng.end_after) if ends else None
    # An end outside the selection (e.g. "..body") means: remove to the end of the region - but
    # only when such an end exists at all.
    if end is None and not _xpath(_selector_xpath(rng.end))(region.getroottree().getroot()):
        return
    _apply_range(region, start, rng.start_before, end, rng.end_after, keep=False)


# ---------------------------------------------------------------------------------------------
# Text rendering
# ---------------------------------------------------------------------------------------------

_BR = "\x00"  # marks a <br> inside inline text (XML text can never contain NUL)


def _squash(text: str) -> str:
    """``" ".join(text.replace(_BR, " ").split())``, without the split/join when it is a no-op.

    A printable string has no whitespace but U+0020 (every other Unicode space, tab, newline and
    control - ``_BR`` included - is non-printable), so without a double space splitting and
    joining it only strips it. ``str.isprintable`` scans at a fraction of the cost of building
    one string per word, and most text in real pages takes this path.
    """
    if text.isprintable():
        return text.strip() if "  " not in text else " ".join(text.split())
    return " ".join(text.replace(_BR, " ").split())


class _Writer:
    """Walks prepared regions once and renders the text format described in the module doc.

    Speed matters (a real page has thousands of elements - LinkedIn's privacy page has 8,700
    empty ``<p>`` from stray ``</p>`` tags), so the walk is one recursive method with the common
    cases (empty element, inline element) handled first and without further calls; the leaves
    that make up most of a page (a text-only ``<a>``, ``<strong>``, ``<span>``) are rendered by
    :meth:`children` itself. Attribute reads are the costly lxml calls, so ``role`` is read only
    for the elements found by one XPath (``roles``) and ``href`` comes from ``links``, the map
    :func:`_prepare` filled while normalising the links.
    """

    __slots__ = (
        "blocks",
        "buf",
        "lists",
        "marker",
        "cont",
        "flat",
        "hidden",
        "roles",
        "links",
        "group",
        "groups",
        "dirty",
    )

    def __init__(
        self,
        hidden: frozenset[Any] = frozenset(),
        roles: frozenset[Any] = frozenset(),
        links: dict[Any, str] | None = None,
    ) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.buf: list[str] = []
        self.lists: list[list[Any]] = []  # [ordered, next number]
        self.marker: str | None = None  # marker waiting for the first line of the current <li>
        self.cont: str | None = None  # indentation of further lines inside the current <li>
        self.flat = 0  # > 0 inside table cells, headings, links: blocks become spaces
        self.hidden = hidden
        self.roles = roles  # the elements with a role attribute
        self.links = links if links is not None else {}  # <a> -> its (normalised) href
        # Lines of one top-level list (or one table) share a group and are joined by a single
        # newline; anything else - and the next list - is separated by a blank line.
        self.group = ""
        self.groups = 0
        # False while every emitted line is known to be printable (then the text has no
        # invisible characters and _render_once can skip that scan).
        self.dirty = False

    # -- output ------------------------------------------------------------------------------

    def flush(self) -> None:
        buf = self.buf
        if not buf:
            return
        raw = buf[0] if len(buf) == 1 else "".join(buf)
        buf.clear()
        if raw.isspace():  # the newlines between blocks: nothing to emit
            return
        if raw.isprintable():  # no _BR, no whitespace but " ": see _squash
            line = raw.strip() if "  " not in raw else " ".join(raw.split())
            if line:
                if self.cont is None:  # emit()'s first case, without the call
                    self.blocks.append(("p", line))
                else:
                    self.emit([line], "p", True)
            return
        if _BR in raw:
            lines = [" ".join(part.split()) for part in raw.split(_BR)]
            lines = [line for line in lines if line]
        else:
            line = " ".join(raw.split())
            lines = [line] if line else []
        if lines:
            self.emit(lines)

    def emit(self, lines: list[str], kind: str = "p", printable: bool = False) -> None:
        if not printable and not self.dirty:
            for line in lines:
                if not line.isprintable():
                    self.dirty = True
                    break
        cont = self.cont
        if cont is None:
            self.blocks.append((self.group if kind == "tr" else kind, "\n".join(lines)))
            return
        marker = self.marker
        if marker is not None:
            first = marker + lines[0]
            self.marker = None
        else:
            first = cont + lines[0]
        if len(lines) > 1:
            first = "\n".join([first, *(cont + line for line in lines[1:])])
        self.blocks.append((self.group, first))

    def render(self) -> str:
        self.flush()
        parts: list[str] = []
        prev = ""
        for kind, text in self.blocks:
            if parts:
                parts.append("\n" if kind == prev and kind[:1] == "#" else "\n\n")
            parts.append(text)
            prev = kind
        return "".join(parts)

    def new_group(self) -> None:
        self.groups += 1
        self.group = f"#{self.groups}"

    # -- walking -----------------------------------------------------------------------------

    def children(self, el: Any) -> None:
        buf = self.buf  # flush() clears it in place and inline_text() restores it: same list
        flat = self.flat
        # Outside inline_text() (flat == 0) the buffer is only read by flush(), which drops
        # leading whitespace: whitespace arriving at an empty buffer (the newlines between
        # blocks) is not kept, which spares flush() calls that would emit nothing.
        text = el.text
        if text and (buf or flat or not text.isspace()):
            buf.append(text)
        walk = self.walk
        hidden = self.hidden
        roles = self.roles
        links = self.links
        for child in el:
            # Skip empty elements without a call (LinkedIn: 8,700 empty <p>); <br> and <li>
            # matter even when empty (a line break; a list number). A leaf with text that is
            # an ordinary inline element (not hidden, no role) is rendered here, as walk()
            # would: its text, or a link.
            if len(child):
                walk(child)
            else:
                ctext = child.text
                tag = child.tag
                if ctext is not None:
                    if (
                        tag.__class__ is not str
                        or (hidden and child in hidden)
                        or (roles and child in roles)
                    ):
                        walk(child)
                    elif tag in _BLOCK_TAGS:
                        if flat:  # walk()'s flat case: the text between spaces
                            buf.append(" ")
                            if ctext:
                                buf.append(ctext)
                            buf.append(" ")
                        elif tag in _PLAIN_BLOCKS:  # walk()'s text-only block (<p>, <div>)
                            if buf:
                                self.flush()
                            if ctext:
                                buf.append(ctext)
                                self.flush()
                        else:
                            walk(child)
                    elif tag == "a":
                        href = links.get(child)
                        if href is None:
                            if ctext:
                                buf.append(ctext)
                        elif ctext.isprintable() and "  " not in ctext:
                            # link_text() for the common label, without the calls
                            label = ctext.strip()
                            if label:
                                lead = " " if ctext[0] == " " else ""
                                trail = " " if ctext[-1] == " " else ""
                                buf.append(f"{lead}[{label}]({href}){trail}")
                            elif ctext:
                                buf.append(" ")
                        else:
                            self.link_text(ctext, href)
                    elif tag == "br":
                        buf.append(_BR)
                    elif ctext:
                        buf.append(ctext)
                elif tag == "br" or tag == "li":
                    walk(child)
            tail = child.tail
            if tail and (buf or flat or not tail.isspace()):
                buf.append(tail)

    def walk(self, el: Any) -> None:
        tag = el.tag
        if tag.__class__ is not str:
            return
        hidden = self.hidden
        if hidden and el in hidden:
            return
        roles = self.roles
        role = el.get("role") if roles and el in roles else None
        if role is not None:
            if role == "heading":
                level = el.get("aria-level") or "2"
                self.heading(el, min(6, max(1, int(level))) if level.isdigit() else 2)
                return
            if role == "list" and tag != "ul" and tag != "ol":
                self.list(el, False)
                return
            if role == "listitem" and tag != "li":
                self.item(el)
                return
        if tag not in _BLOCK_TAGS:
            if tag == "a":
                href = self.links.get(el)
                if href is not None:
                    self.link(el, href)
                    return
            elif tag == "br":
                self.buf.append(_BR)
                return
            self.children(el)  # inline element: flows into the current paragraph
            return
        if self.flat:
            self.buf.append(" ")
            self.children(el)
            self.buf.append(" ")
            return
        level = _HEADINGS.get(tag)
        if level:
            self.heading(el, level)
        elif tag == "ul" or tag == "ol" or tag == "menu" or tag == "dir":
            self.list(el, tag == "ol")
        elif tag == "li":
            self.item(el)
        elif tag == "table":
            self.table(el, role)
        elif tag == "pre" or tag == "listing" or tag == "xmp" or tag == "plaintext":
            self.pre(el)
        elif not len(el):  # a block with only text (<p>, <div>...): no recursion needed
            if self.buf:
                self.flush()
            text = el.text
            if text:
                self.buf.append(text)
                self.flush()
        else:
            if self.buf:
                self.flush()
            self.children(el)
            if self.buf:
                self.flush()

    def inline_text(self, el: Any) -> str:
        saved = self.buf
        self.buf = []
        self.flat += 1
        self.children(el)
        self.flat -= 1
        raw = "".join(self.buf)
        self.buf = saved
        return raw

    def heading(self, el: Any, level: int) -> None:
        if self.flat:
            self.buf.append(" ")
            self.children(el)
            self.buf.append(" ")
            return
        if self.buf:
            self.flush()
        text = _squash(self.inline_text(el) if len(el) else el.text or "")
        if not text:
            return
        if self.cont is not None:
            self.emit([text])
        else:
            if not self.dirty and not text.isprintable():
                self.dirty = True
            self.blocks.append(("h", "#" * level + " " + text))

    def link(self, el: Any, href: str) -> None:
        if not len(el):  # the common case: a link with only text
            self.link_text(el.text or "", href)
            return
        if not self.flat:
            for d in el.iterdescendants():
                if d.tag in _BLOCK_TAGS and d not in self.hidden:
                    self.children(el)  # a link around blocks (a "card"): keep the blocks
                    return
        self.link_text(self.inline_text(el), href)

    def link_text(self, raw: str, href: str) -> None:
        label = _squash(raw)
        if not label:
            if raw[:1].isspace() or raw[-1:].isspace():
                self.buf.append(" ")
            return
        lead = " " if raw[:1].isspace() else ""
        trail = " " if raw[-1:].isspace() else ""
        self.buf.append(f"{lead}[{label}]({href}){trail}")

    def list(self, el: Any, ordered: bool) -> None:
        if self.flat:
            self.buf.append(" ")
            self.children(el)
            self.buf.append(" ")
            return
        if self.buf:
            self.flush()
        if not self.lists and self.cont is None:
            self.new_group()
        start = el.get("start") if ordered else None
        first = int(start) if start and start.strip().lstrip("-").isdigit() else 1
        self.lists.append([ordered, first])
        self.children(el)
        if self.buf:
            self.flush()
        self.lists.pop()

    def item(self, el: Any) -> None:
        if self.flat:
            self.buf.append(" ")
            self.children(el)
            self.buf.append(" ")
            return
        if self.buf:
            self.flush()
        lists = self.lists
        if not lists and self.cont is None:
            self.new_group()  # a list item outside any list: a list of its own
        depth = len(lists) or 1
        indent = "  " * (depth - 1)
        if lists and lists[-1][0]:
            ctx = lists[-1]
            value = el.get("value")
            number = int(value) if value and value.strip().lstrip("-").isdigit() else ctx[1]
            ctx[1] = number + 1
            marker = f"{number}. "
        else:
            marker = "- "
        saved_cont = self.cont
        self.marker = indent + marker
        self.cont = indent + "  "
        self.children(el)
        if self.buf:
            self.flush()
        self.marker = None
        self.cont = saved_cont

    def table(self, el: Any, role: str | None) -> None:
        if self.buf:
            self.flush()
        hidden = self.hidden
        rows = [r for r in _rows(el) if r not in hidden]
        cells_per_row = [
            [c for c in row if (c.tag == "td" or c.tag == "th") and c not in hidden] for row in rows
        ]
        layout = (
            role in ("presentation", "none")
            or not rows
            or all(len(cells) <= 1 for cells in cells_per_row)
            or next(el.iterdescendants("table"), None) is not None
        )
        if layout:
            self.children(el)
            if self.buf:
                self.flush()
            return
        if self.cont is None:
            self.new_group()
        caption = next(el.iterchildren("caption"), None)
        if caption is not None and caption not in self.hidden:
            text = _squash(self.inline_text(caption))
            if text:
                self.emit([text])
        for cells in cells_per_row:
            texts = [_squash(self.inline_text(c)).replace("|", "\\|") for c in cells]
            if any(texts):
                self.emit(["|" + "|".join(f" {t} " if t else " " for t in texts) + "|"], "tr")

    def pre(self, el: Any) -> None:
        if self.buf:
            self.flush()
        raw = self.inline_text(el).replace(_BR, "\n")
        lines = []
        for line in raw.replace("\r\n", "\n").split("\n"):
            body = line.lstrip(" \t")
            indent = len(line.expandtabs(4)) - len(body.expandtabs(4)) if body else 0
            lines.append(" " * indent + " ".join(body.split()))
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            self.emit(lines)


def _rows(table: Any) -> list[Any]:
    """The rows of a table in document order: what ``tr | thead/tr | tbody/tr | tfoot/tr``
    selects, collected without an XPath evaluation (tables are many and small)."""
    rows = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag == "tbody" or tag == "thead" or tag == "tfoot":
            rows.extend(child.iterchildren("tr"))
    return rows


def _render(regions: list[Any], links: dict[Any, str]) -> tuple[str, bool]:
    """The text of the prepared regions, and whether it contains "rare" characters.

    ``links`` maps each ``<a>`` of the regions that keeps an ``href`` to it (from
    :func:`_prepare`). The walk recurses once per nesting level. Pages nest ~20-80 levels; for
    the rare page nested deeper than Python's recursion limit allows (the parser accepts up to
    2048 levels), the walk is repeated with a higher limit - safe on Python >= 3.11, where
    Python-to-Python calls do not consume the C stack.
    """
    try:
        return _render_once(regions, links)
    except RecursionError:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 10_000))
        try:
            return _render_once(regions, links)
        finally:
            sys.setrecursionlimit(old)


def _render_once(regions: list[Any], links: dict[Any, str]) -> tuple[str, bool]:
    hidden, roles = _marks(regions)
    writer = _Writer(hidden, roles, links)
    for region in regions:
        writer.flush()
        writer.walk(region)
    text = writer.render()
    if not text:
        return "", False
    # The writer builds every line with str.split/join, so its output already has single spaces,
    # no blank-line runs and no Unicode spaces; only invisible characters (zero-width, controls)
    # and non-NFC sequences can remain. Run the full normalisation only when they occur - the
    # result is the same as normalise_text() on every input (a unit test checks the fixpoint).
    # "rare" (the text has an invisible character or a mojibake lead letter) must be exactly
    # what one _RARE_RE scan says. When every line was printable (writer.dirty is False) there
    # is no invisible character - they are all non-printable - so only the lead letters are
    # left to find, and _has_lead finds them without a regex scan in the common case.
    if writer.dirty:
        rare = _RARE_RE.search(text) is not None
        if rare and INVISIBLE_RE.search(text):
            return normalise_text(text), rare
    else:
        rare = _has_lead(text)
    return nfc(text) + "\n", rare


def _has_lead(text: str) -> bool:
    """Whether ``text`` has a character in U+00C2-U+00F4 (the mojibake lead letters).

    Their UTF-8 form starts with byte 0xC3 (as does that of U+00C0-U+00FF); encoding and one
    byte search cost a fraction of a regex scan, which runs only when that byte is there.
    """
    if text.isascii():
        return False
    if b"\xc3" not in text.encode("utf-8", "surrogatepass"):
        return False
    return _LEAD_RE.search(text) is not None


# Characters that need a closer look: invisible ones (removed by normalise_text) and the lead
# letters of UTF-8-read-as-Latin-1 mojibake. English policies contain neither, so a single scan
# (~0.4 ms per 100 KB) usually clears both checks.
_RARE_RE = LazyRe("[\u00c2-\u00f4" + INVISIBLE_RE.pattern[1:-1] + "]")
_LEAD_RE = LazyRe("[\u00c2-\u00f4]")


# ---------------------------------------------------------------------------------------------
# Fingerprint
# ---------------------------------------------------------------------------------------------


def _fingerprint(
    regions: list[Any], select: tuple[str, ...], remove: tuple[str, ...], url: str | None
) -> str:
    import hashlib

    etree = _lxml()
    h = hashlib.blake2b(digest_size=20)
    h.update(f"policywatch-extract/{EXTRACTOR_VERSION}\x00".encode())
    h.update(repr((select, remove, url)).encode())
    for region in regions:
        h.update(b"\x00region\x00")
        h.update(etree.tostring(region, with_tail=False, encoding="utf-8"))
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

_LINK_TARGET_RE = LazyRe(r"\]\([^)\s]*\)")
_STRICT_LIMIT = 5000  # characters: shorter selected text is checked for wall machinery


def _scope(root_or_region: Any, text: str) -> _pagecheck.Scope:
    found = _xpath(_MACHINERY_XPATH)(root_or_region)
    has_password = has_captcha = has_consent = False
    for el in found:
        if el.tag == "input":
            has_password = True
        elif el.tag == "form":
            has_consent = True
        else:
            has_captcha = True
    return _pagecheck.Scope(
        text=text.lower(),
        has_password=has_password,
        has_captcha_widget=has_captcha,
        has_consent_form=has_consent,
    )


_PAGE_TEXT_XPATH = (
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or "
    "ancestor::template or ancestor::svg or ancestor::head)]"
)
_EMPTY_ROOT_XPATH = (
    "//*[(@id='root' or @id='app' or @id='__next' or @id='___gatsby' or @id='__nuxt' or "
    "@id='main-app' or @id='react-root' or @id='svelte' or @data-reactroot) and not(*) and "
    "not(normalize-space())]"
)


def _page_scope(doc: _Doc) -> _pagecheck.Scope:
    """Whole-page evidence, for explaining a failure (only computed on failing pages)."""
    root = doc.root
    pieces = _xpath(_PAGE_TEXT_XPATH)(root)
    if not pieces and root.find("body") is None:
        pieces = [t for t in root.itertext()]
    visible = " ".join(" ".join(pieces).split())
    noscript = " ".join(" ".join(root.xpath("//noscript//text()")).split())
    title_el = root.find(".//title")
    title = title_el.text if title_el is not None and title_el.text else ""
    base = _scope(root, "")
    return _pagecheck.Scope(
        text=f"{title} {visible} {noscript}".lower(),
        has_password=base.has_password,
        has_captcha_widget=base.has_captcha_widget,
        has_consent_form=base.has_consent_form,
        empty_app_root=bool(_xpath(_EMPTY_ROOT_XPATH)(root)),
        has_scripts=root.find(".//script") is not None,
    )


def _explain(doc: _Doc) -> _pagecheck.Verdict | None:
    return _pagecheck.check_scope(_page_scope(doc), strict=False)


def _no_match(doc: _Doc, select: tuple[str, ...]) -> ExtractionFailed:
    # Truncation first: a page cut inside its <head> has scripts and no text, which would
    # otherwise read as a JavaScript shell (and advise needs_js for a transfer problem).
    if _cut_outside_selection(doc):
        return ExtractionFailed(
            "truncated",
            f"{_where(doc.url)} ended mid-document ({len(doc.body)} bytes, no </body> or "
            "</html>) before the selected content — the transfer was cut; it is retried on the "
            "next run",
        )
    verdict = _explain(doc)
    if verdict:
        return _fail_verdict(verdict, doc.url)
    if not _xpath(_PAGE_TEXT_XPATH)(doc.root) and doc.root.find(".//script") is None:
        return ExtractionFailed(
            "empty",
            f"{_where(doc.url)} returned a page without any text ({len(doc.body)} bytes) — it "
            "is retried on the next run; if it persists check the URL in a browser",
        )
    shown = ", ".join(repr(s) for s in select)
    noun = "selector" if len(select) == 1 else "selectors"
    return ExtractionFailed(
        "structure-changed",
        f"{noun} {shown} matched nothing on {_where(doc.url)} — the page layout changed; "
        "update the declaration's select",
    )


def _analyse(
    body: bytes,
    content_type: str | None,
    url: str | None,
    select: tuple[str, ...],
    remove: tuple[str, ...],
) -> tuple[_Doc, list[Any], dict[Any, str]]:
    """Everything up to prepared regions (and their links, see :func:`_prepare`); raises for
    every failure not decided by the text."""
    doc = _load(body, content_type, url)
    regions, has_range = _select(doc, select)
    if not regions:
        raise _no_match(doc, select)
    if not has_range and _truncated(doc, regions, explicit=bool(select)):
        raise ExtractionFailed(
            "truncated",
            f"{_where(url)} ended mid-document inside the selected content ({len(body)} bytes, "
            "no </body> or </html>) — the transfer was cut; it is retried on the next run",
        )
    links = _prepare(doc, regions, remove)
    return doc, regions, links


def _visible_length(text: str) -> int:
    return len(_LINK_TARGET_RE.sub("]", text)) if "](" in text else len(text)


def _check_text(doc: _Doc, regions: list[Any], text: str, min_length: int, rare: bool) -> None:
    """Failures decided by the extracted text (see the fingerprint contract)."""
    samples = _charset.mojibake_samples(text) if rare else []
    if len(samples) >= 2 or (samples and _charset.mojibake_count(text) >= 2):
        declared = doc.decoded.declared or "no charset"
        raise ExtractionFailed(
            "encoding",
            f"the text of {_where(doc.url)} contains mojibake ({', '.join(samples)}) although "
            f"it was decoded as {doc.decoded.encoding} (declared: {declared}) — the site serves "
            "double-encoded text; check the page in a browser, the previous version stands",
        )
    if _charset.too_many_replacements(text):
        raise ExtractionFailed(
            "encoding",
            f"the text of {_where(doc.url)} has {text.count(chr(0xFFFD))} undecodable "
            f"characters (decoded as {doc.decoded.encoding}, declared: "
            f"{doc.decoded.declared or 'no charset'}) — the page's charset is wrong; check it "
            "in a browser",
        )
    length = _visible_length(text) if len(text) < max(min_length, _STRICT_LIMIT) * 4 else len(text)
    if length < min_length:
        verdict = _explain(doc)
        if verdict:
            raise _fail_verdict(verdict, doc.url)
        if not text.strip():
            raise ExtractionFailed(
                "too-short",
                f"the selected content of {_where(doc.url)} has no text (minimum {min_length} "
                "characters) — the page is probably a placeholder or the content moved; check "
                "it in a browser and update the declaration's select",
            )
        raise ExtractionFailed(
            "too-short",
            f"the text of {_where(doc.url)} is {length} characters, under the minimum of "
            f"{min_length} — the page is probably an error or placeholder page; check it in a "
            "browser, or lower min_length if the document really is this short",
        )
    if length < _STRICT_LIMIT:
        for region in regions:
            verdict = _pagecheck.check_scope(_scope(region, text), strict=True)
            if verdict:
                raise _fail_verdict(verdict, doc.url)


def extract(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    min_length: int = 200,
) -> Extraction:
    """Like :func:`extract_text`, also returning the region fingerprint (one parse for both).

    Called right after :func:`region_fingerprint` with the same body object and arguments (what
    a caller does when the fingerprint changed), it reuses that call's parsed and prepared
    regions instead of parsing the page again (see :func:`_take_analysed`).
    """
    sel, rem = tuple(select), tuple(remove)
    analysed = _take_analysed(body, content_type, url, sel, rem)
    if analysed is None:
        doc, regions, links = _analyse(body, content_type, url, sel, rem)
        fingerprint = _fingerprint(regions, sel, rem, url)
    else:
        (doc, regions, links), fingerprint = analysed
    text, rare = _render(regions, links)
    _check_text(doc, regions, text, min_length, rare)
    return Extraction(text, fingerprint)


def extract_text(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    min_length: int = 200,
) -> str:
    """HTML bytes -> normalised markdown-like text, or raise ExtractionFailed.

    ``url`` is the page's final URL (after redirects): relative links resolve against it (or
    against the page's ``<base href>``) and wall endpoints such as ``/authwall`` are recognised
    from it. ``content_type`` is the HTTP Content-Type header (its charset is used; see
    ``monitor.charset``). ``select``/``remove`` are CSS or ``range:`` selectors (module doc).
    ``min_length`` is the least number of characters (link targets not counted) a real version
    of this document has. Invalid selectors raise ValueError (validate them at load time with
    :func:`validate_selector`).
    """
    return extract(
        body,
        url=url,
        content_type=content_type,
        select=select,
        remove=remove,
        min_length=min_length,
    ).text


def region_fingerprint(
    body: bytes,
    *,
    content_type: str | None = None,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    url: str | None = None,
) -> str | None:
    """Cheap (lxml only, ~1 ms for 100 KB) hex digest of the selected region after removals and link
    normalisation. CONTRACT: equal fingerprints (same select/remove) => extract_text returns the same text.
    None when it cannot decide (then the caller runs extract_text).

    How the contract is kept: the digest covers the serialised regions exactly as the text
    renderer sees them (after ``remove``, after dropping scripts, controls and hidden elements,
    with every link already normalised), plus :data:`EXTRACTOR_VERSION`, the selectors and
    ``url``. Every check that looks outside the regions (URL, title, challenge markers,
    truncation) runs here too and yields None, so a fingerprint exists only for pages whose
    outcome depends on the regions alone. Pass the same ``url`` you pass to ``extract_text``
    (relative links resolve against it); fingerprints from different URLs never compare equal.
    Noise outside the selection, or inside removed elements, does not change the fingerprint;
    any change of text, structure or link target inside the selection does. (A change of
    attributes inside the selection - generated class names - changes the fingerprint without
    changing the text: the caller then runs the full extraction, which is merely slower.)
    """
    sel, rem = tuple(select), tuple(remove)
    _local.analysed = None
    try:
        analysed = _analyse(body, content_type, url, sel, rem)
    except ExtractionFailed:
        return None
    fingerprint = _fingerprint(analysed[1], sel, rem, url)
    if type(body) is bytes:  # immutable: the same object is the same page
        _local.analysed = (body, (content_type, url, sel, rem), analysed, fingerprint)
    return fingerprint


def _take_analysed(
    body: bytes,
    content_type: str | None,
    url: str | None,
    sel: tuple[str, ...],
    rem: tuple[str, ...],
) -> tuple[tuple[_Doc, list[Any], dict[Any, str]], str] | None:
    """The analysis the last :func:`region_fingerprint` call of this thread made, when it was
    for this very body object and these arguments (else None); the memo is emptied either way.

    ``_analyse`` is a function of exactly these inputs, and rendering and the text checks only
    read the prepared tree, so reusing it gives byte-identical results; a caller that extracts
    after a changed fingerprint is spared a second parse. At most one parsed page per thread is
    held, until the thread's next fingerprint or extraction.
    """
    memo = getattr(_local, "analysed", None)
    if memo is None:
        return None
    _local.analysed = None
    if memo[0] is not body or memo[1] != (content_type, url, sel, rem):
        return None
    return memo[2], memo[3]


# ---------------------------------------------------------------------------------------------
# Effective dates
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?P<{}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:" + _MONTH.format("m1") + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.format("m2") + r",?\s+(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|" + _MONTH.format("m4") + r",?\s+(?P<y4>\d{4}))"
)
_GAP = r"[\s:*_#\[\]()|>-]*"
_EFFECTIVE_RE = LazyRe(
    r"\b(?:effective|in effect)(?:\s+(?:date|from|as of|on|since))?(?:\s+(?:is|was))?"
    + _GAP
    + _DATE,
    re.IGNORECASE,
)
_UPDATED_RE = LazyRe(
    r"\b(?:last\s+(?:updated|modified|revised|changed)|updated|revised|modified)"
    r"(?:\s+(?:on|as of))?" + _GAP + _DATE,
    re.IGNORECASE,
)


def _date_of(match: re.Match[str]) -> _dt.date | None:
    g = match.groupdict()
    try:
        if g["y1"]:
            return _dt.date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
        if g["y2"]:
            return _dt.date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
        if g["y3"]:
            return _dt.date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        if g["y4"]:
            return _dt.date(int(g["y4"]), _MONTHS[g["m4"].lower()], 1)
    except (ValueError, KeyError):
        return None
    return None


def find_effective_date(text: str) -> _dt.date | None:
    """The 'Effective <date>' / 'Last updated: <date>' / 'Effective as of' date the text states, if any.

    The first *effective* date wins ("Effective: September 29, 2025" over a later-stated "Last
    Updated: August 29, 2025", since it is the date the text applies from); without one, the first
    "last updated/modified/revised" date. Dates written "May 18, 2023", "18 May 2023",
    "2023-05-18" and "Jan 06, 2026" are understood; a month without a day ("Last Updated: July
    2026") gives the first of that month. Markup between the word and the date (``**``, ``#``,
    ``:``, a link bracket) is skipped.
    """
    for pattern, words in ((_EFFECTIVE_RE, _EFFECTIVE_WORDS), (_UPDATED_RE, _UPDATED_WORDS)):
        for match in _finditer(pattern, text, words):
            found = _date_of(match)
            if found is not None:
                return found
    return None


# Every match of _EFFECTIVE_RE / _UPDATED_RE starts with one of these words (case-insensitive).
# Scanning a whole policy with either regex costs ~2 ms (the regex engine tries every
# position); finding the words first costs a fraction of that, and the regex then runs only
# where a match can start.
_EFFECTIVE_WORDS = ("effective", "in effect")
_UPDATED_WORDS = ("last", "updated", "revised", "modified")
# Characters that match ASCII letters under re.IGNORECASE although their lower() is not that
# letter (U+0130 is also the only character whose lower() is longer than one character).
_CASE_SPECIALS = ("\u0130", "\u0131", "\u017f", "\u212a")
_FIRST_CHUNK = 512


def _finditer(pattern: Any, text: str, words: tuple[str, ...]) -> Iterator[re.Match[str]]:
    """Exactly the matches of ``pattern.finditer(text)``, for a pattern whose matches all start
    with one of ``words`` (lower-case ASCII): the regex is tried only where a word starts, in
    order, from the end of the last match.

    The word starts are found in the lower-cased text, chunk by chunk (of growing size, so a
    date near the top costs little). Without :data:`_CASE_SPECIALS`, ``str.lower()`` keeps every
    position and turns into the words' letters exactly the characters re.IGNORECASE matches
    them with; from a chunk that has one of them on, the regex scans the rest itself (every
    match before that chunk's start has been found, so the sequence is the same).
    """
    overlap = max(len(word) for word in words) - 1
    done = 0  # where the last match ended
    start = 0
    size = _FIRST_CHUNK
    while start < len(text):
        chunk = text[start : start + size + overlap]
        if not chunk.isascii() and any(special in chunk for special in _CASE_SPECIALS):
            yield from pattern.finditer(text, max(done, start))
            return
        low = chunk.lower()
        starts = []
        for word in words:
            i = low.find(word)
            while 0 <= i < size:
                starts.append(start + i)
                i = low.find(word, i + 1)
        starts.sort()
        for pos in starts:
            if pos < done:
                continue
            match = pattern.match(text, pos)
            if match is not None:
                yield match
                done = match.end()
        start += size
        size *= 2
