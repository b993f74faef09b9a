"""A finding given only as an annotation's box (NIH ChestX-ray14 BBox_List, COCO without a mask, YOLO, VOC) is
described by its box: position, zone, neighbours and the box's sides, never a shape, margin, area, texture or
intensity, which would be the rectangle's (a square box reads "round", its diagonal the "largest diameter", and
its pixels mix lesion and lung). The verifier flags those words when another writer adds them."""

from __future__ import annotations

import json
import re
import shutil

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

from medtrinity.config import GroundingConfig, parse_config
from medtrinity.evaluation.questions import iter_questions
from medtrinity.evaluation.row_facts import iter_rows
from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.grounding.rois import ground_sample
from medtrinity.inspect import build_config
from medtrinity.quality.facts import SampleFacts
from medtrinity.quality.verify import find_issues
from medtrinity.records import BOX_ORIGIN, Sample
from medtrinity.runner import run_pipeline
from medtrinity.sources import make_reader

pytestmark = pytest.mark.slow

# NIH ChestX-ray14's own layout: the label table with spacing and original size, boxes in the 1024 frame
NIH_TABLE = ("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
             "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]\n"
             "00027426_000.png,Mass|Effusion,0,3,81,F,PA,2582,2991,0.143,0.143\n")
BOX_1024 = (600, 300, 120, 110)  # x, y, w, h in the 1024 frame, over the patient's left lung
APPEARANCE_WORDS = re.compile(r"\b(round|oval|lobulated|irregular|spiculated|defined|circumscribed|margins?|"
                              r"heterogeneous|homogeneous|lucent|opaque|dense|intense|area)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def nih_box_run(shared_data, tmp_path_factory):
    """A real NIH radiograph (stored 512 px) with a Mass box, inspected by its recipe and run end to end."""
    root = tmp_path_factory.mktemp("nih-box")
    folder = root / "nih"
    (folder / "images").mkdir(parents=True)
    shutil.copy(shared_data / "nih_cxr14" / "00027426_000.png", folder / "images" / "00027426_000.png")
    (folder / "Data_Entry_2017_v2020.csv").write_text(NIH_TABLE)
    x, y, w, h = BOX_1024
    (folder / "BBox_List_2017.csv").write_text(f"Image Index,Finding Label,Bbox [x,y,w,h],,,\n"
                                               f"00027426_000.png,Mass,{x},{y},{w},{h}\n"
                                               "00027426_000.png,Effusion,100,600,200,250\n")
    config, _ = build_config([folder])
    assert config["sources"][0]["reader"] == "csv_labels"  # the NIH recipe
    out = root / "out"
    run_pipeline(parse_config(config), out, workers=1)
    rows = [row for part in sorted((out / "triplets").glob("*.parquet")) for row in pq.read_table(part).to_pylist()]
    assert len(rows) == 1
    return out, rows[0]


def test_a_box_is_measured_by_its_sides_and_nothing_of_its_rectangle_is_called_a_finding_fact(nih_box_run):
    _, row = nih_box_run
    boxes = {roi["label"]: roi for roi in row["rois"] if roi["kind"] == "lesion"}
    # the box table's "Effusion" takes the recipe's rename, as the label table's does
    assert sorted(boxes) == sorted(row["image_labels"]) == ["mass", "pleural effusion"]
    mass = boxes["mass"]
    assert mass["origin"] == BOX_ORIGIN and boxes["pleural effusion"]["origin"] == BOX_ORIGIN
    index = row["rois"].index(mass)
    # the box in the 512 px image: half the 1024 frame; the spacing of a 2582 x 2991 original at 0.143 mm
    spacing_x, spacing_y = 0.143 * 2582 / 512, 0.143 * 2991 / 512
    width_mm, height_mm = BOX_1024[2] / 2 * spacing_x, BOX_1024[3] / 2 * spacing_y
    assert mass["largest_diameter_mm"] == pytest.approx(max(width_mm, height_mm), abs=spacing_y)
    assert mass["perpendicular_diameter_mm"] == pytest.approx(min(width_mm, height_mm), abs=spacing_x)
    assert (mass["shape"], mass["margin"], mass["texture"], mass["intensity_word"]) == ("", "", "", "")
    assert mass["area_mm2"] is None and mass["mean_intensity"] is None and mass["circularity"] is None
    assert mass["patient_side"] == "left" and mass["containing_organ"] == "left lung"  # where it is still stands
    about_the_mass = [s["sentence"] for s in row["description_evidence"]
                      if any(key.startswith(f"rois[{index}].") for key in s["evidence"])]
    lesion_sentence = next(sentence for sentence in about_the_mass if " mm" in sentence)
    stated = re.search(r"(\d+\.\d) x (\d+\.\d) mm", lesion_sentence)
    assert stated and float(stated.group(1)) == pytest.approx(mass["largest_diameter_mm"], abs=0.051)
    assert float(stated.group(2)) == pytest.approx(mass["perpendicular_diameter_mm"], abs=0.051)
    assert not [s for s in about_the_mass if APPEARANCE_WORDS.search(s)], about_the_mass
    # the sentences are about the box: no "a mass" or "the pleural effusion" as if someone had outlined one
    text = row["description_text"]
    assert not re.search(r"\b(a|the) (mass|pleural effusion)\b", text, re.IGNORECASE), text
    assert "one box labelled mass and one box labelled pleural effusion" in text
    assert row["qc_status"] == "pass", row["qc_issues"]


def test_a_box_is_said_to_lie_over_the_organs_drawn_under_it(nih_box_run):
    """The chest expert's lungs, heart and mediastinum run under the two NIH boxes; the label map keeps the boxes'
    paint there, so what each box is drawn over is checked against the expert's own outlines of the stored image."""
    _, row = nih_box_run
    boxes = {roi["label"]: roi for roi in row["rois"] if roi["kind"] == "lesion"}
    image = cv2.imdecode(np.frombuffer(row["image_png"], np.uint8), cv2.IMREAD_GRAYSCALE)
    sample = Sample(id="cxr", source="nih", case_id="c", modality="xray", body_part="chest", pixels=image,
                    plane="projection", metadata={"ViewPosition": "PA"})
    sample.image = image
    outlines = {region.label: region.mask for region in make_expert("chest_xray").segment(sample)}
    for box in boxes.values():
        x0, y0, x1, y1 = box["bbox_xyxy"]
        shares = {organ: float(mask[y0:y1, x0:x1].mean()) for organ, mask in outlines.items()}
        assert {organ for organ, share in shares.items() if share >= 0.3} <= {*box["overlies"], box["containing_organ"]}
        assert all(shares[organ] >= 0.05 for organ in box["overlies"]), (box["label"], box["overlies"], shares)
        assert not set(box["overlies"]) & set(box["neighbours"])
    effusion = boxes["pleural effusion"]
    assert "right lung" in effusion["overlies"]
    sentence = next(s for s in re.split(r"(?<=\.) ", row["description_text"])
                    if "box labelled pleural effusion" in s and " over " in s)
    assert "right lung" in sentence and not re.search(r"(borders|abuts|adjacent to) the [a-z ,]*right lung", sentence)
    facts = SampleFacts.from_row(row)
    assert find_issues(facts, row["description_text"]) == []
    planted = f"{row['description_text']} The box labelled pleural effusion overlies the left lung."
    assert [issue.code for issue in find_issues(facts, planted)] == ["overlap_unsupported"]


def test_no_size_question_is_asked_of_a_box(nih_box_run):
    out, row = nih_box_run
    questions = [q for q in iter_questions(iter_rows(out)) if q["row_id"] == row["id"]]
    kinds = {q["kind"] for q in questions}
    assert "side" in kinds and "size" not in kinds


@pytest.mark.parametrize("planted, code", [
    ("A round mass lies on the patient's left side.", "box_appearance"),
    ("The mass is well-defined and lies in the left lung.", "box_appearance"),
    ("The mass is heterogeneous.", "box_appearance"),
    ("The mass appears opaque compared with the adjacent lung.", "box_appearance"),
    ("A spiculated mass is seen in the left lung.", "box_appearance"),
    ("The mass has an area of 1988 mm2.", "size_unsupported"),
    ("The mass measures 63 x 63 mm.", "size_mismatch"),  # the box's diagonal, as the rectangle measured it
])
def test_what_another_writer_adds_to_a_box_is_flagged(nih_box_run, planted, code):
    _, row = nih_box_run
    facts = SampleFacts.from_row(row)
    assert find_issues(facts, row["description_text"]) == []
    issues = find_issues(facts, f"{row['description_text']} {planted}")
    assert code in [issue.code for issue in issues], (planted, issues)


def test_the_same_words_of_an_outlined_region_are_not_box_issues(nih_box_run):
    _, row = nih_box_run
    outlined = {**row, "rois": [dict(roi) for roi in row["rois"]]}
    mass = next(roi for roi in outlined["rois"] if roi["label"] == "mass")
    mass.update(origin="provided", shape="round", margin="well-defined", texture="heterogeneous")
    issues = find_issues(SampleFacts.from_row(outlined), f"{row['description_text']} A round mass lies in the "
                                                          "left lung. The mass is well-defined and heterogeneous.")
    assert "box_appearance" not in [issue.code for issue in issues], issues


def test_coco_box_only_annotations_are_boxes_and_outlined_ones_are_measured(tmp_path, shared_data):
    """COCO as annotation tools export it: one category outlined by a polygon, another only boxed."""
    image = cv2.imread(str(shared_data / "nih_cxr14" / "00000001_000.png"), cv2.IMREAD_GRAYSCALE)
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), image)
    circle = [float(v) for angle in np.linspace(0, 2 * np.pi, 24, endpoint=False)
              for v in (150 + 20 * np.cos(angle), 200 + 20 * np.sin(angle))]
    coco = {"images": [{"id": 1, "file_name": "a.png", "width": 512, "height": 512}],
            "categories": [{"id": 1, "name": "nodule"}, {"id": 2, "name": "mass"}, {"id": 3, "name": "atelectasis"}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "bbox": [130, 180, 40, 40], "segmentation": [circle]},
                {"id": 2, "image_id": 1, "category_id": 2, "bbox": [320, 150, 60, 40]},
                # a band across the lower chest whose surround is mostly heart (NIH draws atelectasis so)
                {"id": 3, "image_id": 1, "category_id": 3, "bbox": [106, 300, 287, 60]}]}
    (tmp_path / "annotations.json").write_text(json.dumps(coco))
    config = parse_config({"sources": [{"name": "s", "reader": "coco", "path": str(tmp_path / "annotations.json"),
                                        "modality": "xray", "body_part": "chest"}]})
    reader = make_reader(config.sources[0], config)
    [sample] = list(reader.read(reader.list_items()[0]))
    sample.spacing_mm = (0.7, 0.7)
    apply_experts(sample, "auto", {})  # the chest expert outlines lungs and heart around the annotations
    ground_sample(sample, GroundingConfig())
    by_label = {roi.label: roi for roi in sample.rois}
    assert by_label["mass"].origin == BOX_ORIGIN and by_label["mass"].shape == ""
    assert (by_label["mass"].largest_diameter_mm, by_label["mass"].perpendicular_diameter_mm) == (42.0, 28.0)
    band = by_label["atelectasis"]  # over half the heart's area: drawn over the heart, not in it
    heart = next(roi for roi in sample.context_rois if roi.label == "heart")
    assert band.area_px > 0.5 * heart.area_px and band.containing_organ == "" and "heart" in band.overlies
    # what each box is drawn over, against the expert's own outlines (which the boxes' paint hides in the label map)
    outlines = {region.label: region.mask for region in make_expert("chest_xray").segment(sample)}
    for box in (band, by_label["mass"]):
        x0, y0, x1, y1 = box.bbox_xyxy
        shares = {organ: float(mask[y0:y1, x0:x1].mean()) for organ, mask in outlines.items()}
        assert {organ for organ, share in shares.items() if share >= 0.3} <= {*box.overlies, box.containing_organ}
        assert all(shares[organ] >= 0.05 for organ in box.overlies), (box.label, box.overlies, shares)
        assert not set(box.overlies) & set(box.neighbours)  # drawn over an organ is not beside it
    # a band from one lung to the other: on both sides, not "in the midline" (its centre's side)
    assert band.patient_side == "both" and by_label["mass"].patient_side == "left"
    from medtrinity.generation.backends import make_backend

    text = make_backend("composer").describe(sample).text
    band_sentence = next(s for s in re.split(r"(?<=\.) ", text) if "box labelled atelectasis" in s and "mm" in s)
    assert "across" in band_sentence and "midline" not in band_sentence.replace("across the midline", ""), text
    nodule = by_label["nodule"]
    assert nodule.origin == "provided" and nodule.shape == "round" and nodule.area_mm2 is not None
    assert nodule.largest_diameter_mm == pytest.approx(28.0, abs=1.5)  # a 40 px circle at 0.7 mm


def test_a_label_in_two_boxes_takes_the_largest_box_and_no_outline_measure(tmp_path, shared_data):
    """Two separate boxes of one non-finding label (an organ-kind ROI in two pieces): the larger box's sides,
    the piece count, and still no shape, area or intensity (the pieces path once measured the box's outline)."""
    image = cv2.imread(str(shared_data / "nih_cxr14" / "00000001_000.png"), cv2.IMREAD_GRAYSCALE)
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), image)
    coco = {"images": [{"id": 1, "file_name": "a.png", "width": 512, "height": 512}],
            "categories": [{"id": 1, "name": "calcification"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [100, 150, 40, 30]},
                            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [330, 200, 60, 50]}]}
    (tmp_path / "annotations.json").write_text(json.dumps(coco))
    config = parse_config({"sources": [{"name": "s", "reader": "coco", "path": str(tmp_path / "annotations.json"),
                                        "modality": "xray", "body_part": "chest", "findings": []}]})
    reader = make_reader(config.sources[0], config)
    [sample] = list(reader.read(reader.list_items()[0]))
    sample.spacing_mm = (0.7, 0.7)
    sample.patient_orientation = ("L", "F")  # a frontal radiograph as displayed
    ground_sample(sample, GroundingConfig())
    [roi] = sample.rois
    assert (roi.kind, roi.origin, roi.pieces) == ("organ", BOX_ORIGIN, 2)
    assert roi.patient_side == "both"  # one box on each side of the chest
    assert (roi.largest_diameter_mm, roi.perpendicular_diameter_mm) == (42.0, 35.0)
    assert (roi.shape, roi.circularity, roi.area_mm2, roi.intensity_word, roi.mean_intensity) == ("", None, None, "",
                                                                                                   None)


def test_a_model_is_told_only_the_box(nih_box_run):
    """The prompt a description model gets says the region is only a box and gives its sides, nothing else."""
    from medtrinity.generation.prompt import roi_line
    from medtrinity.records import ROI

    _, row = nih_box_run
    values = next(roi for roi in row["rois"] if roi["label"] == "mass")
    fields = set(ROI.__dataclass_fields__)
    roi = ROI(**{key: value for key, value in values.items() if key in fields and key != "measurements"})
    line = roi_line(1, roi)
    assert "outline: only a box drawn around it" in line and "box: 46.0 mm x 43.3 mm" in line
    assert not any(word in line for word in ("size:", "shape:", "margin:", "intensity:", "texture:", "mm2"))
