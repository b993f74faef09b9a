"""Body regions a file's name states, and the conflict with a source's body_part that makes a file a reject."""

from __future__ import annotations

import pytest

from medtrinity.sources.name_conventions import body_part_conflict, regions_in_file_name


@pytest.mark.parametrize(("path", "regions"), [
    ("/data/pyradiomics/breast1_image.nrrd", {"breast"}),
    ("/data/pyradiomics/brain1_image.nrrd", {"head"}),
    ("/data/head_ct_0001.png", {"head"}),
    ("/data/Task06_Lung/imagesTr/lung_001.nii.gz", {"chest"}),
    ("/data/liver-tumor_17.nii.gz", {"abdomen"}),
    ("/data/fundus/retina.jpg", {"eye"}),
    # names that state nothing: case numbers, dataset ids, folders (read only from the file's own name)
    ("/data/brain/case_00001.nii.gz", set()),
    ("/data/s0011_ct.nii.gz", set()),
    ("/data/00000001_000.png", set()),
    ("/data/pancreas_head/img_01.png", set()),
])
def test_regions_in_file_name(path, regions):
    assert regions_in_file_name(path) == frozenset(regions)


def test_a_file_naming_another_body_part_conflicts_and_names_both():
    reason = body_part_conflict("/data/pyradiomics/breast1_image.nrrd", "brain")
    assert reason is not None and "breast1_image.nrrd" in reason and "breast" in reason and "'brain'" in reason


@pytest.mark.parametrize(("path", "body_part"), [
    ("/data/brain1_image.nrrd", "brain"),  # the same region
    ("/data/lung_001.nii.gz", "abdomen"),  # an upper-abdominal scan shows the lung bases
    ("/data/liver_3.nii.gz", "chest"),
    ("/data/case_00001.nii.gz", "brain"),  # the name says nothing
    ("/data/breast1_image.nrrd", ""),  # no body part configured: nothing to contradict
    ("/data/breast1_image.nrrd", "whole body"),  # a body part no region term reads
])
def test_no_conflict_without_a_contradiction(path, body_part):
    assert body_part_conflict(path, body_part) is None
