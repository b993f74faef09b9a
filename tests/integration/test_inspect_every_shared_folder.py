"""The issue-11 check: every folder of the shared data, straight from `inspect` into `run`.

No source whose facts `inspect` read or guessed may give a row with a missing modality, a placeholder label
or text about "a medical image". What `inspect` cannot know it must flag (`!! UNKNOWN`) at the top of the
config; those sources are listed here, and `run` refusing their placeholders is issue 9's part.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from medtrinity.run_folder import read_parquet_folder
from medtrinity.sources.label_names import is_placeholder_name

from .test_inspect import _medtrinity

# what the shared files do not say, flagged by inspect: pyradiomics' NRRD pair names neither its modality
# (brain and breast MRI, not in any header) nor its mask value (a lesion)
EXPECTED_UNKNOWN = {("pyradiomics", "modality"), ("pyradiomics", "labels")}


@pytest.mark.slow
def test_every_shared_folder_straight_from_inspect(tmp_path, shared_data):
    folders = sorted(p for p in shared_data.iterdir() if p.is_dir())
    config_path = tmp_path / "inspected.yaml"
    inspected = _medtrinity("inspect", *map(str, folders), "--out", str(config_path), timeout=600)
    assert inspected.returncode == 0, inspected.stdout + inspected.stderr
    text = config_path.read_text()
    unknown = set(re.findall(r"^# !! UNKNOWN (\w+) of source (\S+):", text, flags=re.MULTILINE))
    assert {(source, fact) for fact, source in unknown} == EXPECTED_UNKNOWN, text[:3000]
    config = yaml.safe_load(text)
    names = {source["name"] for source in config["sources"]}
    assert "vqa_rad" not in names  # an evaluation set is not a source ...
    assert any("vqa_rad" in path for path in config["preprocess"]["evaluation_images"])  # ... it is kept out
    # unlabelled images (fundus) are no_content rejects by default (issue 9): keep them here to check their text
    config_path.write_text(yaml.safe_dump({**config, "quality": {**(config.get("quality") or {}),
                                                                  "keep_no_content": True}}))
    # pyradiomics keeps its flagged placeholders: `run` refuses them unless told (issue 9), so tell it
    run = _medtrinity("run", str(config_path), "--out", str(tmp_path / "out"), "--quiet", "--workers", "2",
                      "--allow-placeholders", timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = read_parquet_folder(tmp_path / "out" / "triplets").to_pylist()
    flagged = {source for source, _ in EXPECTED_UNKNOWN}
    checked = [row for row in rows if row["source"] not in flagged]
    assert {row["source"] for row in checked} >= {"example_ct_dicom", "example_ct_sm", "highdicom", "sam_med2d",
                                                  "nih_cxr14", "test_patches", "fundus"}
    problems = []
    for row in checked:
        labels = [roi["label"] for roi in row["rois"] + (row.get("context_rois") or [])] + list(row["image_labels"])
        if row["modality"] in ("", "other"):
            problems.append((row["source"], row["id"], "modality", row["modality"]))
        bad = [label for label in labels if is_placeholder_name(label) or label.startswith(("region ", "overlay "))]
        if bad:
            problems.append((row["source"], row["id"], "placeholder labels", bad))
        if "medical image" in (row["description_text"] + row["coarse_caption"]).lower():
            problems.append((row["source"], row["id"], "text", "medical image"))
    assert not problems, json.dumps(problems[:20], indent=1)
