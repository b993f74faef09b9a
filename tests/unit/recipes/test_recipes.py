"""Every recipe: its facts are complete, `inspect` recognises a miniature replica of its layout, and the
reader it configures reads that replica into samples named in report terms (no placeholders)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medtrinity.config import MODALITIES, parse_config
from medtrinity.inspect import build_config
from medtrinity.recipes import all_recipes, get_recipe, match_recipe
from medtrinity.sources import make_reader, reader_names
from medtrinity.sources.label_names import is_placeholder_name

from .replicas import BUILDERS

RECIPES = [recipe.name for recipe in all_recipes()]


def test_at_least_thirty_recipes_with_complete_facts():
    assert len(RECIPES) >= 30
    for recipe in all_recipes():
        assert recipe.modality in MODALITIES, recipe.name
        assert recipe.source["reader"] in reader_names(), recipe.name
        assert recipe.licence and recipe.citation and recipe.download and recipe.layout, recipe.name
        names = set(recipe.labels.values()) | set(recipe.image_labels)
        assert not any(is_placeholder_name(name) for name in names), recipe.name
        assert set(recipe.findings) <= names or not names, (recipe.name, set(recipe.findings) - names)


def test_every_recipe_has_a_replica_builder():
    assert set(RECIPES) == set(BUILDERS)


def _samples(source: dict, limit: int = 4):
    config = parse_config({"sources": [source], "slicing": {"without_roi_fraction": 1.0}})
    reader = make_reader(config.sources[0], config)
    items = reader.list_items()
    assert items, f"{source['name']}: the reader lists nothing under {source['path']}"
    return [sample for item in items[:limit] for sample in reader.read(item)]


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_recognises_and_reads_its_replica(tmp_path, name):
    recipe = get_recipe(name)
    folder = BUILDERS[name](tmp_path)
    assert match_recipe(folder) == recipe
    config, findings = build_config([folder])
    [source] = config["sources"]
    assert source["reader"] == recipe.source["reader"] and source["modality"] == recipe.modality
    assert any(f"recipe {name}" in text for text in findings[0].seen)
    samples = _samples(source)
    assert samples
    present = {n for s in samples for v, n in s.label_names.items()
               if s.label_map is not None and (s.label_map == v).any()}
    image_labels = {label for s in samples for label in s.image_labels}
    assert present | image_labels, f"{name}: no label reached a sample"
    assert not any(is_placeholder_name(label) or label.startswith("region ") for label in present | image_labels)
    if recipe.labels:
        assert present <= set(recipe.labels.values()), present - set(recipe.labels.values())
    if recipe.image_labels:
        assert image_labels <= set(recipe.image_labels), image_labels - set(recipe.image_labels)
    assert {s.modality for s in samples} == {recipe.modality}
    if recipe.findings and present & set(recipe.findings):
        assert any(s.finding_labels for s in samples)


def test_refuge_cup_is_described_inside_its_disc(tmp_path):
    """REFUGE stores the cup (0) inside the disc (128) in one BMP: the disc label is a rim around the cup, which
    the text must call enclosed, not a neighbour the disc borders."""
    from medtrinity.config import GroundingConfig
    from medtrinity.generation.backends import make_backend
    from medtrinity.grounding.rois import ground_sample
    from medtrinity.quality.verify import verify

    [sample] = _samples(build_config([BUILDERS["refuge"](tmp_path)])[0]["sources"][0])
    ground_sample(sample, GroundingConfig())
    rois = {roi.label: roi for roi in sample.rois}
    assert rois["optic disc"].surrounds == ["optic cup"] and rois["optic cup"].containing_organ == "optic disc"
    assert "optic cup" not in rois["optic disc"].neighbours
    sample.description = make_backend("composer").describe(sample)
    text = sample.description.text
    assert "surrounds the optic cup" in text or "encloses the optic cup" in text, text
    assert "borders the optic cup" not in text and "abuts the optic cup" not in text, text
    assert verify(sample).issues == []


def test_specific_replica_facts(tmp_path):
    """Spot checks of what each reader extension must get right on the replicas."""
    kits = _samples(build_config([BUILDERS["kits23"](tmp_path / "a")])[0]["sources"][0], limit=2)
    assert len({s.case_id for s in kits}) == 2  # case_00000 and case_00001 are two cases, not one "imaging"
    assert len({s.id for s in kits}) == len(kits)
    totalseg = _samples(build_config([BUILDERS["totalsegmentator"](tmp_path / "b")])[0]["sources"][0], limit=1)
    assert {"liver", "left kidney", "spleen"} <= set(totalseg[0].label_names.values())
    refuge = _samples(build_config([BUILDERS["refuge"](tmp_path / "c")])[0]["sources"][0])[0]
    assert int((refuge.label_map == 2).sum()) == 10 * 12  # cup (stored 0) inside the disc (stored 128)
    assert int((refuge.label_map == 1).sum()) == 20 * 24 - 10 * 12
    kvasir = _samples(build_config([BUILDERS["kvasir_seg"](tmp_path / "d")])[0]["sources"][0])[0]
    assert int((kvasir.label_map == 1).sum()) == 15 * 20  # the JPEG-noisy mask thresholded, background 3 dropped
    chexpert = _samples(build_config([BUILDERS["chexpert"](tmp_path / "e")])[0]["sources"][0])
    # CheXpert's "Fracture" is any fracture the report names (rib, clavicle, spine): no site is added to it
    assert sorted(tuple(s.image_labels) for s in chexpert) == [("fracture",), ("pleural effusion",),
                                                                ("pulmonary edema",)]
    assert len({s.case_id for s in chexpert}) == 3 and len({s.id for s in chexpert}) == 3
    # NIH's Hernia and Mass are text-mined from reports: no subtype or site is added to them (retrieval still
    # finds the hiatal hernia and lung mass passages, kept in `passages`; a description's background admits
    # only the label's own entity or broader ones)
    nih = _samples(build_config([BUILDERS["nih_cxr14"](tmp_path / "n")])[0]["sources"][0])
    assert sorted(tuple(sorted(s.image_labels)) for s in nih) == [("cardiomegaly", "pleural effusion"),
                                                                   ("hernia", "mass")]
    assert {s.metadata.get("view_position") for s in chexpert} == {"ap"}
    vindr = {s.source_file.rsplit("/", 1)[-1]: s for s in
             _samples(build_config([BUILDERS["vindr_cxr"](tmp_path / "g")])[0]["sources"][0])}
    boxed = vindr["000434271f63a053c4128a0ba6352c7f.dicom"]
    assert sorted(label for label, _ in boxed.input_boxes) == ["aortic enlargement", "nodule or mass"]
    assert dict(boxed.input_boxes)["aortic enlargement"] == (30.0, 10.0, 40.0, 20.0)
    assert boxed.finding_labels == {"aortic enlargement", "nodule or mass"}
    assert vindr["9a5094b2563a1ef3ff50dc5c7ff71345.dicom"].label_map is None  # "No finding": no box
    pannuke = _samples(build_config([BUILDERS["pannuke"](tmp_path / "h")])[0]["sources"][0])
    assert [s.body_part for s in pannuke] == ["breast", "colon"]  # the tissue type of each tile
    assert pannuke[0].pixels.dtype.name == "uint8" and pannuke[0].pixels.shape == (32, 32, 3)
    labels = get_recipe("pannuke").labels
    areas = {n: int((pannuke[0].label_map == v).sum()) for v, n in pannuke[0].label_names.items()}
    assert {n: a for n, a in areas.items() if a} == {labels[1]: 36, labels[2]: 36}
    assert "neoplastic cell nuclei" in pannuke[0].finding_labels
    tbx = _samples(build_config([BUILDERS["tbx11k"](tmp_path / "f")])[0]["sources"][0])
    assert {n for s in tbx for n in s.label_names.values()} == {"active tuberculosis"}


def test_forced_recipe_and_the_recipes_command(tmp_path):
    folder = BUILDERS["lits"](tmp_path)
    renamed = folder.rename(tmp_path / "my_liver_data")
    config, findings = build_config([renamed], recipe="lits")
    assert config["sources"][0]["label_names"] == get_recipe("lits").labels and len(get_recipe("lits").labels) == 2
    with pytest.raises(KeyError, match="no recipe named"):
        build_config([renamed], recipe="no_such_dataset")
    listing = subprocess.run([sys.executable, "-m", "medtrinity", "recipes"], capture_output=True, text=True,
                             timeout=120)
    assert listing.returncode == 0 and all(name in listing.stdout for name in RECIPES)
    one = subprocess.run([sys.executable, "-m", "medtrinity", "recipes", "kits23"], capture_output=True, text=True,
                         timeout=120)
    tumour = get_recipe("kits23").labels[2]  # "kidney tumor" in the report vocabulary's words
    assert "CC BY-NC-SA 4.0" in one.stdout and tumour in one.stdout and "download by hand" in one.stdout
    forced = subprocess.run([sys.executable, "-m", "medtrinity", "inspect", "--recipe", "kits23", str(renamed)],
                            capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0 and "does not have recipe kits23's layout" in forced.stdout
