"""A whole run: the output folder, rejects, stats, manifest, determinism and resumption."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pyarrow.compute as pc
import pytest

from medtrinity.config import load_config
from medtrinity.phantom import make_ct_phantom
from medtrinity.preprocess.windowing import apply_window
from medtrinity.run_folder import RunFolder, read_parquet_folder
from medtrinity.runner import OutputFolderError, run_pipeline, run_status

from .helpers import image_mask_source, phantom_source, write_config, write_image_mask_folder

REQUIRED_COLUMNS = {
    "id", "source", "case_id", "modality", "body_part", "image_png", "width", "height", "spacing_mm", "plane",
    "slice_index", "rois", "coarse_caption", "passages", "description_text", "description_sections", "qc_status",
    "qc_issues", "pipeline_version", "config_hash",
}
ROI_FIELDS = {"label", "kind", "bbox_xyxy", "mask_rle", "area_px", "area_mm2", "centroid_xy"}


@pytest.fixture
def mixed_config(tmp_path):
    folder = write_image_mask_folder(tmp_path / "xray", 10)
    return load_config(write_config(tmp_path / "run.yaml", [phantom_source(), image_mask_source(folder)]))


def test_run_writes_every_output_and_rejects_bad_inputs(tmp_path, mixed_config):
    out = tmp_path / "out"
    summary = run_pipeline(mixed_config, out, workers=1)
    assert summary.complete and summary.shards_total == 1 + 4
    table = read_parquet_folder(out / "triplets")
    assert REQUIRED_COLUMNS <= set(table.column_names)
    rows = table.to_pylist()
    assert len(rows) == 40 + 10 == summary.triplets
    assert ROI_FIELDS <= set(rows[0]["rois"][0])
    assert len({row["id"] for row in rows}) == len(rows)

    rejects = read_parquet_folder(out / "rejects").to_pylist()
    reasons = {row["source_file"].rsplit("/", 1)[1]: (row["stage"], row["code"]) for row in rejects}
    assert reasons == {
        "zz_corrupt.png": ("read", "unreadable_file"),
        "zz_mismatch.png": ("read", "mask_shape_mismatch"),
        "zz_blank.png": ("preprocess", "constant_image"),
    }
    stats = json.loads((out / "stats.json").read_text())
    assert stats["triplets"] == 50 and stats["rejects"] == 3
    assert stats["stages"]["read"]["reasons"] == {"mask_shape_mismatch": 1, "unreadable_file": 1}
    assert stats["stages"]["preprocess"]["reasons"] == {"constant_image": 1}
    assert stats["stages"]["write"]["out"] == 50
    assert stats["stage_order"] == ["read", "dedup", "preprocess", "ground", "caption", "retrieve", "generate",
                                    "verify", "write"]
    assert all(values["seconds"] >= 0 for values in stats["stages"].values())
    assert RunFolder(out).check_manifest() == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"stats.json", "config.resolved.yaml"} <= {entry["path"] for entry in manifest["files"]}
    assert (out / "config.resolved.yaml").exists()


def test_stored_images_are_clean(tmp_path, mixed_config):
    out = tmp_path / "out"
    run_pipeline(mixed_config, out)
    hu, _labels, _spacing, _truth = make_ct_phantom(0)
    table = read_parquet_folder(out / "triplets")
    rows = table.filter(pc.equal(table["source"], "phantom_ct")).to_pylist()
    for row in rows[:5] + rows[-5:]:
        decoded = cv2.imdecode(np.frombuffer(row["image_png"], np.uint8), cv2.IMREAD_UNCHANGED)
        expected = apply_window(hu[row["slice_index"]], 40.0, 400.0)
        assert np.array_equal(decoded, expected)  # nothing drawn on the image


def test_manifest_catches_a_changed_file(tmp_path, mixed_config):
    out = tmp_path / "out"
    run_pipeline(mixed_config, out)
    part = sorted((out / "triplets").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:-10])
    problems = RunFolder(out).check_manifest()
    assert len(problems) == 1 and part.name in problems[0]


def test_same_input_and_config_give_byte_identical_parquet(tmp_path, mixed_config):
    first, second = tmp_path / "a", tmp_path / "b"
    run_pipeline(mixed_config, first, workers=1)
    run_pipeline(mixed_config, second, workers=2)
    for folder in ("triplets", "rejects"):
        names = sorted(p.name for p in (first / folder).glob("*.parquet"))
        assert names == sorted(p.name for p in (second / folder).glob("*.parquet"))
        for name in names:
            assert (first / folder / name).read_bytes() == (second / folder / name).read_bytes()


def test_rerun_skips_completed_shards_and_redoes_the_rest(tmp_path, mixed_config):
    out = tmp_path / "out"
    run_pipeline(mixed_config, out)
    reference = read_parquet_folder(out / "triplets")
    (out / "_shards" / "part-00002.done.json").unlink()
    (out / "triplets" / "part-00002.parquet").unlink()
    summary = run_pipeline(mixed_config, out)
    assert (summary.shards_run, summary.shards_skipped) == (1, 4)
    assert read_parquet_folder(out / "triplets").equals(reference)
    assert RunFolder(out).check_manifest() == []


def test_status_reports_done_left_and_reasons(tmp_path, mixed_config):
    out = tmp_path / "out"
    run_pipeline(mixed_config, out)
    (out / "_shards" / "part-00001.done.json").unlink()
    info = run_status(out)
    assert (info["shards_total"], info["shards_done"], info["shards_left"]) == (5, 4, 1)
    assert info["left"][0]["index"] == 1
    assert info["reject_reasons"]["constant_image"] + info["reject_reasons"].get("unreadable_file", 0) >= 1
    with pytest.raises(FileNotFoundError, match="no medtrinity run"):
        run_status(tmp_path)


def test_a_different_config_is_refused_unless_overwrite(tmp_path, mixed_config):
    out = tmp_path / "out"
    run_pipeline(mixed_config, out)
    changed = mixed_config.model_copy(update={"seed": 5})
    with pytest.raises(OutputFolderError, match="--overwrite"):
        run_pipeline(changed, out)
    summary = run_pipeline(changed, out, overwrite=True)
    assert summary.shards_skipped == 0 and summary.complete


def test_plan_and_markers_hold_no_file_names(tmp_path, mixed_config):
    out = tmp_path / "out"
    run_pipeline(mixed_config, out)
    bookkeeping = (out / "_plan.json").read_text() + "".join(p.read_text() for p in (out / "_shards").iterdir())
    assert "img_00" not in bookkeeping and "zz_" not in bookkeeping
