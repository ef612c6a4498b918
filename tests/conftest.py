"""Shared fixtures: where the read-only test corpus lives, and skipping when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("POLICYWATCH_SHARED", REPO_ROOT.parent / "shared"))
CORPUS_DIR = SHARED_DIR / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The ../shared/corpus folder; tests that need it skip with a reason when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"test corpus not found at {CORPUS_DIR} (set POLICYWATCH_SHARED)")
    return CORPUS_DIR
