"""Meta (Facebook, Instagram, Meta AI): region by IP, language by ``locale``, JS-heavy pages.

Meta serves its policies to logged-out readers but redirects clients it distrusts to
``/login`` or a ``/checkpoint``; those are login walls. The language is pinned through the
``locale`` cookie so the text does not flip between translations from one fetch to the next.
"""

from __future__ import annotations

from spiders.base import PolicySpider


class Spider(PolicySpider):
    login_url_markers = (*PolicySpider.login_url_markers, "/login.php", "/cookie/consent")
    cookies = {"locale": "en_US"}
