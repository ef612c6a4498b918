"""``policywatch classify``: JSON Lines in, one verdict per line out, line-numbered errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli.classify_cmd import classify

FIELDS = ["text", "ai_training", "score", "category", "signals"]


def test_reads_stdin_and_writes_one_line_per_input() -> None:
    lines = [
        {"text": "We may use your posts to train our AI models."},
        {"text": "We use cookies."},
        {
            "text": "You can opt out at any time.",
            "context": ["We use your posts to train our AI models."],
        },
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n\n"  # a trailing blank line is skipped
    result = CliRunner().invoke(classify, [], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.output.splitlines()]
    assert len(out) == 3
    assert all(list(o) == FIELDS for o in out)
    assert out[0]["ai_training"] is True and out[0]["category"] == "training-permission"
    assert "verb.train" in out[0]["signals"]
    assert out[1] == {
        "text": "We use cookies.",
        "ai_training": False,
        "score": 0.0,
        "category": "not-ai",
        "signals": [],
    }
    assert out[2]["ai_training"] is True and out[2]["category"] == "opt-out"


def test_reads_a_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"text": "Nous utilisons des cookies. ✓"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(classify, [str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["text"] == "Nous utilisons des cookies. ✓"


def test_bad_lines_name_the_line_and_exit_1() -> None:
    runner = CliRunner()
    good = json.dumps({"text": "ok"})
    cases = {
        f"{good}\nnot json\n": "line 2: not valid JSON",
        f"{good}\n{good}\n[1, 2]\n": 'line 3: expected a JSON object with a string field "text"',
        '{"txt": "x"}\n': 'line 1: expected a JSON object with a string field "text"',
        '{"text": "x", "context": "heading"}\n': 'line 1: "context" must be a list of strings',
    }
    for stdin, message in cases.items():
        result = runner.invoke(classify, [], input=stdin)
        assert result.exit_code == 1, stdin
        assert message in result.output
        assert '"ai_training"' not in result.output  # nothing written before the error


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(classify, [str(tmp_path / "absent.jsonl")])
    assert result.exit_code == 2
