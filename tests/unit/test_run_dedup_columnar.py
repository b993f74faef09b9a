"""The run-wide duplicate pass on flat arrays decides exactly what the plain per-row search decides.

The reference below is the search as first written (a dict per row, a dict of lists per band), kept
here as the specification: first copy of a digest in output order; a copy counts only in another
shard; near copies among 2D rows only, greedy, band by band and oldest first within a bucket.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medtrinity.export.near_search import candidate_layouts, interleaved_band_values, layout_cost, plan_search
from medtrinity.export.run_dedup import _bands, copy_decisions, evaluation_decisions, near_copy_firsts
from medtrinity.export.run_keys import RunKeys, hex_bytes, phash_codes
from medtrinity.io.hashes import hamming
from medtrinity.io.parquet import StreamLimits, write_rows
from medtrinity.run_folder import RunFolder, part_index
from medtrinity.schema import TRIPLET_SCHEMA


def plain_copy_decisions(entries: list[dict], near_bits: int | None) -> dict[int, tuple[str, int]]:
    """row -> (code, first row): the per-row search the columnar pass replaced."""
    first_by_digest: dict[str, tuple[int, int]] = {}
    buckets: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    found: dict[int, tuple[str, int]] = {}
    for row, entry in enumerate(entries):
        first_row, first_part = first_by_digest.setdefault(entry["image_sha256"], (row, entry["part"]))
        if first_part != entry["part"]:
            found[row] = ("duplicate_image", first_row)
            continue
        if near_bits is None or entry["slice_index"] >= 0:
            continue
        code = int(entry["image_phash"], 16)
        keys = _bands(code, near_bits + 1)
        match = next((other_row for key in keys for other, other_row, other_part in buckets.get(key, [])
                      if other_part != entry["part"] and hamming(code, other) <= near_bits), None)
        if match is not None:
            found[row] = ("near_duplicate", match)
            continue
        for key in keys:
            buckets.setdefault(key, []).append((code, row, entry["part"]))
    return found


def _sha(seed: int) -> str:
    return hashlib.sha256(str(seed).encode()).hexdigest()


def random_entries(seed: int, rows: int = 3000) -> list[dict]:
    """Rows in shard order with planted copies: exact (within and across shards), near (1-4 bits), chains of
    near copies, many rows sharing one hash (a blank image), digests that agree in their first 8 bytes only."""
    rng = np.random.default_rng(seed)
    part = np.sort(rng.integers(0, rows // 40, size=rows))
    codes = [int(value) for value in rng.integers(0, 2**64 - 1, size=rows, dtype=np.uint64, endpoint=True)]
    digests = [_sha(seed * 100_000 + row) for row in range(rows)]
    slices = [int(value) for value in np.where(rng.random(rows) < 0.3, rng.integers(0, 200, rows), -1)]
    for row in range(1, rows):
        kind = rng.random()
        earlier = int(rng.integers(0, row))
        if kind < 0.08:  # exact copy of an earlier row (any shard, the same one included)
            digests[row], codes[row] = digests[earlier], codes[earlier]
        elif kind < 0.2:  # near copy of an earlier row, or of the row just before (chains)
            source = row - 1 if kind < 0.12 else earlier
            flips = rng.choice(64, size=int(rng.integers(1, 6)), replace=False)
            codes[row] = codes[source] ^ sum(1 << int(bit) for bit in flips)
        elif kind < 0.23:  # the same hash as many others (blank images), a new digest
            codes[row] = 0
        elif kind < 0.25:  # a digest equal to an earlier one in its first 16 hex characters only
            digests[row] = digests[earlier][:16] + _sha(-row)[16:]
    return [{"part": int(part[row]), "image_sha256": digests[row], "image_phash": f"{codes[row]:016x}",
             "slice_index": slices[row]} for row in range(rows)]


def _keys(entries: list[dict]) -> RunKeys:
    return RunKeys.from_columns([e["part"] for e in entries], [e["image_sha256"] for e in entries],
                                [e["image_phash"] for e in entries], [e["slice_index"] for e in entries])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("near_bits", [None, 0, 4, 7])
def test_columnar_decisions_equal_the_plain_search(seed, near_bits):
    entries = random_entries(seed)
    expected = plain_copy_decisions(entries, near_bits)
    assert copy_decisions(_keys(entries), near_bits) == expected
    codes = {code for code, _ in expected.values()}
    assert "duplicate_image" in codes and (near_bits is None or "near_duplicate" in codes)


def clustered_codes(rng: np.random.Generator, rows: int) -> np.ndarray:
    """uint64 hashes that cluster as radiographs' do: each bit differs from one base hash with its own
    probability, spread evenly from 0 to 0.5 (the spread of the per-bit rates of VQA-RAD's 107 chest
    radiographs' hashes: some bits almost constant, some random)."""
    base = rng.random(64) < 0.5
    bits = np.where(rng.random((rows, 64)) < rng.permutation(np.arange(64) + 0.5) / 128, ~base, base)
    return (bits.astype(np.uint64) << np.arange(64, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)


def clustered_entries(seed: int, rows: int = 2500) -> list[dict]:
    """2D rows with :func:`clustered_codes` hashes and near copies (0-5 bits flipped) of earlier rows."""
    rng = np.random.default_rng(seed)
    codes = [int(code) for code in clustered_codes(rng, rows)]
    for row in rng.choice(np.arange(1, rows), size=rows // 10, replace=False):
        flips = rng.choice(64, size=int(rng.integers(0, 6)), replace=False)
        codes[row] = codes[int(rng.integers(0, row))] ^ sum(1 << int(bit) for bit in flips)
    part = np.sort(rng.integers(0, rows // 30, size=rows))
    return [{"part": int(part[row]), "image_sha256": _sha(seed * 100_000 + row), "image_phash": f"{codes[row]:016x}",
             "slice_index": -1} for row in range(rows)]


@pytest.mark.parametrize(("near_bits", "rows"), [(0, 2500), (1, 2500), (2, 2500), (4, 2500), (7, 2500),
                                                 (12, 500), (32, 150)])
@pytest.mark.parametrize("make", [random_entries, clustered_entries])
def test_every_index_layout_finds_the_plain_search_copies(near_bits, rows, make):
    """Bands of exact values, or fewer wider parts looked up within a radius: the same rows and the same
    named copies as the plain search, whichever layout the cost model would pick (up to the 32 bits the
    configuration allows)."""
    entries = make(near_bits + 11, rows=rows)
    expected = {row: first for row, (code, first) in plain_copy_decisions(entries, near_bits).items()
                if code == "near_duplicate"}
    keys = _keys(entries)
    excluded = np.zeros(len(keys), dtype=bool)
    excluded[[row for row, (code, _) in plain_copy_decisions(entries, near_bits).items()
              if code == "duplicate_image"]] = True
    layouts = candidate_layouts(near_bits)
    assert (near_bits + 1, 0) in layouts and (near_bits < 3 or any(radius for _, radius in layouts))
    for layout in layouts:
        near = near_copy_firsts(keys, near_bits, excluded, layout=layout)
        assert {int(row): int(near[row]) for row in np.flatnonzero(near >= 0)} == expected, layout
    assert len(expected) >= 5


@pytest.mark.parametrize("block_rows", [1, 2, 7, 64, 5000])
@pytest.mark.parametrize("make", [random_entries, clustered_entries])
def test_blocks_searched_in_parallel_settle_as_the_one_row_search(block_rows, make):
    """Rows are searched a block at a time in parallel against the rows kept before the block, then settled in
    order: the same copies for any block size. The random rows hold many blank images (one hash) per block,
    more than the short list of in-block candidates, so the fallback scan of the block runs too."""
    entries = make(21)
    decisions = plain_copy_decisions(entries, 4)
    expected = {row: first for row, (code, first) in decisions.items() if code == "near_duplicate"}
    keys = _keys(entries)
    excluded = np.zeros(len(keys), dtype=bool)
    excluded[[row for row, (code, _) in decisions.items() if code == "duplicate_image"]] = True
    for layout in ((5, 0), (3, 1)):
        near = near_copy_firsts(keys, 4, excluded, layout=layout, block_rows=block_rows)
        assert {int(row): int(near[row]) for row in np.flatnonzero(near >= 0)} == expected, layout
    assert len(expected) >= 50


def test_one_thread_and_every_thread_find_the_same_copies():
    """The block search on one of numba's threads and on all of them (2 or more where the machine has them)."""
    import numba

    entries = clustered_entries(23)
    keys = _keys(entries)
    excluded = np.zeros(len(keys), dtype=bool)
    threads = numba.get_num_threads()
    results = []
    try:
        for count in (1, threads):
            numba.set_num_threads(count)
            results.append(near_copy_firsts(keys, 4, excluded, layout=(3, 1), block_rows=256))
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(results[0], results[1]) and (results[0] >= 0).sum() >= 50
    expected = {row: first for row, (code, first) in plain_copy_decisions(entries, 4).items()}
    assert {int(row): int(results[1][row]) for row in np.flatnonzero(results[1] >= 0)} == expected


def test_the_expected_comparisons_count_every_pair_sharing_a_probed_bucket():
    """With every row in the sample the estimate is exact: each pair counted once per index part in which
    their values lie within the radius (the comparisons the search makes when all rows are kept)."""
    codes = np.array([int(entry["image_phash"], 16) for entry in clustered_entries(4, rows=600)], dtype=np.uint64)
    for parts, radius in ((5, 0), (3, 1), (4, 1)):
        values = interleaved_band_values(codes, parts)
        exact = 0
        for part_values in values:
            difference = part_values[:, None] ^ part_values[None, :]
            within = np.vectorize(lambda value: bin(int(value)).count("1"))(difference) <= radius
            exact += (within.sum() - len(codes)) // 2
        assert layout_cost(codes, parts, radius)[0] == pytest.approx(exact, rel=1e-12), (parts, radius)


def test_a_million_clustered_hashes_are_searched_with_fewer_wider_parts():
    """Where a million hashes cluster, 13-bit bands fill and the cost model takes ~21-bit parts within one bit
    (over 4x fewer comparisons, ~5 s expected against ~9 s); as many random hashes, or 100,000 clustered ones,
    keep the bands. Near a million clustered rows the two cost about the same, depending on which bits
    cluster: this base hash is one where the radius clearly wins."""
    rng = np.random.default_rng(2)
    clustered = clustered_codes(rng, 1_000_000)
    plan = plan_search(clustered, 4)
    assert (plan.parts, plan.radius) == (3, 1) and plan.buckets.shape == (3, 1_000_000)
    assert plan.expected_comparisons < layout_cost(clustered, 5, 0)[0] / 4
    spread = rng.integers(0, 2**63, size=1_000_000, dtype=np.uint64)
    assert (plan_search(spread, 4).parts, plan_search(spread, 4).radius) == (5, 0)
    assert (plan_search(clustered[:100_000], 4).parts, plan_search(clustered[:100_000], 4).radius) == (5, 0)


def _flip(code: int, *bits: int) -> int:
    return code ^ sum(1 << bit for bit in bits)


def _near_rows(codes: list[int], block_rows: int) -> dict[int, int]:
    entries = [{"part": row, "image_sha256": _sha(row), "image_phash": f"{code:016x}", "slice_index": -1}
               for row, code in enumerate(codes)]
    expected = {row: first for row, (_, first) in plain_copy_decisions(entries, 4).items()}
    keys = _keys(entries)
    for layout in ((5, 0), (3, 1)):
        near = near_copy_firsts(keys, 4, np.zeros(len(keys), dtype=bool), layout=layout, block_rows=block_rows)
        assert {int(row): int(near[row]) for row in np.flatnonzero(near >= 0)} == expected, layout
    return expected


def test_a_tie_between_blocks_names_the_older_row():
    """A row near a kept row of an earlier block and one of its own block, agreeing first in the same band,
    names the older one, as the one-row search does."""
    query = 0x5DEE_CE66_D1CE_4E5B
    older, newer = _flip(query, 59, 60, 61), _flip(query, 40, 41, 42)  # 6 bits apart: both kept
    filler = ~query & (2**64 - 1)
    assert _near_rows([older, filler, newer, query], block_rows=2) == {3: 0}


def test_a_full_short_list_of_removed_rows_falls_back_to_the_block():
    """Nine removed rows of the block rank before the block's one kept match: the short list (8) holds
    removed rows only, and the scan of the block finds the kept one."""
    base = 0x0F1E_2D3C_4B5A_6978
    removed = [_flip(base, 60)] * 9  # near copies of the first row: removed, each naming it
    query = _flip(base, 59, 60, 61, 62, 63)  # 4 bits from each removed row (agreeing in band 0), 5 from the first
    kept = _flip(query, 0, 1, 2, 3)  # 4 bits from the query, agreeing first in band 1; far from the rest
    fillers = [_flip(~base & (2**64 - 1), bit, bit + 1, bit + 2) for bit in range(0, 50, 5)]
    found = _near_rows([base, *fillers, *removed, kept, query], block_rows=11)
    assert found == {**dict.fromkeys(range(11, 20), 0), 21: 20}


def test_digests_equal_in_their_first_bytes_are_not_copies():
    entries = [{"part": part, "image_sha256": "ab" * 8 + tail * 48, "image_phash": f"{part:016x}", "slice_index": 3}
               for part, tail in enumerate("0101")]
    assert plain_copy_decisions(entries, None) == {2: ("duplicate_image", 0), 3: ("duplicate_image", 1)}
    assert copy_decisions(_keys(entries), None) == {2: ("duplicate_image", 0), 3: ("duplicate_image", 1)}


def plain_evaluation(entries: list[dict], evaluation: list[tuple[int, str]], near_bits: int) -> dict[int, str]:
    found = {}
    for row, entry in enumerate(entries):
        code = int(entry["image_phash"], 16)
        match = next((name for other, name in evaluation if hamming(code, other) <= near_bits), None)
        if match is not None:
            found[row] = match
    return found


@pytest.mark.parametrize("near_bits", [0, 4])
def test_evaluation_overlap_equals_a_brute_force_search(near_bits):
    entries = random_entries(9)
    rng = np.random.default_rng(5)
    evaluation = []
    for number, row in enumerate(rng.choice(len(entries), size=60, replace=False)):
        flips = rng.choice(64, size=int(rng.integers(0, 7)), replace=False)
        code = int(entries[row]["image_phash"], 16) ^ sum(1 << int(bit) for bit in flips)
        evaluation.append((code, f"e{number}.jpg"))
    found = evaluation_decisions(_keys(entries), evaluation, near_bits)
    # the brute force takes the first evaluation image in list order; the banded search the first in the
    # first band that matches: the same rows are found, and each match is within the distance
    assert set(found) == set(plain_evaluation(entries, evaluation, near_bits)) and len(found) >= 10
    names = dict((name, code) for code, name in evaluation)
    assert all(hamming(int(entries[row]["image_phash"], 16), names[name]) <= near_bits for row, name in found.items())


def test_hex_columns_decode_as_int_does_and_bad_values_are_named():
    values = ["0123456789abcdef", "FEDCBA9876543210", "ffffffffffffffff", "0000000000000000"]
    assert phash_codes(pa.array(values), "x").tolist() == [int(value, 16) for value in values]
    sha = _sha(7)
    assert hex_bytes(pa.chunked_array([[sha], [sha.upper()]]), 64, "x").tobytes() == bytes.fromhex(sha) * 2
    with pytest.raises(ValueError, match=r"part-00003.parquet column image_phash: row 1 holds '12345g7890abcdef', "
                                         r"not a hex string"):
        phash_codes(pa.array(["0" * 16, "12345g7890abcdef"]), "part-00003.parquet column image_phash")
    with pytest.raises(ValueError, match=r"row 0 holds 'abc', not a 16-character hex string"):
        phash_codes(pa.array(["abc"]), "here")
    with pytest.raises(ValueError, match=r"row 2 has no value"):
        phash_codes(pa.array(["0" * 16, "1" * 16, None]), "here")


def _part_rows(start: int, count: int) -> list[dict]:
    return [{"id": f"row{row:04d}", "source": f"src{row % 3}", "image_sha256": _sha(row),
             "image_phash": f"{row * 7919:016x}", "slice_index": row % 5 - 1, "image_png": bytes([row % 256]) * 50,
             "description_text": f"text {row}"} for row in range(start, start + count)]


def test_keys_read_from_parts_and_continuations_with_lookup(tmp_path):
    folder = RunFolder(tmp_path)
    folder.triplets_dir.mkdir(parents=True)
    layout = [("part-00000.parquet", 0, 5), ("part-00001.parquet", 5, 4), ("part-00001_001.parquet", 9, 3),
              ("part-00004.parquet", 12, 6)]
    for name, start, count in layout:
        write_rows(folder.triplets_dir / name, _part_rows(start, count), TRIPLET_SCHEMA)
    keys = RunKeys.read(folder.triplet_parts(), part_index)
    assert keys.part.tolist() == [0] * 5 + [1] * 7 + [4] * 6
    assert keys.position.tolist() == [*range(5), *range(7), *range(6)]  # counting on through part-00001_001
    assert keys.slice_index.tolist() == [row % 5 - 1 for row in range(18)]
    assert keys.phash.tolist() == [row * 7919 for row in range(18)]
    assert keys.digest[10].tobytes() == bytes.fromhex(_sha(10))
    found = keys.lookup([17, 0, 10, 10, 4], ["id", "source"])
    assert found == {row: {"id": f"row{row:04d}", "source": f"src{row % 3}"} for row in (0, 4, 10, 17)}


def test_dropping_rows_keeps_every_other_row_group_by_group(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.triplets_dir.mkdir(parents=True)
    rows = _part_rows(0, 40)
    part = folder.part_path(2)
    write_rows(part, rows, TRIPLET_SCHEMA, StreamLimits(row_group_bytes=1))  # one row a group
    write_rows(folder.part_path(3), rows, TRIPLET_SCHEMA, StreamLimits(row_group_bytes=4000))  # a few rows a group
    assert pq.ParquetFile(part).num_row_groups == 40 and pq.ParquetFile(folder.part_path(3)).num_row_groups > 2
    before = part.read_bytes()
    assert not folder.drop_rows(part, {"row9999"}) and part.read_bytes() == before  # none of them: not rewritten
    drop = {"row0003", "row0017", "row0018", "row0039"}
    kept = [row for row in rows if row["id"] not in drop]
    for path in (part, folder.part_path(3)):
        groups = pq.ParquetFile(path).num_row_groups
        assert folder.drop_rows(path, drop)
        table = pq.read_table(path)
        assert table.schema.equals(TRIPLET_SCHEMA)
        assert table.to_pylist() == pa.Table.from_pylist(kept, schema=TRIPLET_SCHEMA).to_pylist()
        assert pq.ParquetFile(path).num_row_groups <= groups  # a group never grows; emptied groups go
    assert pq.ParquetFile(part).num_row_groups == 36



def test_the_reported_copy_is_the_first_in_band_order_not_the_oldest():
    """A row near two kept rows names the one sharing the lowest run of neighbouring bits (bits 0-12 before
    13-25 ...), as the per-row search did, even when the other is older."""
    query = 0x0123_4567_89AB_CDEF
    older = query ^ (0b11 << 0) ^ (0b11 << 13)  # differs in bands 0 and 1: agrees first in band 2
    newer = query ^ (0b11 << 15) ^ (0b11 << 27)  # differs in bands 1 and 2: agrees in band 0
    entries = [{"part": part, "image_sha256": _sha(part), "image_phash": f"{code:016x}", "slice_index": -1}
               for part, code in enumerate((older, newer, query))]
    assert hamming(older, newer) == 8  # too far apart to be copies of each other: both kept
    expected = {2: ("near_duplicate", 1)}
    assert plain_copy_decisions(entries, 4) == expected
    assert copy_decisions(_keys(entries), 4) == expected
