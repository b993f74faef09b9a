"""The whole pipeline against its I/O floor on clinical-size inputs, per stage, with 1 and 2 workers.

Inputs are built from the shared TotalSegmentator example (CT 122x101x30 at 3 mm with its
41-label mask) resampled to clinical sizes, with seeded noise so that volumes differ, plus a 2D
chest X-ray set made from the two NIH ChestX-ray14 images (flipped and shifted copies, one box
each). The floor is the work every sample must do (the issue's "decode, measure, encode"), measured
in the same process right before the runs: decode the file, window or scale, resize to the stored
size, measure each label of a slice (pixel count, centre and box of every label, in one pass over
the slice) and PNG-encode each emitted slice, with the pipeline's own functions (so a faster
decoder, encoder or measuring pass lowers the floor too). The measuring pass is also timed alone
and the ratio to the floor without it printed, as before session 10. Beside it, the same work done
with plain tools (nibabel's own read, numpy's bincount and SciPy's find_objects, OpenCV's PNG
codec): what a plain script pays, a fixed reference when the pipeline gets faster. A radiograph's
box needs no pass over pixels to be measured, so the X-ray floor has no measuring step. Everything runs with
OpenCV single-threaded (one core per worker, as the shard runner does). The machine may be shared:
each measurement is repeated (``--repeats``) and the best (fastest) one is reported, with the load
average. Worker scaling is the best 2-worker rate over the best 1-worker rate. Prints figures;
asserts nothing.

Run: PYTHONPATH=src python benchmarks/pipeline_vs_floor.py [--quick] [--workers 1 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import cv2
import nibabel as nib
import numpy as np
from scipy.ndimage import find_objects

from medtrinity.allocator import keep_freed_memory
from medtrinity.config import parse_config
from medtrinity.grounding.regions import label_extents
from medtrinity.io.images import read_image
from medtrinity.io.png import encode_png
from medtrinity.preprocess.resize import fit_scale, resize_image
from medtrinity.preprocess.windowing import apply_window, ct_window_for, percentile_scale
from medtrinity.runner import run_pipeline
from medtrinity.sources.nifti import load_nifti, to_lps_zyx
from medtrinity.sources.volume import select_slices

DATA = Path(os.environ.get("MEDTRINITY_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
TOTALSEG = DATA / "totalsegmentator"
CXR = DATA / "nih_cxr14"
# organs kept for the few-label sets (TotalSegmentator values): spleen, kidneys, liver, stomach
FEW_LABELS = (1, 2, 3, 5, 6)
# what the plain-tools floor uses, for images (False) and for volumes (True)
PLAIN_TOOLS = {False: "OpenCV's decoder and PNG codec",
               True: "nibabel's own read, numpy/SciPy label measures, OpenCV's PNG codec"}


def _resample(volume: np.ndarray, shape: tuple[int, int, int], order: int) -> np.ndarray:
    from scipy.ndimage import zoom

    factors = [target / current for target, current in zip(shape, volume.shape, strict=True)]
    return zoom(volume, factors, order=order, mode="nearest", grid_mode=True)


def build_ct_set(folder: Path, name: str, shape_xyz: tuple[int, int, int], count: int, few_labels: bool) -> dict:
    """``count`` CT volumes of ``shape_xyz`` with the TotalSegmentator labels (all 41, or 5 organs)."""
    image = nib.load(TOTALSEG / "example_ct_sm.nii.gz")
    labels = nib.load(TOTALSEG / "example_seg.nii.gz")
    ct = _resample(np.asarray(image.dataobj, dtype=np.float32), shape_xyz, order=1)
    seg = _resample(np.asarray(labels.dataobj, dtype=np.uint8), shape_xyz, order=0)
    if few_labels:
        seg = np.where(np.isin(seg, FEW_LABELS), seg, 0).astype(np.uint8)
    affine = image.affine.copy()
    for axis in range(3):
        affine[:3, axis] *= image.shape[axis] / shape_xyz[axis]
    (folder / name / "images").mkdir(parents=True)
    (folder / name / "labels").mkdir(parents=True)
    rng = np.random.default_rng(14)
    for case in range(count):
        noisy = np.rint(ct + rng.normal(0.0, 12.0, ct.shape)).astype(np.int16)
        nib.save(nib.Nifti1Image(noisy, affine), folder / name / "images" / f"case{case:02d}.nii.gz")
        nib.save(nib.Nifti1Image(seg, affine), folder / name / "labels" / f"case{case:02d}.nii.gz")
    return {"name": name, "reader": "nifti", "path": str(folder / name / "images"),
            "labels": str(folder / name / "labels"), "label_map": str(TOTALSEG / "label_map_total.json"),
            "modality": "ct", "body_part": "abdomen"}


def build_xray_set(folder: Path, count: int) -> dict:
    """``count`` 1024x1024 chest radiographs (NIH CXR14 images flipped and shifted), one box each, in two shards.

    A shard's files cost ~3 ms CPU whatever it holds (Parquet, checksums, marker): at a real 2D
    collection's hundreds to thousands of images a shard that is nothing a sample; two shards keep
    the 2-worker comparison (8 images a shard, as before session 5, added ~0.4 ms a sample).
    """
    root = folder / "cxr"
    root.mkdir()
    originals = [cv2.resize(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (1024, 1024), interpolation=cv2.INTER_CUBIC)
                 for path in sorted(CXR.glob("*.png"))]  # the shared copies are 512x512, CXR14 ships 1024x1024
    rows = []
    for number in range(count):
        image = originals[number % len(originals)]
        image = np.roll(image, shift=(number // 2) * 7, axis=1)
        if number % 4 >= 2:
            image = image[:, ::-1]
        name = f"cxr{number:03d}.png"
        cv2.imwrite(str(root / name), np.ascontiguousarray(image))
        rows.append({"Image Index": name, "Finding Labels": "Cardiomegaly", "x": 380, "y": 480, "w": 300, "h": 260})
    with open(folder / "cxr_labels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["Image Index", "Finding Labels"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with open(folder / "cxr_boxes.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Image Index", "Finding Label", "Bbox [x", "y", "w", "h]"])
        writer.writerows([[r["Image Index"], r["Finding Labels"], r["x"], r["y"], r["w"], r["h"]] for r in rows])
    return {"name": "cxr", "reader": "csv_labels", "path": str(root), "labels": str(folder / "cxr_labels.csv"),
            "modality": "xray", "body_part": "chest", "files_per_shard": max(1, (count + 1) // 2),
            "options": {"boxes": str(folder / "cxr_boxes.csv")}}


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (spawned workers): a figure a busy machine
    inflates far less than wall time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_floor(floor, source: dict, config, plain: bool = False, measure: bool = True
                ) -> tuple[int, float, float, float]:
    """(samples, wall seconds, CPU seconds, wall seconds measuring) of one floor measurement."""
    cpu = cpu_seconds()
    count, seconds, measuring = floor(source, config, plain, measure)
    return count, seconds, cpu_seconds() - cpu, measuring


def _plain_nifti(path: str) -> tuple[np.ndarray, np.ndarray]:
    """nibabel's own read (Python's gzip), as a plain script does it."""
    image = nib.load(path)
    return np.asarray(image.dataobj), image.affine


def _plain_png(image: np.ndarray) -> bytes:
    """OpenCV's PNG encoder with its default setting."""
    return cv2.imencode(".png", image)[1].tobytes()


def _plain_measure(label_map: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Each label's pixel count, sums of x and of y, and box, as a plain script gets them: numpy's bincount
    (with the coordinates as weights) and SciPy's find_objects."""
    flat = label_map.ravel()
    size = int(flat.max()) + 1
    rows, columns = np.indices(label_map.shape)
    counts = np.bincount(flat, minlength=size)
    sums_x = np.bincount(flat, weights=columns.ravel(), minlength=size)
    sums_y = np.bincount(flat, weights=rows.ravel(), minlength=size)
    return counts, sums_x, sums_y, find_objects(label_map)


def floor_volume_ms(source: dict, config, plain: bool = False, measure: bool = True) -> tuple[int, float, float]:
    """(slices, seconds, of them measuring): read each volume, then window, resize, measure the labels of and
    PNG-encode the slices the policy picks.

    ``plain``: with nibabel's own read, a contiguous copy of each reoriented volume, numpy/SciPy label
    measures and OpenCV's PNG encoder (what a plain script pays) instead of the pipeline's own functions.
    ``measure``: False leaves the measuring pass out (the floor before session 10).
    """
    load, encode = (_plain_nifti, _plain_png) if plain else (load_nifti, encode_png)
    measure_labels = _plain_measure if plain else label_extents
    measuring = 0.0
    center, width = ct_window_for(config.preprocess.ct_window, source["body_part"])
    slices, started = 0, time.perf_counter()
    for path in sorted(Path(source["path"]).glob("*.nii.gz")):
        data, affine = load(str(path))
        label_data, label_affine = load(str(Path(source["labels"]) / path.name))
        volume, _ = to_lps_zyx(data, affine)
        labels, _ = to_lps_zyx(label_data, label_affine)
        if plain:
            volume, labels = np.ascontiguousarray(volume), np.ascontiguousarray(labels)
        has_roi = np.any(labels != 0, axis=(1, 2))
        for index in select_slices(has_roi, config.slicing.without_roi_fraction, None, path.name):
            image = apply_window(volume[index], center, width)
            scale = fit_scale(image.shape[0], image.shape[1], config.preprocess.max_size_px)
            if measure:
                before = time.perf_counter()
                measure_labels(labels[index])
                measuring += time.perf_counter() - before
            encode(resize_image(image, scale) if scale != 1.0 else image)
            slices += 1
    return slices, time.perf_counter() - started, measuring


def floor_images_ms(source: dict, config, plain: bool = False, measure: bool = True) -> tuple[int, float, float]:
    """(images, seconds, 0.0): decode each image, scale to 8 bits, resize, PNG-encode (``plain``: OpenCV's
    decoder and encoder). A box is measured by arithmetic alone: no measuring pass (``measure`` changes
    nothing)."""
    encode = _plain_png if plain else encode_png
    decode = (lambda path: cv2.imread(path, cv2.IMREAD_UNCHANGED)) if plain else read_image
    count, started = 0, time.perf_counter()
    for path in sorted(Path(source["path"]).glob("*.png")):
        image = percentile_scale(decode(str(path)), *config.preprocess.percentiles)
        scale = fit_scale(image.shape[0], image.shape[1], config.preprocess.max_size_px)
        encode(resize_image(image, scale) if scale != 1.0 else image)
        count += 1
    return count, time.perf_counter() - started, 0.0


def run_set(source: dict, workers: int, out: Path) -> tuple[float, dict, int, float]:
    """(wall seconds, stats.json, samples read, CPU seconds incl. workers) of one pipeline run over ``source``."""
    # the X-ray copies are flipped and shifted versions of two images: near-duplicate finding would drop most
    config = parse_config({"sources": [source], "preprocess": {"duplicates": "exact"}})
    cpu, started = cpu_seconds(), time.perf_counter()
    run_pipeline(config, out, workers=workers, overwrite=True)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    stats = json.loads((out / "stats.json").read_text())
    stats["parquet_bytes"] = sum(path.stat().st_size for path in (out / "triplets").glob("*.parquet"))
    return seconds, stats, stats["stages"]["read"]["out"], cpu


def report(name: str, source: dict, workers_list: list[int], folder: Path, repeats: int) -> dict:
    config = parse_config({"sources": [source]})
    floor = floor_volume_ms if source["reader"] == "nifti" else floor_images_ms
    floors = [timed_floor(floor, source, config) for _ in range(repeats)]
    count = floors[0][0]
    floor_ms = 1000.0 * min(f[1] for f in floors) / max(count, 1)
    floor_cpu_ms = 1000.0 * min(f[2] for f in floors) / max(count, 1)
    measure_ms = 1000.0 * min(f[3] for f in floors) / max(count, 1)
    io_ms = 1000.0 * min(timed_floor(floor, source, config, measure=False)[1] for _ in range(repeats)) / max(count, 1)
    plains = [timed_floor(floor, source, config, True) for _ in range(repeats)]
    plain_ms = 1000.0 * min(f[1] for f in plains) / max(count, 1)
    plain_measure_ms = 1000.0 * min(f[3] for f in plains) / max(count, 1)
    steps = "decode, window, resize, measure, PNG" if measure_ms else "decode, scale, resize, PNG"
    print(f"\n## {name}: floor {floor_ms:.1f} ms/sample wall, {floor_cpu_ms:.1f} ms CPU, over {count} samples "
          f"({steps}; best of {repeats}"
          + (f"; measuring {measure_ms:.2f} ms, the floor without it {io_ms:.1f} ms" if measure_ms else "") + "); "
          f"with plain tools ({PLAIN_TOOLS[source['reader'] == 'nifti']}) {plain_ms:.1f} ms"
          + (f" (measuring {plain_measure_ms:.2f} ms)" if measure_ms else ""))
    result = {"floor_ms": round(floor_ms, 2), "floor_cpu_ms": round(floor_cpu_ms, 2),
              "measure_ms": round(measure_ms, 3), "floor_without_measure_ms": round(io_ms, 2),
              "plain_floor_ms": round(plain_ms, 2), "plain_measure_ms": round(plain_measure_ms, 3),
              "samples": count, "repeats": repeats,
              "load_average": round(os.getloadavg()[0], 2), "runs": {}}
    for workers in workers_list:
        runs = [run_set(source, workers, folder / f"out-{name}-{workers}") for _ in range(repeats)]
        seconds, stats, samples, _ = min(runs, key=lambda run: run[0])
        cpu_ms = 1000.0 * min(run[3] for run in runs) / max(samples, 1)
        order = stats.get("stage_order") or list(stats["stages"])
        # every stage's time over the samples read, so the sum is comparable with the floor's per-sample cost
        per_stage = {stage: 1000.0 * stats["stages"][stage]["seconds"] / max(samples, 1) for stage in order}
        total = sum(per_stage.values())
        rate = samples / seconds
        result["runs"][workers] = {"wall_s": round(seconds, 2), "samples_per_s": round(rate, 2),
                                   "stage_ms": {k: round(v, 2) for k, v in per_stage.items()},
                                   "total_ms": round(total, 2), "ratio_to_floor": round(total / floor_ms, 2),
                                   "ratio_to_floor_without_measure": round(total / io_ms, 2),
                                   "ratio_to_plain_floor": round(total / plain_ms, 2),
                                   "bytes_per_row": round(stats["parquet_bytes"] / max(stats["triplets"], 1)),
                                   "cpu_ms": round(cpu_ms, 2), "cpu_ratio_to_floor": round(cpu_ms / floor_cpu_ms, 2)}
        print(f"{workers} worker(s): {samples} samples ({stats['triplets']} triplets) in {seconds:.1f} s = "
              f"{rate:.1f} samples/s wall, {stats['parquet_bytes'] / max(stats['triplets'], 1) / 1024:.0f} KiB/row; "
              f"stages {total:.1f} ms/sample = {total / floor_ms:.2f}x floor ({total / io_ms:.2f}x it without "
              f"measuring, {total / plain_ms:.2f}x the plain-tools floor); whole run {cpu_ms:.1f} ms CPU/sample "
              f"= {cpu_ms / floor_cpu_ms:.2f}x the floor's CPU")
        if workers == workers_list[0]:
            print(f"  {'stage':<12}{'ms/sample':>10}{'x floor':>9}")
            for stage, value in per_stage.items():
                print(f"  {stage:<12}{value:>10.2f}{value / floor_ms:>9.2f}")
    if len(workers_list) > 1:
        first = result["runs"][workers_list[0]]
        for workers in workers_list[1:]:
            other = result["runs"][workers]
            speedup = other["samples_per_s"] / first["samples_per_s"]
            result["runs"][workers]["speedup"] = round(speedup, 2)
            # CPU per sample grows with more workers (their start-up, shared caches); with a free core per
            # worker the wall-clock speed-up is about workers x (CPU per sample, 1 worker / CPU per sample, N)
            expected = workers / workers_list[0] * first["cpu_ms"] / other["cpu_ms"]
            result["runs"][workers]["speedup_if_cores_free"] = round(expected, 2)
            print(f"  scaling {workers_list[0]} -> {workers} workers (best of {repeats} each): "
                  f"{first['samples_per_s']:.1f} -> {other['samples_per_s']:.1f} samples/s = {speedup:.2f}x "
                  f"(ideal {workers / workers_list[0]:.0f}x on {os.cpu_count()} cores, load average now "
                  f"{os.getloadavg()[0]:.1f}); CPU per sample {first['cpu_ms']:.1f} -> {other['cpu_ms']:.1f} ms: "
                  f"{expected:.2f}x expected with a free core per worker")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sets (for a check that it runs)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    all_sets = ["ct512x120x41", "ct512x60x41", "ct384x80x5", "cxr1024"]
    parser.add_argument("--sets", nargs="+", default=all_sets, choices=all_sets)
    parser.add_argument("--volumes", type=int, default=4, help="volumes per CT set (one shard each)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement; the fastest is kept")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # one core: the floor and the in-process 1-worker run (shards set it themselves too)
    # the floor runs under the allocator setting a shard runs under (freed memory kept for reuse): set once per
    # process by the first shard, it used to speed up only the floors measured after a first in-process run
    kept = keep_freed_memory()
    if not TOTALSEG.is_dir() or not CXR.is_dir():
        raise SystemExit(f"shared data not found under {DATA} (set MEDTRINITY_DATA)")
    volumes = 1 if args.quick else args.volumes
    builders = {
        "ct512x120x41": lambda f: build_ct_set(f, "ct512x120x41", (512, 512, 40 if args.quick else 120), volumes,
                                               False),
        "ct512x60x41": lambda f: build_ct_set(f, "ct512x60x41", (512, 512, 60), volumes, False),
        "ct384x80x5": lambda f: build_ct_set(f, "ct384x80x5", (384, 384, 80), volumes, True),
        "cxr1024": lambda f: build_xray_set(f, 8 if args.quick else 96),
    }
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}; freed memory kept for "
          f"reuse (floor and pipeline alike): {'yes' if kept else 'no (MEDTRINITY_KEEP_FREED_MEMORY=0 or not glibc)'}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="mt-floor-") as folder:
        for name in args.sets:
            source = builders[name](Path(folder))
            results[name] = report(name, source, args.workers, Path(folder), max(1, args.repeats))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
