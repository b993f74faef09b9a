import numpy as np

from medtrinity.grounding.anatomy import organ_part
from medtrinity.records import Sample


def _sample(slice_index: int, organ: str, orientation=("L", "P")) -> Sample:
    return Sample(id="a", source="s", case_id="c", modality="ct", body_part="abdomen", pixels=np.zeros((10, 10)),
                  plane="axial", slice_index=slice_index, patient_orientation=orientation,
                  volume_stats={organ: {"volume_ml": 150.0, "slices": 31, "largest_slice": 15,
                                        "first_slice": 10, "last_slice": 40}})


def test_kidney_poles_follow_the_craniocaudal_position():
    organ = np.ones((10, 10), dtype=bool)
    assert organ_part(_sample(38, "left kidney"), "left kidney", organ, (5, 5)) == "upper pole"
    assert organ_part(_sample(25, "left kidney"), "left kidney", organ, (5, 5)) == "interpolar region"
    assert organ_part(_sample(11, "left kidney"), "left kidney", organ, (5, 5)) == "lower pole"


def test_liver_lobe_follows_the_patient_side_within_the_liver():
    liver = np.zeros((10, 100), dtype=bool)
    liver[:, 10:90] = True  # columns grow to the patient's left
    assert organ_part(_sample(20, "liver"), "liver", liver, (20, 5)) == "right lobe"
    assert organ_part(_sample(20, "liver"), "liver", liver, (85, 5)) == "left lobe"
    # a flipped display: the same column is now on the patient's other side
    assert organ_part(_sample(20, "liver", ("R", "P")), "liver", liver, (85, 5)) == "right lobe"
    assert organ_part(_sample(20, "liver", ("", "")), "liver", liver, (85, 5)) == ""


def test_other_organs_get_thirds_and_nothing_without_3d_extent():
    organ = np.ones((10, 10), dtype=bool)
    assert organ_part(_sample(39, "right lung"), "right lung", organ, (5, 5)) == "upper zone"
    assert organ_part(_sample(12, "spleen"), "spleen", organ, (5, 5)) == "lower part"
    two_d = _sample(-1, "spleen")
    assert organ_part(two_d, "spleen", organ, (5, 5)) == ""
