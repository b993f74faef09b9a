"""Leakage audit: VQA-RAD test images planted into a run (resized, re-encoded, mirrored and cropped) are
found; distinct images of the same kind (VQA-RAD training-only images, NIH chest X-rays, a fundus photo)
are not."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import pytest

from medtrinity.config import parse_config
from medtrinity.evaluation.leakage import audit_run
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def planted(tmp_path_factory, shared_data):
    vqa_rad = shared_data / "vqa_rad"
    test_images = sorted({r["image_name"] for r in json.loads((vqa_rad / "testset.json").read_text())})
    train_only = sorted({r["image_name"] for r in json.loads((vqa_rad / "trainset.json").read_text())}
                        - set(test_images))
    root = tmp_path_factory.mktemp("leak")
    folder = root / "images" / "distinct"  # ImageFolder: the class folder becomes the row's image label
    folder.mkdir(parents=True)
    for stem in ("resized", "reencoded", "mirrored"):
        (root / "images" / stem).mkdir()
    resized, reencoded, mirrored = test_images[5], test_images[60], test_images[120]
    grey = {name: cv2.imread(str(vqa_rad / "images" / name), cv2.IMREAD_GRAYSCALE)
            for name in (resized, reencoded, mirrored)}
    cv2.imwrite(str(root / "images" / "resized" / "image.png"), cv2.resize(grey[resized], None, fx=0.6, fy=0.6,
                                                          interpolation=cv2.INTER_AREA))
    cv2.imwrite(str(root / "images" / "reencoded" / "image.jpg"), grey[reencoded], [cv2.IMWRITE_JPEG_QUALITY, 70])
    height, width = grey[mirrored].shape
    crop = grey[mirrored][int(0.04 * height):height - int(0.04 * height), int(0.04 * width):width - int(0.04 * width)]
    cv2.imwrite(str(root / "images" / "mirrored" / "image.png"), crop[:, ::-1])
    leaked = {"resized": resized, "reencoded": reencoded, "mirrored": mirrored}
    for name in train_only[:6]:
        shutil.copyfile(vqa_rad / "images" / name, folder / f"d_distinct_{name}")
    for path in sorted((shared_data / "nih_cxr14").glob("*.png")):
        shutil.copyfile(path, folder / f"e_distinct_{path.name}")
    shutil.copyfile(shared_data / "fundus" / "retina.jpg", folder / "f_distinct_retina.jpg")
    source = {"name": "planted", "reader": "image_folder", "path": str(root / "images"), "modality": "xray",
              "files_per_shard": 4}
    out = root / "run"
    assert run_pipeline(parse_config({"sources": [source], "knowledge": {"kb": "none"}}), out).complete
    ids = {row["id"]: row["image_labels"][0]
           for row in read_parquet_folder(out / "triplets").select(["id", "image_labels"]).to_pylist()}
    return out, vqa_rad, leaked, ids


def test_planted_images_are_found_and_distinct_ones_are_not(planted):
    out, vqa_rad, leaked, ids = planted
    assert len(ids) == 3 + 6 + 2 + 1
    report = audit_run(out, [str(vqa_rad / "testset.json")])
    assert json.loads((out / "leakage.json").read_text()) == report
    (entry,) = report["sets"]
    assert entry["images"] == 203 and report["rows"] == len(ids)
    found = {m["row_id"]: m for m in entry["matches"]}
    assert len(found) == 3, entry["matches"]
    by_case = {ids[row_id]: match for row_id, match in found.items()}
    assert set(by_case) == set(leaked)  # the three planted rows, none of the distinct ones
    for stem, original in leaked.items():
        assert by_case[stem]["evaluation_image"] == original
    assert "phash" in by_case["resized"]["methods"] and "phash" in by_case["reencoded"]["methods"]
    assert by_case["mirrored"]["methods"] == ["embedding"]  # the hash cannot see a mirror image
    assert entry["rows_matched"] == {"exact": 0, "phash": 2, "embedding": 3, "any": 3}
    assert entry["evaluation_images_found"] == 3
    from medtrinity.export.card import audit_lines  # the dataset card's leakage table reads the report

    assert "| vqa_rad (testset.json) | 203 | 0 | 2 | 3 | 3 | 3 |" in audit_lines(out / "leakage.json")
    assert "not run" in audit_lines(out / "absent.json")[0]


def test_exact_copies_and_the_command(planted, tmp_path):
    out, vqa_rad, _leaked, ids = planted
    rows = read_parquet_folder(out / "triplets").select(["id", "image_png"]).to_pylist()
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "row0.png").write_bytes(rows[0]["image_png"])   # a training image exported as is
    result = subprocess.run([sys.executable, "-m", "medtrinity", "leakage", str(out), "--against",
                             str(vqa_rad / "testset.json"), str(exported), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    folder = next(entry for entry in report["sets"] if entry["path"] == str(exported))
    assert folder["rows_matched"]["exact"] == 1 and folder["matches"][0]["row_id"] == rows[0]["id"]
    strict = subprocess.run([sys.executable, "-m", "medtrinity", "leakage", str(out), "--against", str(exported),
                             "--no-embedding", "--strict"], capture_output=True, text=True, timeout=300)
    assert strict.returncode == 1 and "exported" in strict.stdout
    missing = subprocess.run([sys.executable, "-m", "medtrinity", "leakage", str(out), "--against",
                              str(tmp_path / "absent")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "absent" in missing.stderr
