"""The mutation set: composer descriptions of the phantom, the demo and real files, each with one planted error.

The verifier must catch at least 95% of the planted errors and raise no alarm on the originals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medtrinity.config import parse_config
from medtrinity.datapaths import shared_data_dir
from medtrinity.demo import demo_sources
from medtrinity.generation.backends import make_backend
from medtrinity.pipeline import grounded_samples
from medtrinity.quality.checks.attenuation import implausible
from medtrinity.quality.facts import SampleFacts
from medtrinity.quality.mutations import MUTATIONS, run_mutation_set
from medtrinity.quality.verify import verify, verify_text

REQUIRED_TYPES = ("modality", "body_part", "side", "size", "count", "intensity", "texture", "shape", "margin")


def _sources(tmp: Path) -> list[dict]:
    sources = demo_sources(tmp / "inputs", shared_data_dir())
    sources.append({"name": "phantom_more", "reader": "phantom", "path": "phantom", "modality": "ct",
                    "body_part": "abdomen", "options": {"cases": 2}})
    data = shared_data_dir()
    if data is not None and (data / "pyradiomics" / "breast1_image.nrrd").exists():
        sources.append({"name": "pyradiomics_breast_mri", "reader": "sitk",
                        "path": str(data / "pyradiomics" / "breast1_image.nrrd"),
                        "labels": str(data / "pyradiomics" / "breast1_label.nrrd"),
                        "label_names": {1: "breast lesion"}, "modality": "mri", "body_part": "breast"})
    return sources


@pytest.fixture(scope="module")
def described(tmp_path_factory):
    config = parse_config({"sources": _sources(tmp_path_factory.mktemp("mutation")), "knowledge": {"kb": "builtin"}})
    backend = make_backend("composer")
    samples = []
    for sample in grounded_samples(config):
        sample.description = backend.describe(sample)
        samples.append(sample)
    return samples


def _has_content(sample) -> bool:
    from medtrinity.quality.checks import has_content

    return has_content(SampleFacts.from_sample(sample))


def test_composer_output_passes_the_verifier_on_every_sample(described):
    assert len(described) >= 80
    failures = [(s.source, s.id, verify(s).issues) for s in described if verify(s).status != "pass"
                and _has_content(s)]
    assert failures == []
    empty = [s for s in described if not _has_content(s)]
    assert empty and all([issue.code for issue in verify(s).issues] == ["no_content"] for s in empty)


def test_every_sentence_has_evidence(described):
    for sample in described:
        assert all(sentence.evidence for sentence in sample.description.sentences), sample.id


def test_mutation_set_catch_rate_and_no_false_alarms(described):
    cases = [(f"{s.source}:{s.id}", s.description.text, SampleFacts.from_sample(s)) for s in described
             if _has_content(s)]
    report = run_mutation_set(cases, verify_text)
    assert report["false_alarms"] == []
    for name in REQUIRED_TYPES:
        assert report["types"][name]["planted"] >= 10, name
    assert set(report["types"]) == set(MUTATIONS)
    assert report["catch_rate"] >= 0.95, {name: t["missed"][:2] for name, t in report["types"].items()}
    for name, counts in report["types"].items():
        if counts["planted"]:
            assert counts["caught"] / counts["planted"] >= 0.95, (name, counts["missed"][:2])


def test_real_data_is_in_the_set_when_present(described, shared_data):
    sources = {sample.source for sample in described}
    assert {"totalsegmentator_ct", "pyradiomics_brain_mri", "pyradiomics_breast_mri"} <= sources


def test_more_real_collections_pass_and_their_mutations_are_caught(shared_data):
    """SAM-Med2D slices, MSD lung patches, highdicom series, fundus and NIH X-rays, as `inspect` configures them."""
    inspect = pytest.importorskip("medtrinity.inspect")
    import yaml

    folders = [shared_data / name for name in ("sam_med2d", "fundus", "nih_cxr14", "msd_lung_patches", "highdicom")]
    text, found = inspect.render([folder for folder in folders if folder.exists()])
    raw = yaml.safe_load(text)
    fill = {"sam_med2d": {"modality": "ct", "body_part": "abdomen"}, "fundus": {"body_part": "eye"},
            "test_patches": {"modality": "ct", "body_part": "chest", "label_names": {1: "lung nodule"}}}
    for source in raw["sources"]:
        source.update(fill.get(source["name"], {}))
    config = parse_config(raw)
    backend = make_backend("composer")
    cases = []
    for sample in grounded_samples(config, limit_per_source=40):
        sample.description = backend.describe(sample)
        if not _has_content(sample):
            continue
        facts = SampleFacts.from_sample(sample)
        off_image = [roi.label for roi in facts.rois if implausible(roi)]  # highdicom's SEG on air: flagged
        expected = ["attenuation_implausible"] if off_image else []
        assert [issue.code for issue in verify(sample).issues] == expected, (sample.source, sample.description.text)
        if not off_image:  # the mutation set needs clean originals
            cases.append((f"{sample.source}:{sample.id}", sample.description.text, facts))
    assert len({case[0].split(":")[0] for case in cases}) >= 4
    report = run_mutation_set(cases, verify_text)
    assert report["false_alarms"] == [] and report["catch_rate"] >= 0.95
    for name, counts in report["types"].items():
        if counts["planted"]:
            assert counts["caught"] / counts["planted"] >= 0.95, (name, counts["missed"][:2])
