"""Benchmark the extraction core on ~100 KB pages built from real policies.

    python benchmarks/extract.py [--pages 200] [--repeat 3] [--shared ../shared]

Each page is one real policy version from ``corpus/versions`` (Markdown rendered to plain HTML
here) inside the chrome a real site adds: header and navigation, a promo block with a CSRF token
input and a timestamp, an inline promo inside ``<main>`` (removed by the declaration), scripts,
and a footer. Pages are 75-150 KB, median ~100 KB, like the workload in PERF-NOTES.md.

Printed per operation (milliseconds per page, best of ``--repeat`` runs of each page, then the
median / p90 / max over pages): sha256 of the body (the floor), a bare lxml parse, lxml parse +
text of <main> (what urlwatch-style tools do), ``region_fingerprint``, ``extract``, the two in a
row as for a changed page (``extract`` then reuses the fingerprint's parse), and
``find_effective_date`` on the extracted text. It also
checks, on every page, the fingerprint contract against a second rendering of the page with
different noise (token, timestamp, promo): same fingerprint, same text.

Timings go here and into benchmarks/README.md, never into tests.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.extract import extract, find_effective_date, region_fingerprint  # noqa: E402

SELECT = ["main"]
REMOVE = [".promo"]
CT = "text/html; charset=utf-8"


# ---------------------------------------------------------------------------------------------
# Building pages
# ---------------------------------------------------------------------------------------------

_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_BOLD_RE = re.compile(r"\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    out = []
    last = 0
    for match in _LINK_RE.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        label, href = match.group(1), match.group(2)
        sep = "&" if "?" in href else "?"
        out.append(
            f'<a href="{html.escape(href)}{sep}utm_source=policy&amp;trk=nav">'
            f"{html.escape(label)}</a>"
        )
        last = match.end()
    out.append(html.escape(text[last:]))
    return _BOLD_RE.sub(r"<strong>\1</strong>", "".join(out))


def markdown_to_html(md: str) -> str:
    """Enough Markdown for OTA's versions: headings, paragraphs, nested lists, tables, links."""
    lines = md.splitlines()
    out: list[str] = []
    para: list[str] = []
    list_stack: list[int] = []

    def close_para() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    def close_lists(level: int = -1) -> None:
        while list_stack and list_stack[-1] > level:
            list_stack.pop()
            out.append("</li></ul>")

    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        stripped = line.strip()
        if not stripped:
            close_para()
            i += 1
            continue
        if re.fullmatch(r"=+|-+", nxt.strip() or "x") and not list_stack:
            close_para()
            level = 1 if nxt.strip().startswith("=") else 2
            out.append(f"<h{level}>{_inline(stripped)}</h{level}>")
            i += 2
            continue
        heading = re.match(r"(#{1,6})\s+(.*)", stripped)
        if heading:
            close_para()
            close_lists()
            n = len(heading.group(1))
            out.append(f"<h{n}>{_inline(heading.group(2))}</h{n}>")
        elif stripped.startswith("|"):
            close_para()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                out.append(
                    "<table><tr>"
                    + "".join(f"<td>{_inline(c)}</td>" for c in cells)
                    + "</tr></table>"
                )
        elif re.match(r"([*+-]|\d+\.)\s+", stripped):
            close_para()
            indent = len(line) - len(line.lstrip())
            item = re.sub(r"^([*+-]|\d+\.)\s+", "", stripped)
            if list_stack and indent <= list_stack[-1]:
                close_lists(indent)
                if list_stack and list_stack[-1] == indent:
                    out.append("</li><li>")
                else:
                    out.append("<ul><li>")
                    list_stack.append(indent)
            else:
                out.append("<ul><li>")
                list_stack.append(indent)
            out.append(_inline(item))
        else:
            if list_stack and not line.startswith(" "):
                close_lists()
            para.append(stripped)
        i += 1
    close_para()
    close_lists()
    return "\n".join(out)


NAV = "".join(
    f'<li><a href="https://www.example.com/{p}?utm_source=nav&amp;ref=header">{p.title()}</a></li>'
    for p in (
        "products",
        "solutions",
        "pricing",
        "help",
        "community",
        "careers",
        "press",
        "investors",
        "developers",
        "partners",
        "safety",
        "blog",
    )
)
FOOTER = "".join(
    f'<li><a href="https://www.example.com/legal/{p}">{p.replace("-", " ").title()}</a></li>'
    for p in (
        "privacy-policy",
        "terms",
        "cookie-policy",
        "copyright",
        "accessibility",
        "community-guidelines",
        "ads-policy",
        "transparency",
    )
)
STYLE = (
    "<style>" + "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px}}" for i in range(150)) + "</style>"
)


def build_page(policy_html: str, *, token: str, stamp: str, promo: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='csrf-token' content='{token}'><title>Privacy Policy | Example</title>"
        f"{STYLE}<script nonce='{token}'>window.__BOOT__={{ts:'{stamp}',build:'a1b2'}};</script>"
        "<link rel='stylesheet' href='/static/site.css'></head><body>"
        f"<header class='site-header'><nav><ul>{NAV}</ul></nav>"
        f"<form class='search' action='/search'><input type='hidden' name='csrf' value='{token}'>"
        "<input name='q' placeholder='Search'><button>Search</button></form></header>"
        f"<div class='promo banner'><p>{promo}</p><p>Offer refreshed at {stamp}</p>"
        f"<input type='hidden' name='csrf' value='{token}'></div>"
        "<main id='content'>"
        f"<div class='promo inline'>Updated {stamp} · <a href='/promo?t={token}'>Try Premium</a></div>"
        f"{policy_html}</main>"
        f"<footer><ul>{FOOTER}</ul><p>© 2026 Example Inc. Rendered {stamp} by node-{token[:4]}</p>"
        "</footer><script src='/static/app.js' defer></script>"
        f"<script>track('{token}','{stamp}')</script></body></html>"
    ).encode()


def load_policies(shared: Path, count: int) -> list[tuple[str, str]]:
    """(name, policy HTML) for ``count`` pages of 75-150 KB (median ~100 KB) from real versions.

    Distinct versions are spread over every document of the corpus; when there are fewer than
    ``count`` of the right size, they are used again (each page gets its own noise anyway).
    """
    corpus = shared / "corpus"
    manifest = json.loads((corpus / "versions/manifest.json").read_text())
    entries = [e for e in manifest if not e.get("degenerate") and 45_000 <= e["bytes"] <= 140_000]
    entries.sort(key=lambda e: (e["service"], e["terms_type"], e["date"]))
    distinct: list[tuple[str, str]] = []
    for entry in entries:
        policy = markdown_to_html((shared / entry["path"]).read_text(encoding="utf-8"))
        size = len(policy.encode()) + 12_000
        if 75_000 <= size <= 150_000:
            distinct.append((entry["path"].split("versions/", 1)[1], policy))
    if not distinct:
        return []
    step = max(1, len(distinct) // count)
    spread = distinct[::step]
    return [spread[i % len(spread)] for i in range(count)]


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


def best_ms(fn, repeat: int, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best * 1000


def summary(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return (
        f"median {statistics.median(values):6.2f}  p90 {p90:6.2f}  max {values[-1]:6.2f}  "
        f"mean {statistics.fmean(values):6.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path(os.environ.get("POLICYWATCH_SHARED", ROOT.parent / "shared")),
    )
    args = parser.parse_args()

    from lxml import etree

    policies = load_policies(args.shared, args.pages)
    if not policies:
        print(f"no corpus at {args.shared}/corpus", file=sys.stderr)
        return 1
    pages = [
        build_page(
            p,
            token=f"tok{i:06d}a9f3",
            stamp=f"2026-11-29T10:{i % 60:02d}:00Z",
            promo="Get 20% off Premium today",
        )
        for i, (_n, p) in enumerate(policies)
    ]
    noisy = [
        build_page(
            p,
            token=f"zz{i:06d}c4e1",
            stamp=f"2026-11-30T18:{i % 60:02d}:59Z",
            promo="New: dark mode is here",
        )
        for i, (_n, p) in enumerate(policies)
    ]
    sizes = [len(b) for b in pages]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{os.cpu_count()} CPUs, load average {load:.1f} before the run (other work inflates "
        "wall times; cpu = this thread's CPU time)"
    )
    print(
        f"{len(pages)} pages from real policies, {statistics.median(sizes) / 1000:.0f} KB median "
        f"({min(sizes) / 1000:.0f}-{max(sizes) / 1000:.0f} KB); best of {args.repeat} per page; "
        f"ms per page"
    )

    parser_ = etree.HTMLParser(encoding="utf-8")
    main_xpath = etree.XPath("//main")
    kw = {
        "url": "https://www.example.com/legal/privacy",
        "content_type": CT,
        "select": SELECT,
        "remove": REMOVE,
    }

    # warm caches (selector translation, URL normalisation) as a long-running process would be
    texts = {id(body): extract(body, **kw).text for body in pages}

    ops = {
        "sha256 of body": lambda b: hashlib.sha256(b).hexdigest(),
        "lxml parse only": lambda b: etree.fromstring(b, parser_),
        "lxml parse + main text": lambda b: "".join(
            main_xpath(etree.fromstring(b, parser_))[0].itertext()
        ),
        "region_fingerprint": lambda b: region_fingerprint(b, **kw),
        "extract (text+fp)": lambda b: extract(b, **kw),
        # a changed page: the caller fingerprints, sees a change, extracts (one parse)
        "fingerprint, then extract": lambda b: (region_fingerprint(b, **kw), extract(b, **kw)),
        "find_effective_date": lambda b: find_effective_date(texts[id(b)]),
    }
    results: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for name, op in ops.items():
        results[name] = [best_ms(lambda b=b, op=op: op(b), args.repeat) for b in pages]
        cpu[name] = [
            best_ms(lambda b=b, op=op: op(b), args.repeat, time.thread_time) for b in pages
        ]
        print(f"  {name:24} wall {summary(results[name])}")
        print(f"  {'':24} cpu  {summary(cpu[name])}")

    for label, table in (("wall", results), ("cpu", cpu)):
        x100 = [t / (n / 100_000) for t, n in zip(table["extract (text+fp)"], sizes, strict=True)]
        f100 = [t / (n / 100_000) for t, n in zip(table["region_fingerprint"], sizes, strict=True)]
        print(
            f"  per 100 KB ({label}): fingerprint median {statistics.median(f100):.2f} ms, "
            f"extract median {statistics.median(x100):.2f} ms"
        )

    same_fp = same_text = 0
    for a, b in zip(pages, noisy, strict=True):
        ra, rb = extract(a, **kw), extract(b, **kw)
        same_fp += ra.fingerprint == rb.fingerprint == region_fingerprint(b, **kw)
        same_text += ra.text == rb.text
    print(
        f"  noise-only variants: {same_fp}/{len(pages)} equal fingerprints, "
        f"{same_text}/{len(pages)} equal texts"
    )
    total_fp = sum(cpu["region_fingerprint"]) / 1000
    total_x = sum(cpu["extract (text+fp)"]) / 1000
    print(
        f"  one core (cpu time): {len(pages) / total_fp:.0f} pages/s fingerprint-only, "
        f"{len(pages) / total_x:.0f} pages/s full extraction"
    )
    return 0 if same_fp == same_text == len(pages) else 1


if __name__ == "__main__":
    raise SystemExit(main())
