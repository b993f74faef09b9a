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


def test_one_off_query_defaults_to_bm25_and_loads_no_model(tmp_path: Path):
    """A plain `kb query` answers with BM25 scores and never imports torch or sentence-transformers."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from medtrinity.cli import main\n"
        "sys.argv = ['medtrinity', 'kb', 'query', 'builtin', 'CT liver hypodense lesion', '-k', '3', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "LOADED False False"
    rows = [json.loads(line) for line in lines[:-1]]
    assert len(rows) == 3 and rows[0]["score"] > 1.0  # BM25 scores, not reciprocal-rank fusion (< 0.05)
    assert "liver" in (rows[0]["title"] + rows[0]["text"]).lower()


def test_batch_queries_from_a_file(tmp_path: Path):
    queries = tmp_path / "queries.txt"
    queries.write_text("CT liver lesion\n\n  MRI brain glioma  \nchest x-ray cardiomegaly\n", encoding="utf-8")
    result = runner.invoke(kb_app, ["query", "builtin", "--file", str(queries), "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["query"] for row in rows] == ["CT liver lesion"] * 2 + ["MRI brain glioma"] * 2 + [
        "chest x-ray cardiomegaly"] * 2
    one = runner.invoke(kb_app, ["query", "builtin", "MRI brain glioma", "-k", "2", "--json"])
    assert [json.loads(line)["id"] for line in one.output.splitlines()] == [row["id"] for row in rows[2:4]]
    both = runner.invoke(kb_app, ["query", "builtin", "x", "--file", str(queries)])
    assert both.exit_code == 2 and "either a query text or --file" in both.output
    missing = runner.invoke(kb_app, ["query", "builtin", "--file", str(tmp_path / "none.txt")])
    assert missing.exit_code == 1 and "none.txt" in missing.output
