"""Hypothesis fuzzing and the hostile corpus, each run in a child process with a capped address space.

A memory bomb that slipped past the header checks would fail the child (MemoryError) instead of
taking the machine; a hang fails on the timeout.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

ADDRESS_SPACE_BYTES = 3 * 1024**3
HERE = Path(__file__).parent


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def _child(args: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(HERE.parents[1] / "src"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout_s,
                          preexec_fn=_limit, env=env)


@pytest.mark.slow
def test_mutated_real_files_are_rejects_or_samples(tmp_path):
    result = _child([str(HERE / "fuzz_readers.py"), str(tmp_path), "20"], timeout_s=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("reject or success") >= 6  # every reader family ran its examples


@pytest.mark.slow
def test_every_hostile_input_is_a_clean_reject_and_good_files_survive(tmp_path):
    result = _child(["-m", "medtrinity.hostile.check", str(tmp_path / "corpus")], timeout_s=300)
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(outcomes) >= 65
    bad = [o for o in outcomes if o["outcome"] not in ("clean_reject", "ok")]
    assert not bad, bad
    codes = {o["case"]: o["detail"].split(":", 1)[0] for o in outcomes}
    assert codes["png_32000x32000_zero_rows"] == "too_large"
    assert codes["nifti_huge_header_dims"] == "too_large"
    assert codes["coco_path_escape_dotdot"] == "path_escape"
    assert codes["npz_negative_class"] == "bad_label"
    assert codes["jpeg_half_truncated"] in ("truncated_image", "corrupt_image_data")
    assert codes["dicom_burned_in_annotation"] == "burned_in_annotation"
    # the readers added late: DICOM series, npy, per-class masks, BIDS, box tables
    assert codes["dicom_series_slice_declared_huge"] == codes["dicom_multiframe_declared_frames"] == "too_large"
    assert codes["dicom_series_sum_over_volume_cap"] == "too_large"
    assert codes["npy_truncated"] == "truncated_data" and codes["npy_entry_declared_huge"] == "too_large"
    assert codes["npy_unknown_mask_value"] == codes["class_mask_unknown_class"] == "unknown_label"
    assert codes["class_mask_several_values"] == codes["bids_dseg_unknown_value"] == "unknown_label"
    assert codes["bids_derivative_link_escape"] == "path_escape"
    assert codes["bids_header_declared_huge"] == "too_large" and codes["box_table_bad_row"] == "bad_box"
