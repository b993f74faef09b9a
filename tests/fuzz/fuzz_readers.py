"""Property-based fuzzing of the readers: mutated real files are a reject or a success, never anything else.

Run as a script (``python tests/fuzz/fuzz_readers.py SCRATCH [EXAMPLES]``) by ``test_fuzz_readers.py`` in
a child process whose address space is capped, so a memory bomb fails the test instead of the machine.
Each example takes one real file, truncates it, flips bits or overwrites header bytes, and plans and
reads it as a one-file source. Allowed outcomes: samples, or a SampleError naming the file. Any other
exception (a reader passing a library's error through) or a planning failure fails the property.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrinity.config import parse_config
from medtrinity.records import SampleError
from medtrinity.runner import plan_shards
from medtrinity.sources import make_reader

SECONDS_PER_EXAMPLE = 20.0


def seed_files(scratch: Path) -> dict[str, tuple[Path, dict]]:
    """Real files (shared data where present, pydicom's test files, small files real tools wrote)."""
    import cv2
    import h5py
    import numpy as np
    import tifffile
    from pydicom.data import get_testdata_file

    from medtrinity.datapaths import shared_data_dir

    seeds = scratch / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    shared = shared_data_dir()
    files: dict[str, tuple[Path, dict]] = {}
    shutil.copy(get_testdata_file("CT_small.dcm"), seeds / "ct.dcm")
    files["dicom_files"] = (seeds / "ct.dcm", {})
    if shared is not None and (shared / "totalsegmentator" / "example_ct_sm.nii.gz").exists():
        shutil.copy(shared / "totalsegmentator" / "example_ct_sm.nii.gz", seeds / "ct.nii.gz")
    else:
        import nibabel as nib

        nib.save(nib.Nifti1Image(np.zeros((32, 32, 8), np.int16), np.eye(4)), seeds / "ct.nii.gz")
    files["nifti"] = (seeds / "ct.nii.gz", {"modality": "ct"})
    if shared is not None and (shared / "fundus" / "microaneurysms.png").exists():
        shutil.copy(shared / "fundus" / "microaneurysms.png", seeds / "image.png")
    else:
        cv2.imwrite(str(seeds / "image.png"), np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8))
    files["image_masks"] = (seeds / "image.png", {})
    if shared is not None and (shared / "vqa_rad").is_dir():
        jpeg = sorted((shared / "vqa_rad").rglob("*.jpg"))[0]
        shutil.copy(jpeg, seeds / "image.jpg")
        files["image_masks_jpeg"] = (seeds / "image.jpg", {"reader": "image_masks"})
    with h5py.File(seeds / "patches.h5", "w") as handle:
        handle["images"] = np.random.default_rng(1).random((3, 1, 24, 24)).astype(np.float32)
        handle["labels"] = (np.random.default_rng(2).random((3, 1, 24, 24)) > 0.7).astype(np.uint8)
    files["hdf5"] = (seeds / "patches.h5", {})
    np.savez_compressed(seeds / "mnist.npz", train_images=np.zeros((3, 28, 28), np.uint8),
                        train_labels=np.array([[0], [1], [0]]))
    files["npz"] = (seeds / "mnist.npz", {})
    np.save(seeds / "images.npy", np.random.default_rng(3).uniform(0, 255, (3, 24, 24, 3)))  # PanNuke: float64 RGB
    files["npy"] = (seeds / "images.npy", {})
    rgb = np.full((512, 512, 3), 240, np.uint8)
    rgb[64:448, 64:448] = (150, 60, 140)
    tifffile.imwrite(seeds / "slide.tif", rgb, tile=(128, 128), photometric="rgb", compression="zlib")
    files["wsi"] = (seeds / "slide.tif", {"options": {"tile_size": 256, "min_tissue": 0.3}})
    return files


def mutate(data: bytes, kind: str, position: float, values: list[int]) -> bytes:
    """Truncate at ``position`` (a share of the length), flip bits there, or overwrite header bytes."""
    if not data:
        return data
    at = min(len(data) - 1, int(position * len(data)))
    if kind == "truncate":
        return data[:at]
    mutable = bytearray(data)
    if kind == "bitflip":
        for offset, value in enumerate(values):
            index = (at + offset * 7919) % len(mutable)
            mutable[index] ^= 1 << (value % 8)
        return bytes(mutable)
    header = min(len(mutable), 1024)
    for offset, value in enumerate(values):
        mutable[(int(position * header) + offset) % header] = value  # header edit
    return bytes(mutable)


def read_source(reader_name: str, path: Path, extra: dict) -> tuple[int, int]:
    """Plan and read a one-file source the way a run does: (samples, rejects); other exceptions escape."""
    source = {"name": "fuzz", "reader": extra.get("reader", reader_name), "path": str(path),
              **{k: v for k, v in extra.items() if k != "reader"}}
    config = parse_config({"sources": [source], "knowledge": {"kb": "none"}})
    samples = rejects = 0
    for spec in plan_shards(config):
        reader = make_reader(config.source(spec.source), config)
        for item in spec.items:
            try:
                samples += sum(1 for _ in reader.read(item))
            except SampleError as error:
                if path.name not in error.message:
                    raise AssertionError(f"reject does not name the file: {error.message}") from error
                rejects += 1
    return samples, rejects


def make_property(name: str, extra: dict, data: bytes, target: Path, examples: int):
    """The property for one seed file: every mutation of it is planned and read without an escaping error."""

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(["truncate", "bitflip", "header"]), position=st.floats(0.0, 1.0),
           values=st.lists(st.integers(0, 255), min_size=1, max_size=8))
    def property_holds(kind, position, values):
        target.write_bytes(mutate(data, kind, position, values))
        started = time.monotonic()
        read_source(name.split("_jpeg")[0], target, extra)
        elapsed = time.monotonic() - started
        if elapsed > SECONDS_PER_EXAMPLE:
            raise AssertionError(f"{name} {kind}@{position:.3f}: took {elapsed:.1f} s")

    return property_holds


def run(scratch: Path, examples: int) -> None:
    for name, (seed, extra) in seed_files(scratch).items():
        target_dir = scratch / f"mutated-{name}"
        target_dir.mkdir(exist_ok=True)
        target = target_dir / f"input{''.join(seed.suffixes)}"
        started = time.monotonic()
        make_property(name, extra, seed.read_bytes(), target, examples)()
        print(f"{name}: {examples} mutated files, reject or success, {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    run(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25)
