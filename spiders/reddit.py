"""Reddit: redditinc.com holds the policies; support.reddithelp.com (the Public Content
Policy) sits behind a Cloudflare challenge for scripted clients, and reddit.com redirects
distrusted clients to a login page. Both are failures with their own reason.
"""

from __future__ import annotations

from spiders.base import FetchFailed, FetchJob, PolicySpider


class Spider(PolicySpider):
    login_url_markers = (*PolicySpider.login_url_markers, "/account/login", "/login/")

    def classify_response(self, job: FetchJob, response) -> FetchFailed | None:
        if response.status == 200 and b"cf-chl" in response.body[:50000]:
            return FetchFailed(
                job,
                "bot-wall",
                f"{job.key}: Reddit's help centre served a Cloudflare challenge instead of the "
                "page; it needs a real browser (needs_js) — see README",
                200,
            )
        return super().classify_response(job, response)
