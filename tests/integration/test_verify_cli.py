"""``medtrinity verify DIR``: re-checking written shards after their descriptions were edited."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medtrinity.config import parse_config
from medtrinity.demo import demo_config
from medtrinity.run_folder import RunFolder, read_parquet_folder
from medtrinity.runner import run_pipeline, run_status
from medtrinity.verify_run import verify_folder

from .helpers import phantom_source


def _medtrinity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medtrinity", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def phantom_run(tmp_path):
    out = tmp_path / "out"
    config = parse_config({"sources": [phantom_source()], "knowledge": {"kb": "builtin"}})
    summary = run_pipeline(config, out)
    assert summary.complete
    stats = json.loads((out / "stats.json").read_text())
    assert stats["qc"] == {"pass": 40, "flag": 0, "reject": 0, "issues": {}}
    text = stats["text"]
    assert text["descriptions"] == 40 and text["words_per_description"] > 50
    assert 0 < text["distinct_1"] < text["distinct_2"] < 1 and 0 <= text["repeated_sentence_share"] < 1
    return out


def _edit(out, change) -> str:
    """Apply ``change(text) -> text`` to the first row with a lesion, as a user editing the Parquet would."""
    part = sorted((out / "triplets").glob("part-*.parquet"))[0]
    table = pq.read_table(part)
    rows = table.to_pylist()
    row = next(row for row in rows if any(roi["kind"] == "lesion" for roi in row["rois"]))
    row["description_text"] = change(row["description_text"])
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), part)
    return row["id"]


def test_unedited_run_reverifies_unchanged_on_the_demo(tmp_path):
    out = tmp_path / "demo"
    run_pipeline(demo_config(out), out)
    report = verify_folder(out)
    assert report.rows == len(read_parquet_folder(out / "triplets"))
    assert report.statuses == {"pass": report.rows} and report.changed == 0 and report.files_rewritten == []
    assert RunFolder(out).check_manifest() == []


def test_edited_description_is_flagged_and_the_manifest_stays_true(phantom_run):
    out = phantom_run
    edited = _edit(out, lambda text: text.replace(" CT ", " MRI ").replace("hypodense", "hyperdense"))
    assert RunFolder(out).check_manifest()  # the edit broke the manifest

    refused = _medtrinity("verify", str(out))  # an edit nobody vouched for: reported, nothing rewritten
    part = sorted((out / "triplets").glob("part-*.parquet"))[0]
    assert refused.returncode == 1 and part.name in refused.stderr and "--accept-changes" in refused.stderr
    assert RunFolder(out).check_manifest()

    dry = _medtrinity("verify", str(out), "--dry-run", "--accept-changes")
    assert dry.returncode == 0, dry.stderr
    assert "1 rows would change; files rewritten: 0" in dry.stdout
    assert RunFolder(out).check_manifest()  # a dry run records nothing

    result = _medtrinity("verify", str(out), "--accept-changes")
    assert result.returncode == 0, result.stderr
    assert "rows verified (flag mode): pass 39, flag 1, reject 0" in result.stdout
    assert f"flag {edited}" in result.stdout and "modality_mismatch" in result.stdout
    assert "intensity_mismatch" in result.stdout
    row = next(r for r in read_parquet_folder(out / "triplets").to_pylist() if r["id"] == edited)
    assert row["qc_status"] == "flag"
    assert {issue["code"] for issue in row["qc_issues"]} == {"modality_mismatch", "intensity_mismatch"}
    assert RunFolder(out).check_manifest() == []
    stats = json.loads((out / "stats.json").read_text())
    assert stats["qc_verified"]["statuses"] == {"flag": 1, "pass": 39}

    strict = _medtrinity("verify", str(out), "--strict", "--on-contradiction", "reject")
    assert strict.returncode == 1 and "reject 1" in strict.stdout


def test_fixing_the_text_clears_the_flag(phantom_run):
    out = phantom_run
    edited = _edit(out, lambda text: text.replace(" CT ", " MRI "))
    verify_folder(out, accept_changes=True)
    _edit(out, lambda text: text.replace(" MRI ", " CT "))
    report = verify_folder(out, accept_changes=True)
    assert report.changed == 1 and report.statuses == {"pass": 40}
    row = next(r for r in read_parquet_folder(out / "triplets").to_pylist() if r["id"] == edited)
    assert row["qc_status"] == "pass" and row["qc_issues"] == []


def test_reject_mode_moves_the_row_to_rejects_as_a_run_does(phantom_run):
    out = phantom_run
    before = json.loads((out / "stats.json").read_text())
    edited = _edit(out, lambda text: text.replace(" CT ", " MRI "))
    report = verify_folder(out, "reject", accept_changes=True)  # the hand edit is vouched for
    assert report.statuses == {"pass": 39, "reject": 1} and report.moved_to_rejects == 1
    ids = read_parquet_folder(out / "triplets").column("id").to_pylist()
    assert edited not in ids and len(ids) == 39
    [moved_file] = sorted((out / "rejects").glob("verify-*.parquet"))
    [moved] = pq.read_table(moved_file).to_pylist()
    assert (moved["sample_id"], moved["stage"], moved["code"]) == (edited, "verify", "modality_mismatch")
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["triplets"], stats["rejects"]) == (39, before["rejects"] + 1)
    assert stats["reject_reasons"].get("modality_mismatch") == 1
    assert stats["stages"]["verify"]["rejected"] == 1 and stats["qc"]["reject"] == 1
    assert stats["qc_verified"]["moved_to_rejects"] == 1
    assert RunFolder(out).check_manifest() == []
    assert run_status(out)["triplets"] == 39

    again = verify_folder(out, "reject")  # nothing left to move: nothing is rewritten or duplicated
    assert again.moved_to_rejects == 0 and again.files_rewritten == []
    assert len(pq.read_table(moved_file)) == 1

    config = parse_config({"sources": [phantom_source()], "knowledge": {"kb": "builtin"}})
    resumed = run_pipeline(config, out)  # every shard done: the run recounts from markers and journals
    assert resumed.shards_run == 0 and resumed.triplets == 39
    assert RunFolder(out).check_manifest() == []


def test_verify_needs_a_run_folder(tmp_path):
    result = _medtrinity("verify", str(tmp_path))
    assert result.returncode == 2 and "holds no triplets" in result.stderr
