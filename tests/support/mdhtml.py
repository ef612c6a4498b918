"""Render the corpus's OTA markdown as a plausible HTML page, for serving real policies.

Deliberately small: headings, paragraphs, bullet and numbered lists, tables and links are
what the policies use. Anything else passes through as escaped paragraph text.
"""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def inline(text: str) -> str:
    out, pos = [], 0
    for m in _LINK.finditer(text):
        out.append(_fmt(text[pos : m.start()]))
        out.append(f'<a href="{html.escape(m.group(2), quote=True)}">{_fmt(m.group(1))}</a>')
        pos = m.end()
    out.append(_fmt(text[pos:]))
    return "".join(out)


def _fmt(text: str) -> str:
    text = html.escape(text, quote=False)
    text = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", text)
    return _EM.sub(lambda m: f"<em>{m.group(1)}</em>", text)


def markdown_to_html(md: str) -> str:
    lines = md.splitlines()
    out: list[str] = []
    para: list[str] = []
    list_stack: list[tuple[int, str]] = []

    def flush_para() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()

    def close_lists(to_indent: int = -1) -> None:
        while list_stack and list_stack[-1][0] > to_indent:
            out.append(f"</{list_stack.pop()[1]}>")

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        item = re.match(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$", line)
        if not stripped:
            flush_para()
            i += 1
            continue
        if stripped.startswith("#"):
            flush_para()
            close_lists()
            level = min(len(stripped) - len(stripped.lstrip("#")), 6)
            out.append(f"<h{level}>{inline(stripped.lstrip('#').strip())}</h{level}>")
        elif stripped.startswith("|"):
            flush_para()
            close_lists()
            out.append("<table>")
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                    out.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells) + "</tr>")
                i += 1
            out.append("</table>")
            continue
        elif item:
            flush_para()
            indent = len(item.group(1))
            tag = "ol" if item.group(2)[0].isdigit() else "ul"
            if not list_stack or indent > list_stack[-1][0]:
                out.append(f"<{tag}>")
                list_stack.append((indent, tag))
            else:
                close_lists(indent)
                if not list_stack:
                    out.append(f"<{tag}>")
                    list_stack.append((indent, tag))
            out.append(f"<li>{inline(item.group(3))}</li>")
        else:
            if list_stack and not line.startswith(" "):
                close_lists()
            para.append(stripped)
        i += 1
    flush_para()
    close_lists()
    return "\n".join(out)


def policy_html(md: str, *, title: str, noise: str = "") -> str:
    """A full page around the policy: header, nav, footer and a noise element."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/help?utm_source=nav'>Help</a></nav></header>"
        f"<div class='promo'><input type='hidden' name='csrf' value='{html.escape(noise)}'>"
        f"<span>{html.escape(noise)}</span></div>"
        f"<main>{markdown_to_html(md)}</main>"
        "<footer>© The company</footer></body></html>"
    )
