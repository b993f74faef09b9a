"""Time and memory of the run-wide duplicate pass as the run grows: what the driver pays after the shards.

A run folder of N rows is built straight from Arrow arrays (the real triplet schema; only the
columns the pass reads carry values, plus a small PNG-sized payload so parts have realistic
row groups; ``--payload-bytes``): parts of ``--rows-per-part`` rows, half CT slices (``slice_index`` >= 0: exact
copies only) and half 2D images (near-duplicates too). Planted: 1% exact copies of a row in an
earlier part, 1% near copies of a 2D row (1-3 of 64 perceptual-hash bits flipped), and copies
inside one part (which the pass must keep). Each size runs the pass (``deduplicate_run`` with the
default 4 bits) in a fresh process: wall seconds, peak resident MB and MB above the process's
resident size before the pass, rows removed, and the projection to 25M rows. Then the near
search alone on ``--layout-rows`` 2D hashes, clustered (as radiographs' are) and random: each index
layout's predicted and measured seconds on one thread, and the chosen one on all of numba's threads.
Last, how often real VQA-RAD images share buckets, and the near search projected for 10M and 25M
such images. Prints figures; asserts nothing.

Run: PYTHONPATH=src python benchmarks/run_dedup_scale.py [--sizes 100000 1000000] [--rows-per-part 1000]
     PYTHONPATH=src python benchmarks/run_dedup_scale.py --sizes 20000 --payload-bytes 120000  (rewrite rate)
     PYTHONPATH=src python benchmarks/run_dedup_scale.py --sizes 100000 1000000 3000000 --layout-rows 3000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECTED_ROWS = 25_000_000


def _hex(values: np.ndarray, width: int) -> list[str]:
    """Rows of uint8 bytes as lowercase hex strings of ``width`` characters."""
    return [row.tobytes().hex()[:width] for row in values]


def build(folder: Path, rows: int, rows_per_part: int, payload_bytes: int, seed: int = 7) -> None:
    """Write ``rows`` synthetic triplet rows as parts of ``rows_per_part`` under ``folder/triplets``."""
    import pyarrow as pa

    from medtrinity.io.parquet import write_table_rows
    from medtrinity.run_folder import RunFolder
    from medtrinity.schema import TRIPLET_SCHEMA

    rng = np.random.default_rng(seed)
    digests = rng.integers(0, 256, size=(rows, 32), dtype=np.uint8)
    phashes = rng.integers(0, 256, size=(rows, 8), dtype=np.uint8)
    slice_index = np.where(np.arange(rows) % 2 == 0, np.arange(rows) % 300, -1).astype(np.int32)
    part_of = np.arange(rows) // rows_per_part
    # 1% exact copies of a row at least one part earlier
    later = np.flatnonzero(part_of > 0)
    copies = rng.choice(later, size=min(rows // 100, later.size), replace=False)
    for row in copies:
        source_row = rng.integers(0, part_of[row] * rows_per_part)
        digests[row], phashes[row] = digests[source_row], phashes[source_row]
    # 1% near copies of a 2D row in an earlier part (a new digest, 1-3 hash bits flipped)
    flat = np.flatnonzero((part_of > 0) & (slice_index < 0))
    for row in rng.choice(flat, size=min(rows // 100, flat.size), replace=False):
        candidates = np.flatnonzero(slice_index[:part_of[row] * rows_per_part] < 0)
        phashes[row] = phashes[rng.choice(candidates)]
        for bit in rng.choice(64, size=rng.integers(1, 4), replace=False):
            phashes[row, bit // 8] ^= np.uint8(1 << (bit % 8))
    # copies inside one part: kept by the run-wide pass (the shard's own dedup stage judged them)
    for row in rng.choice(np.flatnonzero(np.arange(rows) % rows_per_part > 0), size=rows // 200, replace=False):
        digests[row], phashes[row] = digests[row - 1], phashes[row - 1]
    ids = _hex(rng.integers(0, 256, size=(rows, 8), dtype=np.uint8), 16)
    sha, phash = _hex(digests, 64), _hex(phashes, 16)
    # random bytes (incompressible, as a PNG is), each row's own by its first 8 bytes; written as the run writes
    payload = b"\x89PNG" + rng.integers(0, 256, size=payload_bytes, dtype=np.uint8).tobytes()
    run = RunFolder(folder)
    run.triplets_dir.mkdir(parents=True, exist_ok=True)
    for index, start in enumerate(range(0, rows, rows_per_part)):
        stop = min(rows, start + rows_per_part)
        count = stop - start
        columns = {
            "id": pa.array(ids[start:stop]), "source": pa.array(["ct" if s >= 0 else "xray"
                                                                  for s in slice_index[start:stop]]),
            "image_png": pa.array([row.to_bytes(8, "little") + payload for row in range(start, stop)], pa.binary()),
            "image_sha256": pa.array(sha[start:stop]), "image_phash": pa.array(phash[start:stop]),
            "slice_index": pa.array(slice_index[start:stop], pa.int32()),
        }
        arrays = [columns.get(field.name, pa.nulls(count, field.type)) for field in TRIPLET_SCHEMA]
        write_table_rows(run.part_path(index), pa.Table.from_arrays(arrays, schema=TRIPLET_SCHEMA))


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(folder: Path) -> dict:
    """In this process: the decisions alone, step by step (keys read, exact copies, near copies, ids looked
    up), then the whole pass. Seconds of each, resident MB before, peak resident MB after the decisions and
    after the pass, rows removed, and the bytes of the part files the pass rewrote."""
    import numpy as np

    from medtrinity.export.run_dedup import deduplicate_run, exact_copy_firsts, near_copy_firsts
    from medtrinity.export.run_keys import RunKeys
    from medtrinity.run_folder import RunFolder, part_index

    run = RunFolder(folder)
    before_mb = _rss_mb()
    steps = {}
    started = time.perf_counter()
    keys = RunKeys.read(run.triplet_parts(), part_index)
    steps["read_s"] = time.perf_counter() - started
    exact = exact_copy_firsts(keys)
    steps["exact_s"] = time.perf_counter() - started - sum(steps.values())
    near = near_copy_firsts(keys, 4, exact >= 0)
    steps["near_s"] = time.perf_counter() - started - sum(steps.values())
    named = np.concatenate([np.flatnonzero(exact >= 0), exact[exact >= 0], np.flatnonzero(near >= 0), near[near >= 0]])
    keys.lookup(named, ["id", "source"])
    steps["lookup_s"] = time.perf_counter() - started - sum(steps.values())
    decide_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    flat_rows = int((keys.slice_index < 0).sum())
    del keys, exact, near, named
    stamps = {path: path.stat().st_mtime_ns for path in run.triplet_parts()}
    started = time.perf_counter()
    counts = deduplicate_run(folder, 4)
    seconds = time.perf_counter() - started
    rewritten = sum(path.stat().st_size for path, stamp in stamps.items() if path.stat().st_mtime_ns != stamp)
    return {**steps, "decide_s": sum(steps.values()), "seconds": seconds, "before_mb": before_mb,
            "decide_peak_mb": decide_peak_mb, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "removed": counts["removed"], "rewritten_mb": rewritten / 2**20, "flat_rows": flat_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rows-per-part", type=int, default=1000)
    parser.add_argument("--payload-bytes", type=int, default=2000,
                        help="image bytes a row (a 512x512 CT slice's PNG is ~120,000)")
    parser.add_argument("--layout-rows", type=int, default=1_000_000,
                        help="2D rows for timing each near-search index layout (0: skip)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        action, folder = args.child
        if action == "build":
            build(Path(folder), int(os.environ["ROWS"]), args.rows_per_part, args.payload_bytes)
        else:
            print(json.dumps(measure(Path(folder))))
        return
    print(f"run-wide duplicate pass, parts of {args.rows_per_part} rows of {args.payload_bytes:,} image bytes, "
          f"half CT slices, half 2D images; decide = read the hash columns + exact copies + near copies + "
          f"look up the ids; pass = decide again + rewrite parts")
    print(f"{'rows':>10} {'parts':>6} {'read s':>7} {'exact s':>8} {'near s':>7} {'lookup s':>9} {'pass s':>7} "
          f"{'MB before':>10} {'peak decide':>12} {'peak pass':>10} {'removed':>8} {'rewritten MB':>13} "
          f"{'rewrite MB/s':>13}")
    figures = []
    for rows in args.sizes:
        with tempfile.TemporaryDirectory(prefix="dedup-scale-") as temporary:
            folder = Path(temporary) / "run"
            command = [sys.executable, __file__, "--rows-per-part", str(args.rows_per_part),
                       "--payload-bytes", str(args.payload_bytes), "--child"]
            subprocess.run([*command, "build", str(folder)], check=True, env={**os.environ, "ROWS": str(rows)})
            result = json.loads(subprocess.run([*command, "pass", str(folder)], check=True, capture_output=True,
                                               text=True).stdout.strip().splitlines()[-1])
        rewrite_s = result["seconds"] - result["decide_s"]
        # the pass decides again before it rewrites: under ~0.1 s the difference is noise, not a rate
        rate_text = f"{result['rewritten_mb'] / rewrite_s:.0f}" if rewrite_s > 0.1 else "-"
        figures.append((rows, result))
        print(f"{rows:>10} {-(-rows // args.rows_per_part):>6} {result['read_s']:>7.1f} {result['exact_s']:>8.1f} "
              f"{result['near_s']:>7.1f} {result['lookup_s']:>9.1f} {result['seconds']:>7.1f} "
              f"{result['before_mb']:>10.0f} {result['decide_peak_mb']:>12.0f} {result['peak_mb']:>10.0f} "
              f"{result['removed']:>8} {result['rewritten_mb']:>13.0f} "
              f"{rate_text:>13}", flush=True)
    if len(figures) >= 2 and figures[-1][0] < 500_000:
        print("(no projection: it needs a largest size of 500,000 rows or more, where fixed costs no longer dominate)")
    elif len(figures) >= 2:
        (small, first), (large, last) = figures[-2], figures[-1]
        bytes_per_row = (last["decide_peak_mb"] - first["decide_peak_mb"]) * 2**20 / (large - small)
        linear_s = last["read_s"] + last["exact_s"] + last["lookup_s"]
        scale = PROJECTED_ROWS / large
        # the near search compares each 2D row with the kept rows of its buckets: it grows with the square
        print(f"for {PROJECTED_ROWS:,} rows of the same mix, from the largest size: "
              f"{last['decide_peak_mb'] + (PROJECTED_ROWS - large) * bytes_per_row / 2**20:,.0f} MB resident "
              f"({bytes_per_row:.0f} bytes a row between the two largest sizes); reading, exact copies and ids "
              f"{linear_s * scale / 60:.1f} min (linear), near copies {last['near_s'] * scale ** 2 / 60:.1f} min "
              f"(quadratic in the {last['flat_rows']:,} 2D rows); then every part holding a removed row is "
              f"rewritten at the rate above")
    if args.layout_rows:
        layouts(args.layout_rows)
    clustering()


def clustered_codes(rng: np.random.Generator, rows: int) -> np.ndarray:
    """uint64 hashes clustered as radiographs' are: each bit differs from one base hash with its own
    probability, spread evenly from 0 to 0.5 (as the per-bit rates of VQA-RAD's chest radiographs are)."""
    base = rng.random(64) < 0.5
    rates = rng.permutation(np.arange(64) + 0.5) / 128
    codes = np.empty(rows, dtype=np.uint64)
    for start in range(0, rows, 250_000):  # a chunk at a time: 64 random floats a row
        bits = np.where(rng.random((min(rows - start, 250_000), 64)) < rates, ~base, base)
        codes[start:start + len(bits)] = (bits.astype(np.uint64) << np.arange(64, dtype=np.uint64)).sum(
            axis=1, dtype=np.uint64)
    return codes


def layouts(rows: int) -> None:
    """The near search's index layouts on clustered and random hashes: predicted against measured seconds on
    one thread (the cost model's terms), then the chosen layout on every thread numba has."""
    import numba

    from medtrinity.export.dedup_kernels import first_near_matches
    from medtrinity.export.near_search import build_plan, candidate_layouts, layout_cost, plan_search
    from medtrinity.export.run_dedup import _band_masks

    threads = numba.get_num_threads()
    print(f"near search index layouts (parts, radius) for {rows:,} 2D rows, 4 bits (shards of 100 rows): "
          f"predicted by near_search's cost model and measured on 1 thread, then the chosen one on {threads}")
    rng = np.random.default_rng(2)
    for kind, codes in (("clustered", clustered_codes(rng, rows)),
                        ("random", rng.integers(0, 2**63, size=rows, dtype=np.uint64))):
        parts = (np.arange(rows) // 100).astype(np.int32)
        started = time.perf_counter()
        chosen = plan_search(codes, 4)
        planning_s = time.perf_counter() - started
        cells = []
        for layout in candidate_layouts(4):
            comparisons, predicted = layout_cost(codes, *layout)
            plan = build_plan(codes, *layout)
            first_near_matches(codes[:2], parts[:2], build_plan(codes[:2], *layout), 4, _band_masks(5))  # compiled
            numba.set_num_threads(1)
            started = time.perf_counter()
            first_near_matches(codes, parts, plan, 4, _band_masks(5))
            measured = time.perf_counter() - started
            numba.set_num_threads(threads)
            mark = ""
            if layout == (chosen.parts, chosen.radius):
                started = time.perf_counter()
                first_near_matches(codes, parts, plan, 4, _band_masks(5))
                mark = f"* ({time.perf_counter() - started:.1f} s on {threads} threads)"
            cells.append(f"{layout}{mark} {comparisons:.2g} comparisons, {predicted:.1f} s predicted / "
                         f"{measured:.1f} s measured")
        print(f"  {kind}: " + "; ".join(cells) + f" (* chosen, planning {planning_s:.2f} s)", flush=True)


def clustering() -> None:
    """How much more often real images share a hash bucket than random hashes do (VQA-RAD, by organ), under
    each index layout, and what the near search would then cost for large 2D collections of such images."""
    import cv2

    from medtrinity.datapaths import shared_data_dir
    from medtrinity.export.near_search import interleaved_band_values, layout_counts, layout_seconds, probes_a_row
    from medtrinity.export.run_dedup import _band_values
    from medtrinity.io.hashes import perceptual_hash
    from medtrinity.io.images import read_image

    data = shared_data_dir()
    if data is None:
        print("(no shared data: real-image clustering not measured)")
        return
    vqa = data / "vqa_rad"
    organs: dict[str, str] = {}
    for name in ("trainset.json", "testset.json"):
        organs.update({q["image_name"]: q["image_organ"].strip().lower() for q in json.loads((vqa / name).read_text())})
    codes: dict[str, list[int]] = {}
    for name, organ in sorted(organs.items()):
        image = read_image(str(vqa / "images" / name))
        grey = cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        codes.setdefault(organ, []).append(perceptual_hash(grey))
    uniform = 1 - (1 - 1 / 2**13) ** 5  # a pair of random hashes sharing one of five ~13-bit bands
    print(f"real images share buckets more often than random hashes ({uniform:.5f} of pairs share a band); "
          f"comparisons a pair (counted once per part it shares) under bands and under 3 parts within 1 bit, "
          f"and the near search projected with the cost model's figures:")

    def sharing(values: list[int], split) -> float:
        bands = split(np.array(values, dtype=np.uint64), 5)
        pairs = len(values) * (len(values) - 1) / 2
        return sum(bool(any(band[i] == band[j] for band in bands))
                   for i in range(len(values)) for j in range(i)) / pairs

    def projected_hours(rate: float, rows: int, parts: int, radius: int) -> float:
        """The cost model's hours for ``rows`` such images (every probed bucket non-empty at that size)."""
        probes = float(rows * probes_a_row(parts, radius))
        counts = {"probes": probes, "visits": probes, "comparisons": rows * rows / 2 * rate, "slots": 0.0}
        return layout_seconds(counts, parts, radius, rows) / 3600

    for organ, values in sorted(codes.items()):
        array = np.array(values, dtype=np.uint64)
        pairs = len(values) * (len(values) - 1) / 2
        banded = layout_counts(array, 5, 0)["comparisons"] * 2 / pairs  # the sample is every row: exact
        radius = layout_counts(array, 3, 1)["comparisons"] * 2 / pairs
        neighbouring = sharing(values, _band_values)
        searched = sharing(values, interleaved_band_values)
        hours = {rows: (projected_hours(banded, rows, 5, 0), projected_hours(radius, rows, 3, 1))
                 for rows in (10_000_000, 25_000_000)}
        print(f"  VQA-RAD {organ} ({len(values)} images): {searched:.4f} of pairs share an interleaved band "
              f"({searched / uniform:.0f}x random; runs of neighbouring bits {neighbouring:.4f}); comparisons a "
              f"pair: bands {banded:.4f}, 3 parts within 1 bit {radius:.4f}; near search for 10M / 25M such "
              f"images: bands ~{hours[10_000_000][0]:.2f} / ~{hours[25_000_000][0]:.2f} h, 3 parts "
              f"~{hours[10_000_000][1]:.2f} / ~{hours[25_000_000][1]:.2f} h")


if __name__ == "__main__":
    main()
