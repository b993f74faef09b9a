"""How well the perceptual hash finds altered copies, and how often it confuses distinct images.

On the VQA-RAD images (../shared/data or $MEDTRINITY_DATA): the share of altered copies found at
the default threshold (4 of 64 bits), per alteration, and the closest distance between distinct
images. Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/dedup_robustness.py
"""

from __future__ import annotations

import itertools
import sys

import cv2
import numpy as np

from medtrinity.datapaths import shared_data_dir
from medtrinity.io.hashes import hamming, perceptual_hash
from medtrinity.io.images import read_image

THRESHOLD_BITS = 4


def alterations(grey: np.ndarray) -> dict[str, np.ndarray]:
    height, width = grey.shape
    margin = int(0.03 * height)
    _ok, jpeg = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return {
        "JPEG quality 60": cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE),
        "resized to 50%": cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
        "brightness +10": np.clip(grey.astype(int) + 10, 0, 255).astype(np.uint8),
        "cropped 3% each side": grey[margin:height - margin, margin:width - margin],
    }


def main() -> None:
    data = shared_data_dir()
    if data is None:
        sys.exit("shared data folder not found: set MEDTRINITY_DATA")
    paths = sorted((data / "vqa_rad" / "images").glob("*"))
    hashes, distances = [], {}
    for path in paths:
        image = read_image(str(path))
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        code = perceptual_hash(grey)
        hashes.append(code)
        for name, altered in alterations(grey).items():
            distances.setdefault(name, []).append(hamming(code, perceptual_hash(altered)))
    print(f"{len(paths)} VQA-RAD images, threshold {THRESHOLD_BITS} bits of 64")
    print(f"{'alteration':<24}{'found':>8}{'median bits':>13}{'max bits':>10}")
    for name, values in distances.items():
        values = np.asarray(values)
        print(f"{name:<24}{(values <= THRESHOLD_BITS).mean():>8.1%}{np.median(values):>13.0f}{values.max():>10}")
    pairs = [hamming(a, b) for a, b in itertools.combinations(hashes, 2)]
    false = sum(1 for value in pairs if value <= THRESHOLD_BITS)
    print(f"distinct pairs: {len(pairs)}, closest {min(pairs)} bits, {false} within the threshold")


if __name__ == "__main__":
    main()
