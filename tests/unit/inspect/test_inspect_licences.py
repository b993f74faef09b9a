"""`inspect` names a source's licence from the licence file its dataset ships, as a guess to check, and says
so when there is none: exports filter and label rows by licence, and a source without one is left out."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.export.citations import is_non_commercial, licence_id
from medtrinity.inspect import build_config, render
from medtrinity.inspect.licences import identify_licence

# the shared folders' licence files and what the data README says of each (the file's own licence)
SHARED_LICENCE_FILES = {
    "highdicom/LICENSE": "MIT",
    "pyradiomics/LICENSE.txt": "BSD-3-Clause",
    "msd_lung_patches/LICENSE.md": "CC BY-SA 4.0",  # its closing notice names CC0: the title must win
    "sam_med2d/LICENSE": "Apache-2.0",
    "knowledge/disease_ontology/LICENSE": "CC0 1.0",
    "knowledge/medquad/LICENSE.txt": "CC BY 4.0",
}


@pytest.mark.parametrize("relative, expected", sorted(SHARED_LICENCE_FILES.items()))
def test_real_licence_files_are_named(shared_data, relative, expected):
    assert identify_licence((shared_data / relative).read_text(encoding="utf-8", errors="replace")) == expected


@pytest.mark.parametrize("text, expected", [
    ("Attribution-NonCommercial-ShareAlike 4.0 International\n\n=====\nCreative Commons", "CC BY-NC-SA 4.0"),
    ("Attribution-NonCommercial-NoDerivatives 4.0 International", "CC BY-NC-ND 4.0"),
    ("Attribution-NonCommercial 3.0 Unported", "CC BY-NC 3.0"),
    ("This dataset is released under CC-BY-4.0.", "CC BY 4.0"),
    ("Licence: CC BY-NC 4.0 (see https://creativecommons.org/licenses/by-nc/4.0/)", "CC BY-NC 4.0"),
    ("cc by nc sa 4.0", "CC BY-NC-SA 4.0"),
    ("Creative Commons Legal Code\n\nCC0 1.0 Universal\n", "CC0 1.0"),
    ("Copyright (c) 2021 X\n\nRedistribution and use in source and binary forms, with or without modification, "
     "are permitted provided that the following conditions are met:\n1. ...\n2. ...", "BSD-2-Clause"),
    ("                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007", "GPL-3.0"),
    ("This program is free software under the GNU General Public License version 3", "GPL-3.0"),
    ("ODC Open Database License (ODbL)", "ODbL-1.0"),
    ("Apache License, Version 2.0 ... you must give any other recipients a copy of the attribution notices",
     "Apache-2.0"),
    ("All rights reserved. Not for redistribution.", None),
    ("", None),
])
def test_licence_texts_are_named_by_what_comes_first(text, expected):
    assert identify_licence(text) == expected


@pytest.mark.parametrize("name", ["CC BY-NC-SA 4.0", "CC BY-SA 4.0", "CC BY 4.0", "CC0 1.0", "Apache-2.0", "MIT",
                                  "BSD-3-Clause", "BSD-2-Clause", "CC BY-NC-ND 4.0"])
def test_every_name_is_one_the_dataset_card_understands(name):
    """The names inspect writes map to a Hugging Face licence id, and non-commercial ones are seen as such."""
    assert licence_id(name) != "other"
    assert is_non_commercial(name) == ("NC" in name)


def _png_folder(root, names=("case1_liver.png",)):
    root.mkdir(parents=True)
    for name in names:
        cv2.imwrite(str(root / name), np.full((32, 32), 100, np.uint8))
    return root


def test_a_licence_file_at_the_inspected_root_names_the_source_licence_as_a_guess(tmp_path):
    root = _png_folder(tmp_path / "lesions" / "images")
    (tmp_path / "lesions" / "LICENSE.md").write_text("Attribution-NonCommercial 4.0 International\n\nterms...")
    config, findings = build_config([tmp_path / "lesions"])
    assert root.exists() and [source.get("license") for source in config["sources"]] == ["CC BY-NC 4.0"]
    facts = [(fact, value, how) for finding in findings for _, fact, value, how in finding.facts if fact == "licence"]
    assert facts == [("licence", "CC BY-NC 4.0", "guessed from LICENSE.md")]
    text, _ = render([tmp_path / "lesions"])
    assert "licence 'CC BY-NC 4.0' taken for source" in text and "check that it covers the images" in text
    assert "license: CC BY-NC 4.0" in text


def test_no_licence_file_is_a_line_to_check_and_none_above_the_inspected_path_is_used(tmp_path):
    (tmp_path / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person")
    folder = _png_folder(tmp_path / "scans")
    config, _ = build_config([folder])
    assert "license" not in config["sources"][0]  # the LICENSE above the path the user named is not the data's
    text, _ = render([folder])
    assert "no licence stated (no recipe, no LICENSE file): set `license`" in text


def test_an_unknown_licence_file_is_reported_and_a_recipe_licence_is_kept(tmp_path, shared_data):
    folder = _png_folder(tmp_path / "scans")
    (folder / "COPYING").write_text("Internal use only. Ask the imaging core before sharing.")
    config, _ = build_config([folder])
    assert "license" not in config["sources"][0]
    assert "a licence file whose licence is not recognised" in render([folder])[0]
    nih = shared_data / "nih_cxr14"
    config, findings = build_config([nih])
    assert "unrestricted use" in config["sources"][0]["license"]
    assert not [fact for finding in findings for _, fact, _, _ in finding.facts if fact == "licence"]


def _nifti(path, data):
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 3.0, 1.0])), path)


def _bids_dataset(root, description):
    """A BIDS tree as OpenNeuro serves it: dataset_description.json (with its License), a raw T2w per subject and
    its derivative mask, and a LICENSE file beside the description (as many OpenNeuro datasets carry too)."""
    import json

    root.mkdir(parents=True)
    (root / "dataset_description.json").write_text(json.dumps({"Name": "cord", "BIDSVersion": "1.8.0",
                                                                **description}))
    (root / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person")
    image = np.random.default_rng(0).normal(300, 30, (20, 16, 5)).clip(0).astype(np.int16)
    mask = np.zeros((20, 16, 5), np.uint8)
    mask[8:12, 6:10, :] = 1
    _nifti(root / "sub-01" / "anat" / "sub-01_T2w.nii.gz", image)
    _nifti(root / "derivatives" / "labels" / "sub-01" / "anat" / "sub-01_T2w_label-SC_seg.nii.gz", mask)
    return root


@pytest.mark.parametrize("description, expected", [
    ({"License": "CC0"}, "CC0 1.0"),
    ({"License": "CC-BY-NC-SA 4.0"}, "CC BY-NC-SA 4.0"),
    ({"License": "PDDL"}, "PDDL"),  # stated but not one the exports name: kept as written
])
def test_a_bids_dataset_description_states_the_licence(tmp_path, description, expected):
    root = _bids_dataset(tmp_path / "ds000001", description)
    config, findings = build_config([root])
    assert [source["reader"] for source in config["sources"]] == ["bids"]
    assert config["sources"][0]["license"] == expected  # the description, not the LICENSE beside it
    facts = [how for finding in findings for _, fact, _, how in finding.facts if fact == "licence"]
    assert facts == ["read from dataset_description.json's 'License'"]
    assert "taken for source" not in render([root])[0]  # stated, so nothing to check


def test_a_bids_dataset_without_a_stated_licence_falls_back_to_its_licence_file(tmp_path):
    root = _bids_dataset(tmp_path / "ds000002", {})
    config, findings = build_config([root])
    assert config["sources"][0]["license"] == "MIT"
    assert [how for finding in findings for _, fact, _, how in finding.facts if fact == "licence"] == [
        "guessed from LICENSE"]


def test_an_nnunet_dataset_json_licence_is_read(tmp_path):
    """MSD's dataset.json carries "licence": "CC-BY-SA 4.0"; nnU-Net conversions of it keep the key."""
    import json

    root = tmp_path / "Dataset321_Nodules"
    root.mkdir()
    (root / "dataset.json").write_text(json.dumps({
        "channel_names": {"0": "CT"}, "labels": {"background": 0, "nodule": 1}, "numTraining": 1,
        "file_ending": ".nii.gz", "licence": "CC-BY-SA 4.0"}))
    mask = np.zeros((24, 20, 4), np.uint8)
    mask[5:9, 5:9, 1:3] = 1
    _nifti(root / "imagesTr" / "case_001_0000.nii.gz", np.zeros((24, 20, 4), np.int16))
    _nifti(root / "labelsTr" / "case_001.nii.gz", mask)
    config, findings = build_config([root])
    assert [(source["reader"], source["license"]) for source in config["sources"]] == [("nnunet", "CC BY-SA 4.0")]
    assert [how for finding in findings for _, fact, _, how in finding.facts if fact == "licence"] == [
        "read from dataset.json's 'licence'"]


def test_a_binary_file_named_license_is_reported_not_read_whole(tmp_path):
    """Bad input: a large binary file under a licence file's name gives a line to check, and only its start is read."""
    import os

    folder = _png_folder(tmp_path / "scans")
    (folder / "LICENSE").write_bytes(os.urandom(8 << 20))
    config, _ = build_config([folder])
    assert "license" not in config["sources"][0]
    assert "LICENSE: a licence file whose licence is not recognised" in render([folder])[0]
