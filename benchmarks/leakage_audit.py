"""Leakage audit figures on VQA-RAD: how well each check separates altered copies from distinct images, and speed.

For the 203 VQA-RAD test images (the evaluation set) and the 112 training-only images (distinct
images of the same kind): the perceptual-hash distance and embedding similarity of altered copies
of test images, and of the distinct images, to their nearest evaluation image; the time to index
the set and to check one row. Prints figures; asserts nothing.
Run: .venv/bin/python benchmarks/leakage_audit.py
"""

from __future__ import annotations

import json
import sys
import time

import cv2
import numpy as np

from medtrinity.datapaths import shared_data_dir
from medtrinity.evaluation.evaluation_images import evaluation_set
from medtrinity.evaluation.leakage import (
    DEFAULT_MIN_SIMILARITY,
    DEFAULT_PHASH_BITS,
    _SetIndex,
    embedding_backend,
    grey_of,
    image_embedding,
)
from medtrinity.io.hashes import perceptual_hash
from medtrinity.io.images import read_image


def alterations(grey: np.ndarray) -> dict[str, np.ndarray]:
    height, width = grey.shape
    margin_y, margin_x = int(0.04 * height), int(0.04 * width)
    _ok, jpeg = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return {
        "JPEG quality 60": cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE),
        "resized to 40%": cv2.resize(grey, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA),
        "mirrored": grey[:, ::-1],
        "cropped 4% each side": grey[margin_y:height - margin_y, margin_x:width - margin_x],
        "mirrored + cropped 4%": grey[margin_y:height - margin_y, margin_x:width - margin_x][:, ::-1],
    }


def nearest(index: _SetIndex, grey: np.ndarray) -> tuple[int, float]:
    code = perceptual_hash(cv2.resize(grey, None, fx=min(1.0, 512 / max(grey.shape)),
                                      fy=min(1.0, 512 / max(grey.shape)), interpolation=cv2.INTER_AREA))
    bits = int(np.bitwise_count(index.codes ^ np.uint64(code)).min())
    scores, _ = index.index.search(image_embedding(grey)[None, :], 1)
    return bits, float(scores[0, 0])


def main() -> None:
    data = shared_data_dir()
    if data is None:
        sys.exit("shared data folder not found: set MEDTRINITY_DATA")
    faiss, note = embedding_backend()
    if faiss is None:
        sys.exit(note)
    vqa_rad = data / "vqa_rad"
    started = time.perf_counter()
    index = _SetIndex(evaluation_set(vqa_rad / "testset.json"), faiss)
    print(f"indexed {len(index.names)} VQA-RAD test images ({index.index.ntotal} embeddings) "
          f"in {time.perf_counter() - started:.1f} s")
    test = sorted({r["image_name"] for r in json.loads((vqa_rad / "testset.json").read_text())})
    train_only = sorted({r["image_name"] for r in json.loads((vqa_rad / "trainset.json").read_text())} - set(test))
    figures: dict[str, list[tuple[int, float]]] = {}
    started = time.perf_counter()
    checks = 0
    for name in test:
        grey = grey_of(read_image(str(vqa_rad / "images" / name)))
        for alteration, altered in alterations(grey).items():
            figures.setdefault(alteration, []).append(nearest(index, altered))
            checks += 1
    for name in train_only:
        figures.setdefault("distinct (train-only)", []).append(
            nearest(index, grey_of(read_image(str(vqa_rad / "images" / name)))))
        checks += 1
    elapsed = time.perf_counter() - started
    print(f"thresholds: pHash <= {DEFAULT_PHASH_BITS} bits, embedding >= {DEFAULT_MIN_SIMILARITY}")
    print(f"{'copy':<26}{'n':>5}{'pHash found':>13}{'embed found':>13}{'either':>9}{'min sim':>9}{'max sim':>9}")
    for name, values in figures.items():
        bits = np.array([v[0] for v in values])
        sims = np.array([v[1] for v in values])
        phash, embed = bits <= DEFAULT_PHASH_BITS, sims >= DEFAULT_MIN_SIMILARITY
        print(f"{name:<26}{len(values):>5}{phash.mean():>13.1%}{embed.mean():>13.1%}{(phash | embed).mean():>9.1%}"
              f"{sims.min():>9.3f}{sims.max():>9.3f}")
    print(f"{checks} lookups (decode + hash + embedding + search) in {elapsed:.1f} s: "
          f"{1000 * elapsed / checks:.1f} ms each")


if __name__ == "__main__":
    main()
