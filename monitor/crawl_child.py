"""Starting, handing over and stopping the crawl child process (``python -m monitor.crawl``).

Kept apart from the runner, and free of SQLAlchemy, so that ``policywatch crawl`` can start
the child as its very first step: the child then spends its ~0.7 s of start-up (Python,
Scrapy, Twisted, the configuration) while this process imports the database layer, checks
the schema, takes the lock and creates the run. The child waits on stdin for the run id;
a parent that stops first closes stdin, and the child leaves without fetching anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import IO

from monitor.config import Settings


def child_command(settings: Settings, services: list[str]) -> list[str]:
    """The child reads its run id from stdin once the parent has created the run."""
    cmd = [sys.executable, "-m", "monitor.crawl", "--run-id", "-"]
    if settings.config_path:
        cmd += ["--config", settings.config_path]
    return cmd + services


@dataclass
class CrawlChild:
    """A crawl child started ahead of its run, with the file that collects its output."""

    proc: subprocess.Popen
    errlog: IO[bytes]
    services: tuple[str, ...]

    def hand_over(self, run_id: int) -> None:
        """Tell the waiting child which run it fetches for."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(f"{run_id}\n".encode())
            self.proc.stdin.close()
        except OSError:  # it died while starting: its exit code and output say why
            pass

    def output_tail(self, limit: int = 2000) -> str:
        self.errlog.seek(0)
        return self.errlog.read()[-limit:].decode("utf-8", "replace")

    def discard(self) -> None:
        """Stop a child that never got its run id (closing stdin ends it; stop if not)."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                stop(self.proc)
        self.errlog.close()


def start_child(settings: Settings, services: list[str]) -> CrawlChild:
    """Start the crawl child for ``services`` (slugs; all active ones when empty)."""
    env = dict(os.environ)
    env["POLICYWATCH_DATABASE_URL"] = settings.database_url
    errlog = tempfile.TemporaryFile()  # noqa: SIM115 - closed by CrawlChild.discard
    try:
        proc = subprocess.Popen(
            child_command(settings, services),
            stdin=subprocess.PIPE,
            stdout=errlog,
            stderr=errlog,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    except BaseException:
        errlog.close()
        raise
    return CrawlChild(proc, errlog, tuple(services))


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies, so a
    SIGKILLed parent never leaves an orphan crawl writing into the next run's time."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the lease still expires
        pass


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group, then SIGKILL if it does not go within 10 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
