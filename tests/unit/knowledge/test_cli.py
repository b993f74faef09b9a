"""The ``kb`` commands through typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medtrinity.knowledge.cli import kb_app

runner = CliRunner()


def test_build_query_stats_round_trip(tmp_path: Path, jsonl_corpus: Path):
    corpus = jsonl_corpus
    (tmp_path / "corpus" / "broken.xml").write_text("<oops", encoding="utf-8")
    kb = tmp_path / "kb"
    built = runner.invoke(kb_app, ["build", str(tmp_path / "corpus"), "--out", str(kb), "--no-dense"])
    assert built.exit_code == 0, built.output
    assert "added 4 documents" in built.output and "malformed_xml" in built.output
    assert corpus.is_file()

    queried = runner.invoke(
        kb_app, ["query", str(kb), "glaucoma optic cup or melanoma", "-k", "2", "--json", "--method", "bm25"]
    )
    assert queried.exit_code == 0, queried.output
    rows = [json.loads(line) for line in queried.output.splitlines()]
    assert rows[0]["id"] == "t:eye" and rows[0]["license"] == "CC0" and rows[0]["score"] > 0
    assert len(rows) == 2

    table = runner.invoke(kb_app, ["query", str(kb), "optic cup glaucoma", "--method", "bm25"])
    assert table.exit_code == 0 and "t:eye" in table.output

    stats = runner.invoke(kb_app, ["stats", str(kb)])
    assert stats.exit_code == 0 and "passages: 4" in stats.output and "malformed_xml" in stats.output


def test_builtin_name_and_errors():
    stats = runner.invoke(kb_app, ["stats", "builtin"])
    assert stats.exit_code == 0 and "medtrinity-builtin" in stats.output
    missing = runner.invoke(kb_app, ["query", "/nonexistent/kb", "x", "--method", "bm25"])
    assert missing.exit_code == 1
    bad_method = runner.invoke(kb_app, ["query", "builtin", "x", "--method", "magic"])
    assert bad_method.exit_code == 2


def test_eval_bm25_reports_recall(tmp_path: Path):
    result = runner.invoke(kb_app, ["eval", "builtin", "--methods", "bm25", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["queries"] >= 100
    assert figures["results"]["bm25"]["recall@10"] >= figures["results"]["bm25"]["recall@1"] > 0.5
