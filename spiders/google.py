"""Google: locale pinned in the URL (``hl``/``gl``); EU visitors may meet consent.google.com.

A fetch redirected to ``consent.google.com`` would otherwise store the consent form as the
policy; the base spider's consent markers turn it into a ``consent-wall`` failure, and a
redirect to ``accounts.google.com`` is a login wall.
"""

from __future__ import annotations

from spiders.base import PolicySpider


class Spider(PolicySpider):
    login_url_markers = (*PolicySpider.login_url_markers, "accounts.google.com")
    consent_url_markers = ("consent.google.", "consent.youtube.")
