"""Small hand-written policy pages (not copies of real policies) for pipeline tests."""

from __future__ import annotations

import html

BASE_PARAGRAPHS = [
    "We collect information you give us when you create an account, such as your name, email address and password.",
    "We use the information we collect to provide, personalise and improve our services, and to keep them safe.",
    "We share information with service providers who help us operate the services, under contracts that limit their use of it.",
    "You can access, correct or delete your information at any time from your account settings.",
    "We keep information for as long as your account is active or as needed to provide the services.",
    "We use cookies and similar technologies to remember your preferences and measure how the services are used.",
    "If you live in the European Economic Area you may object to processing based on our legitimate interests.",
    "We may update this policy; we will notify you of material changes before they take effect.",
]

AI_CLAUSE = (
    "We may use your personal data, including the content you post, to develop and train "
    "artificial intelligence (AI) models, including generative AI models, that power features "
    "for you and others."
)


def policy_page(
    paragraphs: list[str] | None = None,
    *,
    title: str = "Example Privacy Policy",
    csrf: str = "tok-1",
    stamp: str = "2026-11-29T10:00:00Z",
    link_query: str = "",
    effective: str = "March 1, 2026",
) -> str:
    """A realistic page: header, nav, a noisy promo with a CSRF token, the policy in <main>."""
    paras = paragraphs if paragraphs is not None else BASE_PARAGRAPHS
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paras)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script>window.__state = {{"t": "{stamp}"}};</script></head>
<body>
<header><nav><a href="/">Home</a> <a href="/help?utm_source=nav{link_query}">Help</a></nav></header>
<div class="promo"><form><input type="hidden" name="csrf" value="{csrf}"></form>
<span class="ts">Rendered {stamp}</span></div>
<main>
<h1>{html.escape(title)}</h1>
<p>Effective {effective}</p>
<h2>Information we collect and how we use it</h2>
{body}
<p>Read our <a href="/cookies?utm_campaign=x{link_query}">Cookie Policy</a> for details.</p>
</main>
<footer>© Example Corp · <a href="/terms">Terms</a></footer>
</body></html>"""
