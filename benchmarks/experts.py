"""Each offline expert against masks it did not see: Dice or detection rate per structure, time per image.

Data (../shared/data or $MEDTRINITY_DATA): the TotalSegmentator abdominal CT with its organ labels
(lungs, bones: Dice per axial slice), the SAM-Med2D chest CT slice PNG (lung lobes, ribs, vertebra;
windowed PNG without HU, read back with an assumed soft-tissue window), the NIH ChestX-ray14 images
(cardiothoracic ratio against the Cardiomegaly label; the box list's lung zones where a box's image is
present), VQA-RAD's chest films (the ratio against its clinicians' yes/no answers on heart size), the
fundus photograph and the microaneurysm crop (positions marked by hand), and, where the shared data
holds no such images (H&E, dermoscopy), images rendered with known truth, marked
"synthetic". Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/experts.py
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from medtrinity.config import parse_config
from medtrinity.datapaths import shared_data_dir
from medtrinity.evaluation.heart_size import heart_size_answers
from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.fundus import lesion_candidates, vessel_map
from medtrinity.grounding.experts.pathology import STAIN_OD_RGB, NucleiOptions, find_nuclei
from medtrinity.records import Sample
from medtrinity.sources import make_reader

BONE = re.compile(r"vertebra|rib|sacrum|hip|femur|sternum|scapula|clavicula|humerus|skull")
ROWS: list[tuple[str, str, str, str, str, str]] = []


def dice(found: np.ndarray, truth: np.ndarray) -> float:
    total = found.sum() + truth.sum()
    return float(2 * (found & truth).sum() / total) if total else 1.0


def report(expert, structure, data, metric, values, seconds_per_image) -> None:
    value = f"{np.mean(values):.3f}" if len(values) else "n/a"
    spread = (f" ({np.min(values):.2f}-{np.max(values):.2f}, n={len(values)})" if len(values) > 1
              else f" (n={len(values)})")
    ROWS.append((expert, structure, data, metric, value + spread, f"{1000 * seconds_per_image:.1f}"))


def _timed(expert, sample) -> tuple[dict, float]:
    started = time.perf_counter()
    found = {region.label: region for region in expert.segment(sample)}
    return found, time.perf_counter() - started


def ct_totalsegmentator(data: Path) -> None:
    folder = data / "totalsegmentator"
    config = parse_config({"sources": [{"name": "ts", "reader": "nifti", "path": str(folder / "example_ct_sm.nii.gz"),
                                        "labels": str(folder / "example_seg.nii.gz"),
                                        "label_map": str(folder / "label_map_total.json"), "modality": "ct"}],
                           "slicing": {"without_roi_fraction": 1.0}})
    reader = make_reader(config.sources[0], config)
    experts = {f"bone >= {hu} HU": make_expert("ct_anatomy", {"bone": True, "bone_hu": hu}) for hu in (250, 150)}
    scores: dict[str, list[float]] = {name: [] for name in experts}
    precision: dict[str, list[int]] = {name: [0, 0] for name in experts}  # bone pixels on / off a bone label
    seconds = []
    for item in reader.list_items():
        for sample in reader.read(item):
            names = sample.label_names
            # the volume is abdominal (no lung label): its bones (vertebrae, ribs) are the truth here
            bone = np.isin(sample.label_map, [v for v, n in names.items() if BONE.search(n)])
            bare = Sample(id="x", source="ts", case_id="c", modality="ct", body_part="", pixels=sample.pixels,
                          patient_orientation=sample.patient_orientation, intensity_unit="HU")
            for name, expert in experts.items():
                found, took = _timed(expert, bare)
                seconds.append(took)
                region = found.get("bone")
                if bone.sum() >= 50:  # slices where bone is really there
                    scores[name].append(dice(region.mask if region else np.zeros_like(bone), bone))
                if region is not None:
                    near = cv2.dilate(bone.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
                    precision[name][0] += int((region.mask & near).sum())
                    precision[name][1] += int((region.mask & ~near).sum())
    per_image = float(np.mean(seconds))
    for name, values in scores.items():
        report("ct_anatomy", name, "TotalSegmentator CT (3 mm, abdominal)", "Dice", values, per_image)
        on, off = precision[name]
        ROWS.append(("ct_anatomy", name, "TotalSegmentator CT (3 mm, abdominal)", "precision (1 voxel tolerance)",
                     f"{on / max(on + off, 1):.3f}", f"{1000 * per_image:.1f}"))


def ct_sam_med2d(data: Path) -> None:
    folder = data / "sam_med2d"
    grey = cv2.imread(str(folder / "images" / "s0114_111.png"), cv2.IMREAD_GRAYSCALE)
    masks = {path.stem[len("s0114_111_"):]: cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 0
             for path in (folder / "masks").glob("s0114_111_*.png")}
    # the PNG holds a windowed slice without HU; read back assuming grey 0..255 spans -1000..1000 HU
    pixels_hu = -1000.0 + grey.astype(np.float32) / 255.0 * 2000.0
    # the slice's own masks put the left lung lobes on the image's left: columns grow to the patient's right
    sample = Sample(id="x", source="sam", case_id="c", modality="ct", body_part="", pixels=pixels_hu,
                    patient_orientation=("R", "P"), intensity_unit="HU")
    expert = make_expert("ct_anatomy", {"bone": True})
    found, took = _timed(expert, sample)
    empty = np.zeros(grey.shape, bool)
    for side in ("right", "left"):
        truth = np.any([mask for name, mask in masks.items() if name.startswith("lung") and side in name], axis=0)
        report("ct_anatomy", f"{side} lung", "SAM-Med2D s0114_111 (PNG, window assumed)", "Dice",
               [dice(found.get(f"{side} lung", type("R", (), {"mask": empty})).mask, truth)], took)
    bones = np.any([mask for name, mask in masks.items() if BONE.search(name)], axis=0)
    report("ct_anatomy", "bone (ribs, vertebra)", "SAM-Med2D s0114_111 (PNG, window assumed)", "Dice",
           [dice(found["bone"].mask if "bone" in found else empty, bones)], took)


def chest_xray(data: Path) -> None:
    folder = data / "nih_cxr14"
    with gzip.open(folder / "Data_Entry_2017_v2020.csv.gz", "rt") as handle:
        labels = {line.split(",")[0]: line.split(",")[1] for line in handle}
    expert = make_expert("chest_xray")
    ratios, correct, seconds = [], [], []
    for path in sorted(folder.glob("*.png")):
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        sample = Sample(id="x", source="nih", case_id="c", modality="xray", body_part="chest", pixels=image,
                        plane="projection", metadata={"ViewPosition": "PA"})
        sample.image = image
        found, took = _timed(expert, sample)
        seconds.append(took)
        ratio = found["heart"].measurements.get("cardiothoracic_ratio", 0.0) if "heart" in found else 0.0
        enlarged = "Cardiomegaly" in labels.get(path.name, "")
        ratios.append(f"{path.name}: CTR {ratio:.3f} ({'Cardiomegaly' if enlarged else 'No Finding'})")
        correct.append(float((ratio > 0.5) == enlarged))
        left = found.get("left lung")
        correct_side = left is not None and np.nonzero(left.mask)[1].mean() > image.shape[1] / 2
        report("chest_xray", "left lung on the image's right", path.name, "detection", [float(correct_side)], took)
    report("chest_xray", "CTR > 0.5 agrees with the Cardiomegaly label", "NIH CXR14 (2 images)", "accuracy",
           correct, float(np.mean(seconds)))
    for line in ratios:
        print("  ", line)
    with gzip.open(folder / "BBox_List_2017.csv.gz", "rt") as handle:
        boxed = {line.split(",")[0] for line in list(handle)[1:]}
    present = [path.name for path in folder.glob("*.png") if path.name in boxed]
    print(f"   NIH box list: {len(boxed)} boxed images, {len(present)} of them in the shared data: "
          "the lung zone of a finding's box cannot be scored against these boxes here")


def vqa_rad_radiographs(data: Path) -> list[str]:
    """VQA-RAD chest images whose own QA names them radiographs (x-ray, plain film, CXR)."""
    folder = data / "vqa_rad"
    answers: dict[str, set[str]] = {}
    for name in ("trainset.json", "testset.json"):
        for qa in json.loads((folder / name).read_text()):
            question = qa["question"].lower()
            if qa["image_organ"] == "CHEST" and any(word in question for word in (
                    "modality", "type of imag", "what kind of image", "how was this image taken")):
                answers.setdefault(qa["image_name"], set()).add(str(qa["answer"]).lower())
    return sorted(name for name, said in answers.items()
                  if any(re.search(r"x-?ray|radiograph|plain film|cxr|xr", text) for text in said))


def _on_vqa_film(expert, data: Path, name: str) -> tuple[dict, float]:
    """The chest expert's regions of one VQA-RAD film (no masks, no spacing, no view recorded) and its time."""
    image = cv2.imread(str(data / "vqa_rad" / "images" / name), cv2.IMREAD_GRAYSCALE)
    sample = Sample(id="x", source="vqa", case_id="c", modality="xray", body_part="chest", pixels=image,
                    plane="projection")
    sample.image = image
    return _timed(expert, sample)


def chest_xray_vqa_rad(data: Path) -> None:
    """How often the chest expert outlines a confident lung pair on other people's radiographs (no masks)."""
    expert = make_expert("chest_xray")
    outlined, seconds = [], []
    for name in vqa_rad_radiographs(data):
        found, took = _on_vqa_film(expert, data, name)
        seconds.append(took)
        outlined.append(float("left lung" in found and found["left lung"].score >= 0.5))
    report("chest_xray", "lung pair outlined with confidence >= 0.5", "VQA-RAD chest radiographs (PA, AP and "
           "lateral mixed)", "rate", outlined, float(np.mean(seconds)))


def chest_xray_heart_size(data: Path) -> None:
    """The cardiothoracic ratio against VQA-RAD's clinicians' yes/no answers on heart size (ratio > 0.5: enlarged)."""
    expert = make_expert("chest_xray")
    agreed, seconds, lines = [], [], []
    for name, enlarged in heart_size_answers(data / "vqa_rad").items():
        found, took = _on_vqa_film(expert, data, name)
        seconds.append(took)
        trusted = "heart" in found and found["heart"].score >= 0.5  # a run keeps regions from 0.5 (the default)
        ratio = found["heart"].measurements.get("cardiothoracic_ratio") if trusted else None
        lines.append(f"{name}: {'enlarged' if enlarged else 'normal'}, CTR "
                     + ("not measured (no confident lung pair)" if ratio is None else f"{ratio:.3f}"))
        if ratio is not None:
            agreed.append(float((ratio > 0.5) == enlarged))
    report("chest_xray", "CTR > 0.5 agrees with clinicians' heart-size answers",
           f"VQA-RAD chest films ({len(lines)} answered, {len(agreed)} measured with confidence >= 0.5)", "accuracy",
           agreed, float(np.mean(seconds)))
    for line in lines:
        print("  ", line)


def fundus(data: Path) -> None:
    image = cv2.cvtColor(cv2.imread(str(data / "fundus" / "retina.jpg")), cv2.COLOR_BGR2RGB)
    sample = Sample(id="x", source="f", case_id="c", modality="fundus", body_part="eye", pixels=image)
    sample.image = image
    found, took = _timed(make_expert("fundus"), sample)
    size = image.shape[1]
    # marked by hand on the photograph (fractions of its width): disc centre and fovea
    marks = {"optic disc": (0.145, 0.45), "macula": (0.5, 0.5)}
    disc_diameter = found["optic disc"].measurements["disc_diameter_px"]
    for structure, (x, y) in marks.items():
        mask = found[structure].mask | (found["optic cup"].mask if structure == "optic disc" else False)
        ys, xs = np.nonzero(mask)
        error = np.hypot(xs.mean() - x * size, ys.mean() - y * size) / disc_diameter
        ROWS.append(("fundus", structure, "retina.jpg", "centre error (disc diameters)", f"{error:.2f}",
                     f"{1000 * took:.1f}"))
    green = cv2.imread(str(data / "fundus" / "microaneurysms.png"), cv2.IMREAD_GRAYSCALE)
    started = time.perf_counter()
    everywhere = np.ones(green.shape, bool)
    red, _bright = lesion_candidates(green, everywhere, vessel_map(green, everywhere), np.zeros(green.shape, bool))
    took = time.perf_counter() - started
    _count, _labels, _stats, centres = cv2.connectedComponentsWithStats(red.astype(np.uint8))
    truth = [(16, 23), (49, 71)]
    hits = [any(np.hypot(cx - x, cy - y) <= 3 for cx, cy in centres[1:]) for x, y in truth]
    false = sum(all(np.hypot(cx - x, cy - y) > 3 for x, y in truth) for cx, cy in centres[1:])
    report("fundus", f"microaneurysms ({false} false candidates)", "microaneurysms.png", "detection rate", hits, took)


def render_he(rng, count: int, size: int = 256):
    haematoxylin = np.zeros((size, size), np.float32)
    eosin = np.zeros((size, size), np.float32)
    cv2.circle(eosin, (size // 2, size // 2), int(size * 0.45), 0.35, -1)
    truth = np.zeros((size, size), np.int32)
    placed = 0
    while placed < count:
        x, y = rng.integers(30, size - 30, 2)
        radius = int(rng.integers(4, 9))
        if truth[max(0, y - radius // 2):y + radius // 2 + 1, max(0, x - radius // 2):x + radius // 2 + 1].any():
            continue  # nuclei may touch and overlap, but no centre lies inside another nucleus
        placed += 1
        cv2.circle(truth, (int(x), int(y)), radius, placed, -1)
    haematoxylin[truth > 0] = 0.9
    density = haematoxylin[..., None] * STAIN_OD_RGB[0] + eosin[..., None] * STAIN_OD_RGB[1]
    rgb = np.clip(256 * 10 ** (-density) - 1 + rng.normal(0, 3, density.shape), 0, 255).astype(np.uint8)
    return rgb, truth


def pathology_synthetic() -> None:
    rng = np.random.default_rng(0)
    errors, scores, seconds = [], [], []
    for _ in range(10):
        rgb, truth = render_he(rng, int(rng.integers(80, 140)))
        started = time.perf_counter()
        _tissue, labels = find_nuclei(rgb, NucleiOptions())
        seconds.append(time.perf_counter() - started)
        errors.append(abs(len(np.unique(labels[labels > 0])) - truth.max()) / truth.max())
        scores.append(dice(labels > 0, truth > 0))
    report("nuclei", "nuclei (pixels)", "synthetic H&E, 10 tiles, touching nuclei", "Dice", scores,
           float(np.mean(seconds)))
    report("nuclei", "nuclei count", "synthetic H&E, 10 tiles, touching nuclei", "relative count error", errors,
           float(np.mean(seconds)))


def dermoscopy_synthetic() -> None:
    rng = np.random.default_rng(1)
    expert = make_expert("skin_lesion")
    scores, diameter_errors, seconds = [], [], []
    for _ in range(10):
        image = np.empty((300, 300, 3), np.float32)
        image[:] = (215, 170, 150)
        truth = np.zeros((300, 300), np.uint8)
        axes = (int(rng.integers(30, 80)), int(rng.integers(25, 60)))
        cv2.ellipse(truth, (150, 150), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        image[truth > 0] = (int(rng.integers(60, 140)), int(rng.integers(40, 90)), int(rng.integers(30, 60)))
        for _hair in range(3):
            start, end = rng.integers(0, 300, 2), rng.integers(0, 300, 2)
            cv2.line(image, (int(start[0]), int(start[1])), (int(end[0]), int(end[1])), (40, 30, 25), 2)
        image = np.clip(image + rng.normal(0, 4, image.shape), 0, 255).astype(np.uint8)
        sample = Sample(id="x", source="d", case_id="c", modality="dermoscopy", body_part="skin", pixels=image,
                        spacing_mm=(0.05, 0.05))
        sample.image = image
        found, took = _timed(expert, sample)
        seconds.append(took)
        lesion = found.get("skin lesion")
        scores.append(dice(lesion.mask if lesion else np.zeros(truth.shape, bool), truth > 0))
        if lesion:
            true_mm = 2 * max(axes) * 0.05
            diameter_errors.append(abs(lesion.measurements["diameter_mm"] - true_mm) / true_mm)
    report("skin_lesion", "lesion border", "synthetic dermoscopy, 10 lesions with hairs", "Dice", scores,
           float(np.mean(seconds)))
    report("skin_lesion", "diameter", "synthetic dermoscopy, 10 lesions", "relative error", diameter_errors,
           float(np.mean(seconds)))


def main() -> None:
    data = shared_data_dir()
    if data is None:
        print("shared data folder not found: set MEDTRINITY_DATA or place it at ../shared/data")
        sys.exit(1)
    for part in (ct_totalsegmentator, ct_sam_med2d, chest_xray, chest_xray_vqa_rad, chest_xray_heart_size, fundus):
        part(data)
    pathology_synthetic()
    dermoscopy_synthetic()
    header = ("expert", "structure", "data", "metric", "value", "ms/image")
    widths = [max(len(str(row[i])) for row in [header, *ROWS]) for i in range(len(header))]
    for row in [header, *ROWS]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
