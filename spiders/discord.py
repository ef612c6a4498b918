"""Discord: discord.com is a server-rendered Webflow site whose robots.txt allows /privacy
and /terms; the support centres (Zendesk) answer scripted clients with a Cloudflare
challenge, which the base spider reports as a bot wall.
"""

from __future__ import annotations

from spiders.base import PolicySpider


class Spider(PolicySpider):
    login_url_markers = (*PolicySpider.login_url_markers, "/hc/en-us/signin")
