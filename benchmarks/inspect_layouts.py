"""How long `medtrinity inspect` takes to recognise a folder now that it asks every registered reader.

Builds folders in a temporary directory (2D images with masks, an ImageFolder tree, plain images, a DICOM
series beside PNGs, a folder of unknown files), then times ``build_config`` on each (median of a few runs)
and on every folder of the shared data. Prints milliseconds; asserts nothing.
Run: .venv/bin/python benchmarks/inspect_layouts.py [--images 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from medtrinity.datapaths import shared_data_dir
from medtrinity.inspect import build_config
from medtrinity.synthetic_dicom import write_ct_series


def _png(path: Path, value: int = 80) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((16, 16), value, np.uint8))


def build(root: Path, images: int) -> dict[str, Path]:
    """Folders in several layouts, ``images`` files each."""
    for index in range(images):
        _png(root / "masks_layout" / "images" / f"i{index:05d}.png")
        _png(root / "masks_layout" / "masks" / f"i{index:05d}.png", 1)
        _png(root / "class_tree" / f"class{index % 4}" / f"i{index:05d}.png")
        _png(root / "plain" / f"i{index:05d}.png")
        (root / "unknown").mkdir(exist_ok=True)
        (root / "unknown" / f"f{index:05d}.bin").write_bytes(b"\x00" * 200)
    write_ct_series(root / "dicom_and_png" / "series")
    for index in range(images // 4):
        _png(root / "dicom_and_png" / "snapshots" / f"s{index:05d}.png")
    return {name: root / name for name in ("masks_layout", "class_tree", "plain", "dicom_and_png", "unknown")}


def timed_ms(path: Path, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        build_config([path])
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    build_config([Path(__file__)])  # import every reader module once, outside the timings
    with tempfile.TemporaryDirectory() as folder:
        built = build(Path(folder), args.images)
        print(f"inspect over built folders ({args.images} files each), median of {args.repeats}:")
        for name, path in built.items():
            readers = [source["reader"] for source in build_config([path])[0]["sources"]]
            print(f"  {name:15s} {timed_ms(path, args.repeats):8.1f} ms  -> {readers or 'no source'}")
    data = shared_data_dir()
    if data is None:
        print("shared data folder not found: set MEDTRINITY_DATA for the real folders")
        return
    print("inspect over the shared data folders:")
    for path in sorted(p for p in data.iterdir() if p.is_dir()):
        print(f"  {path.name:18s} {timed_ms(path, args.repeats):8.1f} ms")


if __name__ == "__main__":
    main()
