"""Clause segmentation: sentences, list items with lead-ins, table cells, headings."""

from __future__ import annotations

from pathlib import Path

from monitor.segment import clean_inline, comparable, segment, split_sentences

EXTRACTOR_TEXT = """\
# Privacy Policy

Effective [September 18, 2024](https://example.com/updates).

## How We Use Your Data

We use data to provide our Services, e.g. to show you content. We may also use it to improve
them, i.e. to fix bugs. Example Inc. is based in the U.S. and it follows U.S. law.

We use the following information to train our AI models:

- your public posts and comments
- information from your profile
  - your headline
  - your photo
1. A numbered item. It has two sentences.

| Purpose | Data we use |
| --- | --- |
| To train our AI models | Posts<br>Messages you send |
"""


def test_headings_paths_and_kinds() -> None:
    clauses = segment(EXTRACTOR_TEXT)
    assert clauses[0].text == "Privacy Policy" and clauses[0].kind == "heading"
    assert clauses[0].heading_path == ()
    effective = clauses[1]
    assert effective.text == "Effective September 18, 2024."  # link reduced to its text
    assert effective.heading_path == ("Privacy Policy",)
    heading = next(c for c in clauses if c.text == "How We Use Your Data")
    assert heading.kind == "heading" and heading.heading_path == ("Privacy Policy",)
    assert [c.index for c in clauses] == list(range(len(clauses)))


def test_abbreviations_do_not_split_sentences() -> None:
    texts = [c.text for c in segment(EXTRACTOR_TEXT) if c.kind == "sentence"]
    assert "We use data to provide our Services, e.g. to show you content." in texts
    assert "We may also use it to improve them, i.e. to fix bugs." in texts
    assert "Example Inc. is based in the U.S. and it follows U.S. law." in texts


def test_list_items_carry_the_lead_in_and_parent_items() -> None:
    clauses = segment(EXTRACTOR_TEXT)
    lead = "We use the following information to train our AI models:"
    posts = next(c for c in clauses if c.text == "your public posts and comments")
    assert posts.kind == "list-item"
    assert posts.heading_path == ("Privacy Policy", "How We Use Your Data", lead)
    photo = next(c for c in clauses if c.text == "your photo")
    assert photo.heading_path[-2:] == (lead, "information from your profile")
    numbered = [c.text for c in clauses if c.text.startswith(("A numbered", "It has"))]
    assert numbered == ["A numbered item.", "It has two sentences."]


def test_table_cells_are_split_and_keep_the_row_label() -> None:
    clauses = segment(EXTRACTOR_TEXT)
    cells = [c for c in clauses if c.kind == "table-row"]
    texts = [c.text for c in cells]
    assert texts == [
        "Purpose",
        "Data we use",
        "To train our AI models",
        "Posts",
        "Messages you send",
    ]
    messages = cells[-1]
    assert messages.heading_path[-2:] == ("To train our AI models", "Data we use")


def test_ota_markdown_setext_headings_escapes_and_nesting() -> None:
    text = (
        "Privacy Policy\n==============\n\n"
        "2. 1\\. Data We Collect\n    -------------------\n    \n"
        "    ### 1.1 Data You Provide\n    \n"
        "    We collect **your** data \\(see _below_\\).\n"
    )
    clauses = segment(text)
    assert [c.text for c in clauses] == [
        "Privacy Policy",
        "1. Data We Collect",
        "1.1 Data You Provide",
        "We collect your data (see below).",
    ]
    assert clauses[-1].heading_path == (
        "Privacy Policy",
        "1. Data We Collect",
        "1.1 Data You Provide",
    )


def test_clean_inline_and_split_sentences() -> None:
    assert clean_inline("See [our **policy**](https://x.y/a_(b)) and ![](i.png) <br> here") == (
        "See our policy and here"
    )
    assert split_sentences("Hello there. J. Smith said hi! Is it? Yes.") == [
        "Hello there.",
        "J. Smith said hi!",
        "Is it?",
        "Yes.",
    ]


def test_comparable_ignores_links_case_punctuation_apostrophes_and_dates() -> None:
    a = comparable("To help train Google’s AI models, effective 1 July 2023.")
    b = comparable("to help train [Google's](https://x) AI models - effective September 4, 2023")
    assert a == b
    assert comparable("train AI models") != comparable("train language models")


def test_real_linkedin_policy_has_the_ai_clause_under_its_heading(corpus_dir: Path) -> None:
    path = corpus_dir / "versions/LinkedIn/Privacy-Policy/2024-09-19T06-10-13Z.md"
    clauses = segment(path.read_text(encoding="utf-8"))
    clause = next(
        c for c in clauses if "develop and train artificial intelligence (AI) models" in c.text
    )
    assert clause.text.startswith("We may use your personal data to improve, develop, and provide")
    assert clause.text.endswith("more relevant and useful to you and others.")
    assert "](" not in clause.text
    assert any("How We Use Your Data" in h for h in clause.heading_path)
    # every clause is clean text
    assert all("](http" not in c.text and "\n" not in c.text for c in clauses)
