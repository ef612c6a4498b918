"""policywatch: watch platforms' legal texts and report AI-training clause changes.

The package is split the way DESIGN.md §4 describes: a pure core (extract, normalise,
segment, diff, detect, compose) with no I/O, and edges (store, notify, crawl, scheduler,
CLI) that do the I/O. Heavy libraries are imported lazily so the CLI starts fast.
"""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/policywatch/policywatch"
