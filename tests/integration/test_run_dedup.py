"""Run-wide duplicate removal: copies across shards and sources, idempotent and resumable."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from medtrinity import run_folder
from medtrinity.config import load_config
from medtrinity.export.run_dedup import deduplicate_run, find_duplicates
from medtrinity.run_folder import RunFolder, read_parquet_folder
from medtrinity.runner import run_pipeline, run_status

from .helpers import image_mask_source, write_config, write_folder_with_copies, write_image_mask_folder


def _entry(entry_id, part, digest, phash, slice_index=-1):
    """A row's keys as the run writes them: a 64-hex sha256 (of ``digest``) and a 16-hex perceptual hash."""
    return {"id": entry_id, "part": part, "image_sha256": hashlib.sha256(digest.encode()).hexdigest(),
            "image_phash": f"{phash:016x}", "slice_index": slice_index}


def test_find_duplicates_compares_across_parts_only():
    entries = [
        _entry("a", 0, "d1", 0x0F0F), _entry("b", 0, "d1", 0x0F0F),      # same part: the stage's business
        _entry("c", 1, "d1", 0x0F0F),                                      # exact copy in another part
        _entry("d", 2, "d2", 0x0F0F ^ 0b111),                              # 3 bits from a: near copy
        _entry("e", 3, "d3", 0x0F0F ^ 0b11111),                            # 5 bits: different
        _entry("f", 4, "d4", 0x0F0F, slice_index=7),                       # a volume slice: exact only
    ]
    assert find_duplicates(entries, 4) == {"c": ("duplicate_image", "a"), "d": ("near_duplicate", "a")}
    assert find_duplicates(entries, None) == {"c": ("duplicate_image", "a")}


def test_banded_index_finds_what_brute_force_finds():
    rng = np.random.default_rng(11)
    codes = [int(value) for value in rng.integers(0, 2**63, size=300, dtype=np.int64)]
    for index in range(0, 300, 7):  # plant near copies: flip 1..4 random bits
        flips = rng.choice(64, size=int(rng.integers(1, 5)), replace=False)
        codes[index] = codes[(index * 13) % 300] ^ sum(1 << int(bit) for bit in flips)
    entries = [_entry(f"s{index}", index, f"d{index}", code) for index, code in enumerate(codes)]
    found = find_duplicates(entries, 4)
    kept: list[tuple[int, str]] = []
    expected = {}
    for index, code in enumerate(codes):
        match = next((other_id for other, other_id in kept if bin(code ^ other).count("1") <= 4), None)
        if match is None:
            kept.append((code, f"s{index}"))
        else:
            expected[f"s{index}"] = ("near_duplicate", match)
    assert found == expected and len(found) >= 30


def _collection_with_copies(tmp_path):
    folder = write_folder_with_copies(tmp_path / "xray")
    return load_config(write_config(tmp_path / "run.yaml", [image_mask_source(folder, 3)]))


def test_copies_in_other_shards_are_moved_to_rejects(tmp_path):
    config = _collection_with_copies(tmp_path)
    out = tmp_path / "out"
    summary = run_pipeline(config, out)
    assert (summary.triplets, summary.rejects) == (9, 2)
    rejects = read_parquet_folder(out / "rejects").to_pylist()
    assert sorted(row["code"] for row in rejects) == ["duplicate_image", "near_duplicate"]
    assert all(row["stage"] == "dedup" and "run-wide" in row["reason"] for row in rejects)
    assert len(read_parquet_folder(out / "triplets")) == 9
    stats = json.loads((out / "stats.json").read_text())
    assert stats["triplets"] == 9 and stats["rejects"] == 2
    assert stats["stages"]["dedup"]["reasons"] == {"duplicate_image": 1, "near_duplicate": 1}
    assert run_status(out)["triplets"] == 9
    assert RunFolder(out).check_manifest() == []
    before = {path.name: path.read_bytes() for path in sorted(out.rglob("*.parquet"))}
    run_pipeline(config, out)  # a re-run changes nothing
    assert {path.name: path.read_bytes() for path in sorted(out.rglob("*.parquet"))} == before


def test_a_killed_pass_resumes_to_the_clean_result(tmp_path, monkeypatch):
    config = _collection_with_copies(tmp_path)
    shard_only = config.model_copy(update={"preprocess": config.preprocess.model_copy(
        update={"duplicates_scope": "shard"})})
    base = tmp_path / "base"
    run_pipeline(shard_only, base)
    assert len(read_parquet_folder(base / "triplets")) == 11
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    shutil.copytree(base, clean)
    shutil.copytree(base, killed)
    deduplicate_run(clean, 4)

    real_writers = {"write_rows": run_folder.write_rows, "write_filtered": run_folder.write_filtered}
    calls = {"n": 0}

    def dying(name):
        def write(*args):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed between the first written file and the second")
            real_writers[name](*args)
        return write

    for name in real_writers:
        monkeypatch.setattr(run_folder, name, dying(name))
    with pytest.raises(KeyboardInterrupt):
        deduplicate_run(killed, 4)
    for name, writer in real_writers.items():
        monkeypatch.setattr(run_folder, name, writer)
    deduplicate_run(killed, 4)
    for folder in ("triplets", "rejects"):
        names = sorted(path.name for path in (clean / folder).glob("*.parquet"))
        assert names == sorted(path.name for path in (killed / folder).glob("*.parquet"))
        for name in names:
            assert (clean / folder / name).read_bytes() == (killed / folder / name).read_bytes()


def test_vqa_rad_test_images_are_kept_out(tmp_path, shared_data):
    """The paper's leakage: VQA-RAD test images in the training data. They must be removed, the others kept."""
    vqa = shared_data / "vqa_rad"
    test_names = {q["image_name"] for q in json.loads((vqa / "testset.json").read_text())}
    train_names = {q["image_name"] for q in json.loads((vqa / "trainset.json").read_text())} - test_names
    chosen = sorted(test_names)[:4] + sorted(train_names)[:4]
    folder = tmp_path / "collection"
    folder.mkdir()
    for name in chosen:
        shutil.copyfile(vqa / "images" / name, folder / name)
    config = load_config(write_config(tmp_path / "run.yaml", [
        {"name": "radiology", "reader": "image_masks", "path": str(folder), "modality": "xray",
         "files_per_shard": 3}], preprocess={"evaluation_images": [str(vqa / "testset.json")]},
        quality={"keep_no_content": True}))  # unlabelled images: keep them, this test counts the dedup
    out = tmp_path / "out"
    summary = run_pipeline(config, out)
    rejects = read_parquet_folder(out / "rejects").to_pylist()
    assert {row["code"] for row in rejects} == {"evaluation_overlap"}
    assert sorted(row["reason"].split("image ")[1].split(" ")[0] for row in rejects) == sorted(test_names & set(chosen))
    assert summary.triplets == 4 and summary.rejects == 4
    stats = json.loads((out / "stats.json").read_text())
    assert stats["reject_reasons"] == {"evaluation_overlap": 4}


def test_unknown_evaluation_images_fail_the_config(tmp_path):
    from medtrinity.config import ConfigError
    from medtrinity.config_check import check_config

    folder = write_image_mask_folder(tmp_path / "xray", 2, bad=False)
    path = write_config(tmp_path / "run.yaml", [image_mask_source(folder, 3)],
                        preprocess={"evaluation_images": ["no/such/*.png"]})
    with pytest.raises(ConfigError, match=r"preprocess.evaluation_images\[0\]: .*no/such/\*.png does not exist"):
        check_config(load_config(path))  # named before anything is written
    assert not (tmp_path / "out").exists()
