"""LinkedIn: logged-out visitors of some pages are bounced to ``/authwall`` or ``/uas/login``.

The legal pages and help answers are public, but LinkedIn answers suspicious clients with a
redirect to its authwall (HTTP 200 after the redirect) or a 999 status; both must be failures,
never versions.
"""

from __future__ import annotations

from spiders.base import FetchFailed, FetchJob, PolicySpider


class Spider(PolicySpider):
    login_url_markers = (*PolicySpider.login_url_markers, "/uas/login", "sessionredirect")

    def classify_response(self, job: FetchJob, response) -> FetchFailed | None:
        if response.status == 999:
            return FetchFailed(
                job,
                "blocked",
                f"{job.key}: LinkedIn answered HTTP 999 (its bot block); policywatch retries "
                "on the next run — lower the crawl frequency if it persists",
                999,
            )
        return super().classify_response(job, response)
