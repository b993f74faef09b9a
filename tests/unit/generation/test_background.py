"""Which retrieved passages may serve a description: entity or ancestor, modality, sizes; varied across rows."""

from __future__ import annotations

import numpy as np

from medtrinity.generation.backends import make_backend
from medtrinity.generation.background import passage_fits, select_background
from medtrinity.records import ROI, Passage, Sample


def _sample(sample_id: str, label: str = "lung nodule", diameter_mm: float = 9.0, modality: str = "ct") -> Sample:
    roi = ROI(label=label, kind="lesion", bbox_xyxy=(0, 0, 4, 4), mask_rle={}, area_px=16, area_mm2=60.0,
              centroid_xy=(2.0, 2.0), largest_diameter_mm=diameter_mm)
    return Sample(id=sample_id, source="s", case_id="c", modality=modality, body_part="chest",
                  pixels=np.zeros((8, 8)), rois=[roi])


def _passage(pid: str, title: str, text: str) -> Passage:
    return Passage(id=pid, source="kb", title=title, text=text, score=1.0)


NODULE_CT = _passage("a", "Pulmonary nodule on ct", "A round opacity up to 3 cm. On CT: a well-defined focus.")
MASS = _passage("b", "Lung mass", "A lung mass is an opacity over 3 cm. On CT: a solid lesion.")
METASTASIS = _passage("c", "Pulmonary metastasis", "Multiple round nodules. On CT: nodules of varied size.")
NODULE_US = _passage("d", "Lung nodule", "On ultrasound: a hypoechoic subpleural focus.")
NODULE_PLAIN = _passage("e", "Lung nodule", "A small rounded opacity in the lung, usually under 30 mm.")


def test_only_the_labelled_entity_or_its_ancestor_fits():
    sample = _sample("x")
    assert passage_fits(NODULE_CT, sample)  # "pulmonary nodule" is the label's ancestor
    assert passage_fits(NODULE_PLAIN, sample)
    assert not passage_fits(METASTASIS, sample)  # a diagnosis the label does not make
    assert not passage_fits(NODULE_US, sample)  # another modality's appearance
    assert not passage_fits(MASS, _sample("y", label="lung mass", diameter_mm=9.0))  # "over 3 cm" for 9 mm
    assert passage_fits(MASS, _sample("z", label="lung mass", diameter_mm=45.0))


def test_background_varies_across_rows_and_stays_out_of_the_text():
    firsts = set()
    for number in range(12):
        sample = _sample(f"row-{number}")
        sample.passages = [NODULE_CT, NODULE_PLAIN, METASTASIS]
        chosen = select_background(sample, lambda slot, options, n=number: options[(n + len(slot)) % len(options)])
        assert {item["passage_id"] for item in chosen} <= {"a", "e"}
        firsts.add(chosen[0]["passage_id"])
        description = make_backend("composer").describe(sample)
        assert all(item["text"] not in description.text for item in description.background)
        assert "metastasis" not in description.text.lower()
    assert firsts == {"a", "e"}


def _modalities_named_plain(text: str) -> set[str]:
    """The modalities whose claim words ``text`` names: one search per word (the plain computation)."""
    import re

    from medtrinity.vocab.modalities import MODALITY_CLAIMS

    lowered = f" {text.lower()} "
    return {modality for modality, phrases in MODALITY_CLAIMS.items()
            if any(re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", lowered) for phrase in phrases)}


def test_modality_words_found_as_by_one_search_per_word():
    """The per-modality alternation, cached per text, names the same modalities as one search per claim word:
    on every built-in knowledge passage, each of its sentences, and random texts built from claim words."""
    import random

    from medtrinity.generation.background import _SENTENCES, _modalities_named
    from medtrinity.knowledge.builtin import builtin_documents
    from medtrinity.vocab.modalities import MODALITY_CLAIMS

    texts = []
    for document in builtin_documents():
        texts.append(document.text)
        texts.extend(_SENTENCES.split(document.text))
    words = [phrase for phrases in MODALITY_CLAIMS.values() for phrase in phrases]
    pieces = [*words, *(word.upper() for word in words), "a", "x", "-", " ", ".", "s", "ct", "mri", "h&e", "pet-"]
    generator = random.Random(14)
    for _ in range(3000):
        texts.append("".join(generator.choice(pieces) for _ in range(generator.randint(0, 8))))
    assert len(texts) > 3500
    named_any = 0
    for text in texts:
        expected = _modalities_named_plain(text)
        assert _modalities_named(text) == expected, text
        assert _modalities_named(text) == expected, text  # again, from the cache
        named_any += bool(expected)
    assert named_any > 1000  # the comparison saw many texts that do name a modality
