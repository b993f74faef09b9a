"""ROIs measured per second per core on 512x512 CT slices (masks -> ROIs with every measurement).

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/roi_measurement.py
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from medtrinity.config import GroundingConfig
from medtrinity.grounding.rois import ground_sample
from medtrinity.records import Sample


def synthetic_slice(rng: np.random.Generator, lesions: int) -> Sample:
    pixels = rng.normal(40, 10, (512, 512)).astype(np.float32)
    labels = np.zeros((512, 512), dtype=np.int32)
    cv2.ellipse(labels, (200, 250), (120, 100), 0, 0, 360, 1, -1)   # liver
    cv2.ellipse(labels, (380, 260), (50, 70), 0, 0, 360, 2, -1)     # spleen
    pixels[labels == 1] = 100
    for _ in range(lesions):
        center = (int(rng.integers(120, 280)), int(rng.integers(180, 320)))
        cv2.circle(labels, center, int(rng.integers(4, 20)), 3, -1)
    pixels[labels == 3] = 45
    return Sample(id=str(lesions), source="bench", case_id="c", modality="ct", body_part="abdomen",
                  pixels=pixels, spacing_mm=(0.7, 0.7), patient_orientation=("L", "P"), intensity_unit="HU",
                  label_map=labels, label_names={1: "liver", 2: "spleen", 3: "liver lesion"},
                  finding_labels=frozenset({"liver lesion"}))


def main() -> None:
    rng = np.random.default_rng(0)
    samples = [synthetic_slice(rng, lesions=1 + index % 4) for index in range(200)]
    settings = GroundingConfig()
    started = time.perf_counter()
    rois = sum(len(ground_sample(sample, settings).rois) + len(sample.context_rois) for sample in samples)
    seconds = time.perf_counter() - started
    print(f"{len(samples)} slices of 512x512, {rois} ROIs (lesions + organ context) in {seconds:.2f} s")
    print(f"{rois / seconds:.0f} ROIs/s on one core, {len(samples) / seconds:.0f} slices/s")


if __name__ == "__main__":
    main()
