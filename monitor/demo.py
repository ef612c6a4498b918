"""The sample site behind ``policywatch demo``: a loopback web server with one privacy policy.

Why a real server and not canned text: the demo must show what the product does, so it runs
the real pipeline (crawl child, extraction, tracker, diff, AI-clause detector, outbox) against
a page that changes between two fetches, exactly as a platform's page would. Nothing here
touches the internet: the server binds 127.0.0.1 on a free port and lives in a daemon thread
of the demo process.

The policy belongs to a made-up service, "Example Social". Its text was written for this demo;
its change is modelled on the real LinkedIn Privacy Policy update of 18 September 2024, where
one sentence of "How we use your data" began to say that personal data may be used to develop
and train artificial intelligence (AI) models, and a settings control for that use appeared.
Version 2 of the sample policy makes the same kind of change and one unrelated edit (a new
postal address), so the demo shows a finding next to ordinary noise:

- version 1: no AI-training clause;
- version 2: an added clause on training AI models with personal data (high), an opt-out
  sentence in the settings section, a new effective date and a new postal address.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = [
    "AI_CLAUSE",
    "DOCUMENT_KIND",
    "DOCUMENT_TITLE",
    "OPT_OUT_SENTENCE",
    "POLICY_PATH",
    "SERVICE_NAME",
    "SERVICE_SLUG",
    "DemoSite",
    "config_toml",
    "policy_html",
]

SERVICE_SLUG = "example-social"
SERVICE_NAME = "Example Social"
DOCUMENT_KIND = "privacy-policy"
DOCUMENT_TITLE = "Privacy Policy"
POLICY_PATH = "/legal/privacy-policy"

#: The sentence version 2 adds (the demo's tests look for it in the output and the alert).
AI_CLAUSE = (
    "We may use your personal data, including the posts, comments and messages you share on "
    "our Services, to develop and train artificial intelligence (AI) models, including "
    "generative AI models that create text and images."
)
#: The control version 2 adds in "Your choices".
OPT_OUT_SENTENCE = (
    "You can opt out of the use of your personal data to train generative AI models by turning "
    'off the "Use my data for training content creation AI models" setting; opting out does not '
    "affect training that has already taken place."
)

_EFFECTIVE = {1: "March 4, 2024", 2: "September 18, 2024"}
_ADDRESS = {
    1: "Example Social Ltd., 12 Harbour Street, Portsmouth PO1 2AB, United Kingdom",
    2: "Example Social Ltd., 40 Canal Walk, Manchester M1 7ED, United Kingdom",
}


def policy_html(version: int) -> str:
    """The sample Privacy Policy page, version 1 or 2 (a complete HTML document)."""
    if version not in (1, 2):
        raise ValueError(f"the demo policy has versions 1 and 2, not {version!r}")
    ai = f" {AI_CLAUSE}" if version == 2 else ""
    opt_out = f"\n      <p>{OPT_OUT_SENTENCE}</p>" if version == 2 else ""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Privacy Policy | Example Social</title>
</head>
<body>
  <header class="site-header"><a href="/">Example Social</a> · <a href="/login">Sign in</a></header>
  <div class="promo">Try Example Social Premium free for one month!</div>
  <main>
    <h1>Privacy Policy</h1>
    <p><em>Effective {_EFFECTIVE[version]}</em></p>
    <p>Example Social is a social network where people share updates, photos and ideas with
      friends, colleagues and communities. This Privacy Policy explains what personal data we
      collect, how we use and share it, and the choices you have.</p>

    <h2>1. Data we collect</h2>
    <h3>1.1 Data you provide to us</h3>
    <p>To create an account you give us your name, email address or mobile number, a password
      and your date of birth. You may add a profile photo, a short biography, your school,
      employer and city.</p>
    <p>We collect the content you post, upload or send on our Services, such as posts,
      comments, photos, videos, messages and reactions, and the information about it, such as
      when and where it was created.</p>
    <h3>1.2 Data from your devices</h3>
    <p>When you use our Services we receive your IP address, device identifiers, browser type,
      operating system, language settings and crash reports. We use cookies and similar
      technologies as our Cookie Policy describes.</p>

    <h2>2. How we use your data</h2>
    <p>How we use your personal data depends on which Services you use, how you use them and
      the choices you make in your settings. We use your personal data to provide, maintain,
      personalise and improve our Services, to keep them safe and to communicate with
      you.{ai}</p>
    <h3>2.1 Personalisation and recommendations</h3>
    <p>We use your profile, your connections and your activity to suggest people you may know,
      groups you may like and posts to show in your feed.</p>
    <h3>2.2 Safety and security</h3>
    <p>We use automated systems and human review to detect spam, fraud, fake accounts and
      content that breaks our Community Guidelines.</p>

    <h2>3. How we share information</h2>
    <p>Your profile and posts are visible to the people you choose in your audience settings.
      We share data with service providers who process it on our behalf under contract, and
      with authorities when the law requires it. We do not sell your personal data.</p>

    <h2>4. Your choices</h2>
    <p>You can access, correct, download or delete your personal data from your account
      settings. You can limit who sees your posts and whether your profile appears in search
      engines.</p>{opt_out}
    <p>You can close your account at any time; we delete your profile within 30 days, except
      where we must keep data to meet legal obligations.</p>

    <h2>5. Contact us</h2>
    <p>If you have questions about this policy, write to our Data Protection Officer at
      privacy@example.social or by post to {_ADDRESS[version]}.</p>
  </main>
  <footer class="site-footer">© Example Social · <a href="/legal/terms">Terms</a></footer>
</body>
</html>
"""


ROBOTS_TXT = b"User-agent: *\nAllow: /\n"
INDEX_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Example Social</title></head>"
    f"<body><p>policywatch demo site. <a href='{POLICY_PATH}'>Privacy Policy</a></p></body></html>"
)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up early (a crawl refusing a body, a killed child) is no error
        of the demo; http.server would print a traceback in the middle of its output."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class DemoSite:
    """A threaded HTTP server on 127.0.0.1 (free port) serving the sample policy.

    ``version`` picks the page served from now on; ``fetches`` counts the policy requests so the
    demo can tell that the crawl really fetched it. Use as a context manager.
    """

    def __init__(self, version: int = 1) -> None:
        policy_html(version)  # validates the number
        self.version = version
        self.fetches = 0
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "policywatch-demo"

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path = self.path.split("?", 1)[0]
                if path == POLICY_PATH:
                    with site._lock:
                        site.fetches += 1
                        body = policy_html(site.version).encode("utf-8")
                    self._send(200, "text/html; charset=utf-8", body)
                elif path == "/robots.txt":
                    self._send(200, "text/plain; charset=utf-8", ROBOTS_TXT)
                elif path == "/":
                    self._send(200, "text/html; charset=utf-8", INDEX_HTML.encode("utf-8"))
                else:
                    self._send(404, "text/plain; charset=utf-8", b"not found\n")

            def do_HEAD(self) -> None:  # noqa: N802
                self.do_GET()

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, *args) -> None:  # the demo prints its own story
                return

        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="policywatch-demo-site", daemon=True
        )

    @property
    def policy_url(self) -> str:
        return self.base_url + POLICY_PATH

    def serve(self, version: int) -> None:
        """Serve ``version`` of the policy from the next request on."""
        policy_html(version)
        with self._lock:
            self.version = version

    def start(self) -> DemoSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _toml_str(value: str) -> str:
    """A TOML basic string (paths on any OS, URLs)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def config_toml(policy_url: str, database_url: str) -> str:
    """The demo's config file: only the sample service, no delay, no retries.

    Notification channels are deliberately not written here (a kept temporary directory must
    not hold secrets); the demo passes the user's channels to the tracker in memory.
    """
    return "\n".join(
        [
            "# Written by `policywatch demo`: the sample service on a loopback server.",
            f"database_url = {_toml_str(database_url)}",
            f"services = [{_toml_str(SERVICE_SLUG)}]",
            'alert_on = "ai"',
            "",
            "[crawl]",
            "download_delay = 0.0",
            "retry_times = 0",
            "download_timeout = 10.0",
            "timeout = 60.0",
            "autothrottle = false",
            'respect_robots_txt = "declared"',
            "",
            "[[service]]",
            f"slug = {_toml_str(SERVICE_SLUG)}",
            f"name = {_toml_str(SERVICE_NAME)}",
            "",
            "[[service.document]]",
            f"kind = {_toml_str(DOCUMENT_KIND)}",
            f"title = {_toml_str(DOCUMENT_TITLE)}",
            f"url = {_toml_str(policy_url)}",
            'select = ["main"]',
            'remove = [".promo"]',
            "min_length = 1000",
            "",
        ]
    )
