"""The tissue a label names: what mean HU it can have, and whether a texture word of it says anything."""

from __future__ import annotations

import pytest

from medtrinity.vocab import tissues
from medtrinity.vocab.tissues import BONE, HOLLOW_VISCUS, LUNG, SOLID_SOFT_TISSUE, tissue_of


@pytest.mark.parametrize(("label", "tissue"), [
    ("T12 vertebra", BONE), ("left 9th rib", BONE), ("right hip bone", BONE), ("skull", BONE), ("left ilium", BONE),
    ("left upper lobe", LUNG), ("right lung", LUNG), ("lungs", LUNG),
    ("stomach", HOLLOW_VISCUS), ("colon", HOLLOW_VISCUS), ("small bowel", HOLLOW_VISCUS),
    ("duodenum", HOLLOW_VISCUS), ("trachea", HOLLOW_VISCUS), ("esophagus", HOLLOW_VISCUS),
    ("liver", SOLID_SOFT_TISSUE), ("left kidney", SOLID_SOFT_TISSUE), ("portal and splenic veins", SOLID_SOFT_TISSUE),
    ("left gluteus maximus muscle", SOLID_SOFT_TISSUE),
    # names that only look like one: a brain or liver lobe, cartilage, the sigmoid sinus, the ribbon of a label
    ("frontal lobe", None), ("caudate lobe", None), ("costal cartilages", None), ("sigmoid sinus", None),
    ("ribbon", None), ("gallbladder", None), ("urinary bladder", None),
])
def test_tissue_of_a_label(label, tissue):
    assert tissue_of(label) == tissue


def test_texture_is_normal_variation_only_for_organs_of_uneven_tissue():
    assert tissues.texture_is_normal_variation("right lower lobe", "organ")
    assert tissues.texture_is_normal_variation("colon", "structure")
    assert not tissues.texture_is_normal_variation("liver", "organ")
    assert not tissues.texture_is_normal_variation("gallbladder", "organ")  # sludge or stones in it are findings
    assert not tissues.texture_is_normal_variation("lung nodule", "lesion")  # a lesion is judged on its own
    assert not tissues.texture_is_normal_variation("bone lesion", "lesion")
