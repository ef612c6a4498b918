"""Child entry point: ``python -m monitor.crawl --run-id N [SERVICE ...]``.

Exit codes: 0 every document fetched, 3 some failed, 1 the crawl could not start. The code
comes from what the sink recorded, not from Scrapy (which exits 0 even when all failed).
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.crawl")
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--config", default=None)
    parser.add_argument("services", nargs="*")
    args = parser.parse_args(argv)

    from monitor.config import ConfigError, load_settings
    from monitor.db import DatabaseError, make_engine
    from monitor.secrets import redact

    try:
        settings = load_settings(args.config)
        engine = make_engine(settings.database_url)
        from monitor.crawl.run import crawl

        fetched, failed = crawl(settings, engine, args.run_id, args.services)
    except (ConfigError, DatabaseError) as exc:
        print(f"policywatch crawl child: {redact(str(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence, message masked
        logging.getLogger("policywatch.crawl").exception("crawl child failed")
        print(f"policywatch crawl child: {type(exc).__name__}: {redact(str(exc))}", file=sys.stderr)
        return 1
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
