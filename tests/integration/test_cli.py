"""The command line as a user runs it: run, status, readers and the demo."""

from __future__ import annotations

import subprocess
import sys

from medtrinity.run_folder import read_parquet_folder

from .helpers import image_mask_source, phantom_source, write_config, write_image_mask_folder


def _medtrinity(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medtrinity", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_run_then_status(tmp_path):
    folder = write_image_mask_folder(tmp_path / "xray", 5)
    config = write_config(tmp_path / "run.yaml", [phantom_source(), image_mask_source(folder, 2)])
    result = _medtrinity("run", str(config), "--out", str(tmp_path / "out"), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "45 triplets and 3 rejects" in result.stdout
    assert "verify" in result.stdout  # the per-stage summary table
    status = _medtrinity("status", str(tmp_path / "out"))
    assert "complete, 5/5 shards done, 0 left, 0 failed" in status.stdout
    assert "reject reason constant_image: 1" in status.stdout
    again = _medtrinity("run", str(config), "--out", str(tmp_path / "out"), "--quiet")
    assert "0 shards run, 5 already done" in again.stdout


def test_bad_config_gives_a_clear_error(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("sources:\n  - name: x\n    reader: nifti\n    path: /nowhere\n    modality: cat-scan\n")
    result = _medtrinity("run", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "modality 'cat-scan' is not one of" in result.stderr
    missing = write_config(tmp_path / "missing.yaml", [{"name": "x", "reader": "nifti", "path": "/no/such/dir",
                                                        "modality": "ct"}])
    result = _medtrinity("run", str(missing), "--out", str(tmp_path / "out2"))
    assert result.returncode == 2 and "path: /no/such/dir does not exist" in result.stderr


def _config_error_lines(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr.replace("error:", "")
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_misspelt_option_is_one_line_exit_2_and_nothing_written(tmp_path):
    folder = write_image_mask_folder(tmp_path / "xray", 2)
    source = {**image_mask_source(folder, 2), "options": {"imgae_column": "Image Index"}}
    config = write_config(tmp_path / "run.yaml", [source])
    result = _medtrinity("run", str(config), "--out", str(tmp_path / "out"))
    [line] = _config_error_lines(result)
    assert line == f"error: {config}: sources[0].options.imgae_column: extra inputs are not permitted"
    assert not (tmp_path / "out").exists()


def test_a_missing_field_names_the_field_without_a_traceback(tmp_path):
    folder = write_image_mask_folder(tmp_path / "xray", 2)
    config = write_config(tmp_path / "run.yaml", [{"name": "cxr", "reader": "csv_labels", "path": str(folder)}])
    result = _medtrinity("run", str(config), "--out", str(tmp_path / "out"))
    [line] = _config_error_lines(result)
    assert line.startswith(f"error: {config}: sources[0].labels: the csv_labels reader needs `labels:`")
    assert not (tmp_path / "out").exists()
    typo = write_config(tmp_path / "typo.yaml", [phantom_source()], generation={"backend": "composr"})
    [line] = _config_error_lines(_medtrinity("run", str(typo), "--out", str(tmp_path / "out")))
    assert "generation.backend: unknown backend 'composr'; known: composer, openai, transformers, vllm" in line


def test_plugins_lists_every_kind_with_options_and_install_state():
    result = _medtrinity("plugins")
    assert result.returncode == 0, result.stderr
    for heading in ("readers", "experts", "backends", "executors"):
        assert heading in result.stdout
    assert "image_column: str | None (default None)" in result.stdout  # csv_labels
    assert "model_path: str (required)" in result.stdout  # the onnx expert
    assert "base_url: str (required)" in result.stdout  # the openai backend
    assert "address: str | None (default None)" in result.stdout  # the ray executor
    assert "not installed: totalsegmentator (`pip install TotalSegmentator`)" in result.stdout
    assert "phantom: synthetic abdominal CT phantom" in result.stdout


def test_readers_lists_formats():
    result = _medtrinity("readers")
    for name in ("nifti", "sitk", "image_masks", "dicom_files", "phantom"):
        assert name in result.stdout


def test_demo_runs_end_to_end_and_prints_a_description(tmp_path, shared_data):
    out = tmp_path / "demo-out"
    result = _medtrinity("demo", "--out", str(out), "--quiet", "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "description:" in result.stdout and "triplets and" in result.stdout
    sources = set(read_parquet_folder(out / "triplets").column("source").to_pylist())
    assert sources == {"phantom_ct", "pydicom_examples", "totalsegmentator_ct", "pyradiomics_brain_mri"}
    overlay = [row for row in read_parquet_folder(out / "triplets").to_pylist()
               if row["source"] == "pydicom_examples" and row["rois"]]
    assert len(overlay) == 1 and overlay[0]["rois"][0]["label"] == "liver lesion"
    assert overlay[0]["rois"][0]["patient_side"] == "right"
