"""Pipeline benchmark: policywatch vs urlwatch on the same loopback pages, three rounds.

    python benchmarks/pipeline.py            # N=1000
    python benchmarks/pipeline.py -n 200     # smaller
    python benchmarks/pipeline.py --skip-urlwatch

Pages are built from the real policies in ../shared/corpus/versions (58–146 KB), each with a
header, navigation, footer and a noise element (CSRF token + timestamp) around the policy in
<main>. Rounds:

1. baseline     every page is new;
2. noise        only the noise element changes — must report 0 changes;
3. changed      10% of pages get an inserted paragraph (half of them an AI-training clause),
                5% lose a paragraph — must report exactly those.

For each tool and round it prints wall seconds, documents per second, peak RSS of the whole
process tree, changes reported vs expected, and the policywatch/urlwatch time ratio. Both
tools run with the same concurrency on one host (a politeness limit per domain would make
1000 pages on one loopback host meaningless), so policywatch is configured with 16
concurrent requests per domain and no delay here; its defaults for real sites stay polite.
The page server runs in its own process and is not counted in either tool's memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import Process, Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("POLICYWATCH_SHARED", ROOT.parent / "shared"))

AI_PARAGRAPHS = [
    "We may use the content you share with us, including posts and messages, to develop and "
    "train our artificial intelligence models and to improve generative AI features.",
    "Your information may be used to train machine learning models that power our AI features, "
    "and we may share it with our affiliates for that purpose.",
]
PLAIN_PARAGRAPHS = [
    "We have updated the section on account recovery so that you can restore access to your "
    "account by confirming a code sent to your verified phone number.",
    "Our support team can now answer questions about billing by chat during business hours in "
    "your local time zone.",
]


# --- pages ---------------------------------------------------------------------------------


def load_policies(limit: int) -> list[str]:
    manifest = json.loads((SHARED / "corpus" / "versions" / "manifest.json").read_text())
    rows = [r for r in manifest if 58_000 <= r["bytes"] <= 146_000]
    rows.sort(key=lambda r: r["path"])
    texts = [(SHARED / r["path"]).read_text(encoding="utf-8") for r in rows]
    if not texts:
        sys.exit(f"no corpus versions found under {SHARED}/corpus; set POLICYWATCH_SHARED")
    return [texts[i % len(texts)] for i in range(limit)]


def build_pages(policies: list[str], round_no: int, changed: dict[int, str]) -> dict[str, bytes]:
    from tests.support.mdhtml import markdown_to_html

    pages = {}
    stamp = f"2026-11-29T{10 + round_no:02d}:00:00Z"
    for i, md in enumerate(policies):
        body = markdown_to_html(md)
        edit = changed.get(i)
        if edit is not None:
            paras = list(re.finditer(r"<p>[^<]{80,}?</p>", body))
            m = paras[len(paras) // 2]
            if edit.startswith("+"):  # a new paragraph after the middle one
                body = body[: m.end()] + f"\n<p>{edit[1:]}</p>" + body[m.end() :]
            else:  # the middle paragraph deleted
                body = body[: m.start()] + body[m.end() :]
        html_page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Policy {i}</title><script>window.t='{stamp}'</script></head><body>"
            "<header><nav><a href='/'>Home</a> <a href='/help'>Help</a></nav></header>"
            f"<div class='promo'><input type='hidden' name='csrf' value='tok-{round_no}-{i}'>"
            f"<span>Rendered {stamp}</span></div>"
            f"<main>{body}</main><footer>© Example · <a href='/terms'>Terms</a></footer>"
            "</body></html>"
        )
        pages[f"/p/{i}"] = html_page.encode("utf-8")
    return pages


def serve(pages_dir: str, port_q: Queue) -> None:
    """Serve files from pages_dir (re-read each request, so rounds can swap them)."""

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            path = Path(pages_dir) / (self.path.strip("/").replace("/", "_") + ".html")
            try:
                data = path.read_bytes()
                status = 200
            except OSError:
                data, status = b"not found", 404
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a) -> None:
            return

    class Server(ThreadingHTTPServer):
        # socketserver's default listen backlog is 5: 16 connections opened at once overflow
        # it and the kernel drops SYNs, which the client resends after 1 s. Real web servers
        # listen with 128 or more; so does this one, for both tools alike.
        request_queue_size = 128

    httpd = Server(("127.0.0.1", 0), H)
    httpd.daemon_threads = True
    port_q.put(httpd.server_address[1])
    httpd.serve_forever()


def write_pages(pages_dir: Path, pages: dict[str, bytes]) -> None:
    for path, data in pages.items():
        tmp = pages_dir / (path.strip("/").replace("/", "_") + ".html.tmp")
        tmp.write_bytes(data)
        tmp.replace(tmp.with_suffix(""))


# --- measuring -----------------------------------------------------------------------------


def run_measured(
    cmd: list[str], env: dict[str, str], cwd: str | None = None
) -> tuple[float, float, str, int]:
    """Run a command; return (wall s, peak RSS MB of its process tree, stdout, returncode)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            try:
                total = parent.memory_info().rss
                for child in parent.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss
                peak = max(peak, total)
            except psutil.Error:
                return
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    t.join()
    if proc.returncode not in (0, 3):
        print(f"  ! {cmd[0]} exited {proc.returncode}: {err[-800:]}", file=sys.stderr)
    return wall, peak / 1e6, out, proc.returncode


def policywatch_round(workdir: Path, base: str, n: int) -> tuple[float, float, int, dict]:
    env = dict(
        os.environ,
        POLICYWATCH_CONFIG=str(workdir / "pw.toml"),
        POLICYWATCH_DATABASE_URL=f"sqlite:///{workdir / 'pw.db'}",
    )
    wall, rss, out, _rc = run_measured([sys.executable, "-m", "monitor", "crawl", "--json"], env)
    counts: dict[str, int] = {}
    for line in out.splitlines():
        row = json.loads(line)
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    reported = counts.get("new", 0) + counts.get("changed", 0)
    return wall, rss, reported, counts


def write_policywatch_config(workdir: Path, base: str, n: int) -> None:
    lines = [
        'services = ["bench"]',
        "[crawl]",
        "download_delay = 0.0",
        "concurrent_requests = 16",
        "concurrent_per_domain = 16",
        "retry_times = 0",
        "autothrottle = false",
        "timeout = 600.0",
        "[[service]]",
        'slug = "bench"',
        'name = "Benchmark"',
    ]
    for i in range(n):
        lines += [
            "[[service.document]]",
            f'kind = "p{i}"',
            f'url = "{base}/p/{i}"',
            'select = ["main"]',
            "min_length = 1000",
        ]
    (workdir / "pw.toml").write_text("\n".join(lines) + "\n")


def write_urlwatch_config(workdir: Path, base: str, n: int) -> None:
    jobs = []
    for i in range(n):
        jobs.append(f"name: p{i}\nurl: {base}/p/{i}\nfilter:\n  - css: main\n  - html2text\n")
    (workdir / "urls.yaml").write_text("---\n".join(jobs))
    (workdir / "urlwatch.yaml").write_text(
        "display:\n  new: true\n  error: true\n  unchanged: false\n"
        "report:\n  text:\n    details: false\n    footer: false\n    line_length: 75\n"
        "  stdout:\n    enabled: true\n    color: false\n"
        "job_defaults:\n  all: {}\n"
    )
    (workdir / "hooks.py").write_text("")


def urlwatch_round(workdir: Path) -> tuple[float, float, int]:
    exe = shutil.which("urlwatch", path=os.path.dirname(sys.executable)) or shutil.which("urlwatch")
    if exe is None:
        raise FileNotFoundError("urlwatch not installed (pip install -e '.[dev]')")
    cmd = [
        exe,
        "--urls",
        str(workdir / "urls.yaml"),
        "--config",
        str(workdir / "urlwatch.yaml"),
        "--hooks",
        str(workdir / "hooks.py"),
        "--cache",
        str(workdir / "cache.db"),
    ]
    wall, rss, out, _rc = run_measured(cmd, dict(os.environ))
    reported = len(re.findall(r"^\d+\. (?:NEW|CHANGED): ", out, flags=re.M))
    return wall, rss, reported


# --- main ----------------------------------------------------------------------------------


def compile_package() -> None:
    """Byte-compile policywatch's own modules first, as a regular ``pip install`` does (and
    as it did for urlwatch). An editable install under PYTHONDONTWRITEBYTECODE=1 (set on the
    project's machines) would otherwise recompile every module in each of policywatch's
    processes on every run, which a deployed policywatch never does."""
    import compileall

    for package in ("monitor", "spiders"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("-n", type=int, default=1000, help="number of pages (default 1000)")
    ap.add_argument("--skip-urlwatch", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    compile_package()
    n = args.n
    rng = random.Random(args.seed)
    policies = load_policies(n)
    tmp = Path(tempfile.mkdtemp(prefix="pw-bench-"))
    pages_dir = tmp / "pages"
    pages_dir.mkdir()
    pw_dir, uw_dir = tmp / "pw", tmp / "uw"
    pw_dir.mkdir()
    uw_dir.mkdir()

    q: Queue = Queue()
    server = Process(target=serve, args=(str(pages_dir), q), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{q.get(timeout=10)}"
    write_policywatch_config(pw_dir, base, n)
    write_urlwatch_config(uw_dir, base, n)

    idx = list(range(n))
    rng.shuffle(idx)
    inserted = idx[: n // 10]
    deleted = idx[n // 10 : n // 10 + n // 20]
    edits: dict[int, str] = {}
    for j, i in enumerate(inserted):
        pool = AI_PARAGRAPHS if j % 2 == 0 else PLAIN_PARAGRAPHS
        edits[i] = "+" + pool[j % len(pool)]
    for i in deleted:
        edits[i] = "-"
    rounds = [("baseline", {}, n), ("noise", {}, 0), ("changed", edits, len(edits))]
    sizes = [len(p) for p in build_pages(policies[:50], 0, {}).values()]
    print(
        f"policywatch benchmark: N={n} pages, median page {sorted(sizes)[len(sizes) // 2] / 1000:.0f} KB, "
        f"{os.cpu_count()} CPUs, workdir {tmp}"
    )
    print(
        f"{'round':<9} {'tool':<12} {'wall s':>7} {'docs/s':>7} {'peak MB':>8} {'changes':>8} {'expected':>8} {'ratio':>6}"
    )
    results = []
    for r, (name, round_edits, expected) in enumerate(rounds):
        write_pages(pages_dir, build_pages(policies, r, round_edits))
        pw_wall, pw_rss, pw_changes, counts = policywatch_round(pw_dir, base, n)
        uw = None
        if not args.skip_urlwatch:
            uw = urlwatch_round(uw_dir)
        ratio = f"{pw_wall / uw[0]:.2f}" if uw else "-"
        print(
            f"{name:<9} {'policywatch':<12} {pw_wall:7.2f} {n / pw_wall:7.0f} {pw_rss:8.0f} "
            f"{pw_changes:8d} {expected:8d} {ratio:>6}"
        )
        if uw:
            print(
                f"{'':<9} {'urlwatch':<12} {uw[0]:7.2f} {n / uw[0]:7.0f} {uw[1]:8.0f} "
                f"{uw[2]:8d} {expected:8d}"
            )
        failed = counts.get("failed", 0)
        if failed:
            print(f"          ! policywatch: {failed} failed outcomes")
        results.append((name, pw_wall, pw_rss, pw_changes, expected, uw))
    server.terminate()
    shutil.rmtree(tmp, ignore_errors=True)
    ok = all(r[3] == r[4] for r in results)
    print("change counts exact" if ok else "CHANGE COUNTS WRONG")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
