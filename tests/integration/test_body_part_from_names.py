"""A folder whose file names state different body parts: pyradiomics' examples hold a brain MRI beside a breast
MRI crop, and no header says either. `inspect` reads the parts from the names and asks for a source per part; a
source set to one body part rejects the other's file instead of describing a breast as a brain."""

from __future__ import annotations

import yaml

from medtrinity import inspect
from medtrinity.config import parse_config
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline


def _source(folder, pattern: str, body_part: str, lesion: str) -> dict:
    return {"name": f"pyradiomics_{body_part}", "reader": "sitk", "path": str(folder / pattern),
            "options": {"image_tag": "_image", "label_tag": "_label"}, "label_names": {1: lesion},
            "modality": "mri", "body_part": body_part}


def test_inspect_asks_for_a_source_per_body_part_the_names_state(shared_data):
    text, _found = inspect.render([shared_data / "pyradiomics"])
    assert "the file names state different body parts" in text
    assert "breast: breast1_image.nrrd" in text and "head: brain1_image.nrrd" in text
    assert not yaml.safe_load(text)["sources"][0].get("body_part")  # not guessed: there are two
    fundus, _found = inspect.render([shared_data / "fundus"])
    assert yaml.safe_load(fundus)["sources"][0]["body_part"] == "eye"  # one part for all, guessed, to check
    assert "body_part 'eye' was guessed from the file names: check it" in fundus


def test_a_file_whose_name_contradicts_its_source_is_rejected_not_described(tmp_path, shared_data):
    folder = shared_data / "pyradiomics"
    mixed = _source(folder, "*", "brain", "enhancing lesion")  # one source for both files, as a hurried user sets it
    run_pipeline(parse_config({"sources": [mixed]}), tmp_path / "mixed", workers=1)
    rows = read_parquet_folder(tmp_path / "mixed" / "triplets").to_pylist()
    rejects = read_parquet_folder(tmp_path / "mixed" / "rejects").to_pylist()
    conflicts = [reject for reject in rejects if reject["code"] == "body_part_conflict"]
    assert len(conflicts) == 1 and conflicts[0]["source_file"].endswith("breast1_image.nrrd"), rejects
    assert "breast" in conflicts[0]["reason"] and "'brain'" in conflicts[0]["reason"]
    assert rows and all("brain" in row["description_text"] for row in rows)
    brain_cases = {row["case_id"] for row in rows}
    # split as inspect asks: each file described as what it shows, the breast crop with no side (see test_rois)
    split = [_source(folder, "brain1_*", "brain", "enhancing lesion"), _source(folder, "breast1_*", "breast",
                                                                                "breast lesion")]
    run_pipeline(parse_config({"sources": split}), tmp_path / "split", workers=1)
    rows = read_parquet_folder(tmp_path / "split" / "triplets").to_pylist()
    breast = [row for row in rows if row["source"] == "pyradiomics_breast"]
    assert breast and all("of the breast" in row["description_text"] for row in breast)
    # the 30 mm crop's centre is no midline: no patient side, midline or anterior/posterior word (test_rois)
    for row in breast:
        assert not any(word in row["description_text"].lower() for word in ("patient", "midline", "anterior",
                                                                             "posterior")), row["description_text"]
        assert all(roi["patient_side"] == "" for roi in row["rois"])
    assert {row["case_id"] for row in rows if row["source"] == "pyradiomics_brain"} == brain_cases
    assert not (tmp_path / "split" / "rejects").exists() or not any(
        reject["code"] == "body_part_conflict" for reject in read_parquet_folder(tmp_path / "split" / "rejects")
        .to_pylist())


def test_a_body_part_a_recipe_gave_is_not_asked_for_again(shared_data):
    """The MSD patches' path names Task06 Lung: the recipe gives the body part, and the config no longer also asks
    the user to set it (only to check the guess)."""
    text, _found = inspect.render([shared_data / "msd_lung_patches"])
    assert yaml.safe_load(text)["sources"][0]["body_part"] == "lung"
    assert "set `body_part` if the images show one" not in text
    assert "recipe msd_task06_lung): check it" in text
