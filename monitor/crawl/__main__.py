"""Child entry point: ``python -m monitor.crawl --run-id N|- [SERVICE ...]``.

Exit codes: 0 every document fetched, 3 some failed, 1 the crawl could not start. The code
comes from what the sink recorded, not from Scrapy (which exits 0 even when all failed).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time

#: How often the child checks that the process that started it is still there.
PARENT_CHECK_SECONDS = 0.2


def exit_with_parent(interval: float = PARENT_CHECK_SECONDS) -> None:
    """Stop this child as soon as the process that started it is gone.

    Why: the runner starts the child in its own session (so a Ctrl-C reaches only the
    parent, which stops the child cleanly), which also means a SIGKILLed parent leaves the child
    running. An orphan that keeps fetching stores its pages *after* the next crawls have
    recorded newer ones; processed later, an old page reads as the policy reverting (a false
    "clause removed" alert, then "added" again). Whatever the child committed before its parent
    died is still processed by the next run, before that run fetches anything.

    Linux: ``PR_SET_PDEATHSIG`` kills the child at once; everywhere: a thread notices the
    re-parenting within ``interval`` seconds and ends the process without cleanup (every
    database write is its own transaction, so there is nothing to clean up).
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - the thread below still works
            pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                print(
                    f"policywatch crawl child: parent process {parent} is gone; stopping",
                    file=sys.stderr,
                    flush=True,
                )
                os._exit(1)
            time.sleep(interval)

    threading.Thread(target=watch, name="policywatch-parent-watch", daemon=True).start()


def _run_id(arg: str) -> int | None:
    """``--run-id N``, or ``-``: wait for the parent to write N (None when it never does)."""
    text = sys.stdin.readline().strip() if arg == "-" else arg
    try:
        return int(text)
    except ValueError:
        if arg != "-":
            raise SystemExit(
                f"python -m monitor.crawl: --run-id must be a number or '-', not {arg!r}"
            ) from None
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.crawl")
    parser.add_argument(
        "--run-id",
        required=True,
        help="the crawl run to record into, or '-' to read it from stdin once the parent "
        "has created the run (the child imports Scrapy meanwhile)",
    )
    parser.add_argument("--config", default=None)
    parser.add_argument("services", nargs="*")
    args = parser.parse_args(argv)
    exit_with_parent()

    from monitor.config import ConfigError, load_settings
    from monitor.db import DatabaseError, make_engine
    from monitor.heap import settle_after_start_up
    from monitor.secrets import redact

    try:
        settings = load_settings(args.config)
        engine = make_engine(settings.database_url)
        from monitor.crawl.run import crawl, preload

        preload()
        settle_after_start_up()
        run_id = _run_id(args.run_id)
        if run_id is None:
            print(
                "policywatch crawl child: no run id on stdin (the parent stopped before the "
                "crawl began); nothing fetched",
                file=sys.stderr,
            )
            return 1
        fetched, failed = crawl(settings, engine, run_id, args.services)
    except (ConfigError, DatabaseError) as exc:
        print(f"policywatch crawl child: {redact(str(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence, message masked
        logging.getLogger("policywatch.crawl").exception("crawl child failed")
        print(f"policywatch crawl child: {type(exc).__name__}: {redact(str(exc))}", file=sys.stderr)
        return 1
    return 3 if failed else 0


def _exit_now(code: int) -> None:
    """Leave without the interpreter's teardown (~0.3-0.4 s of collecting Scrapy's and
    Twisted's objects, measured): every batch is committed by then, and the parent is
    waiting for this exit to process the last fetches."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
