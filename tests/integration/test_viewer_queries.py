"""The viewer's queries against ground truth computed from the Parquet rows directly."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medtrinity.export.reviews import append_decision
from medtrinity.run_folder import read_parquet_folder
from medtrinity.schema import TRIPLET_SCHEMA
from medtrinity.viewer.queries import RowQuery, RunQueries

from .export_runs import make_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_groups_run(tmp_path_factory):
    """The test run rewritten as two parts of many 7-row row groups, so single-row reads cross groups."""
    run = make_run(tmp_path_factory.mktemp("viewer-queries"))
    table = read_parquet_folder(run / "triplets")
    for part in (run / "triplets").glob("*.parquet"):
        part.unlink()
    half = table.num_rows // 2
    for index, piece in enumerate((table.slice(0, half), table.slice(half))):
        pq.write_table(pa.Table.from_pylist(piece.to_pylist(), schema=TRIPLET_SCHEMA),
                       run / "triplets" / f"part-{index:05d}.parquet", row_group_size=7)
    return run, table.to_pylist()


def test_every_row_reads_back_from_its_row_group(small_groups_run):
    run, rows = small_groups_run
    queries = RunQueries(run)
    for row in rows:
        assert queries.image_png(row["id"]) == row["image_png"]
        detail = queries.detail(row["id"])
        assert detail["id"] == row["id"] and detail["description_text"] == row["description_text"]
        assert [roi["mask_rle"] for roi in detail["rois"]] == [roi["mask_rle"] for roi in row["rois"]]
    assert queries.detail("no-such-id") is None and queries.image_png("no-such-id") is None


def test_pages_follow_run_order_and_filters_match_the_rows(small_groups_run):
    run, rows = small_groups_run
    queries = RunQueries(run)
    everything = [entry["id"] for offset in range(0, len(rows), 13)
                  for entry in queries.page(RowQuery(), offset, 13)["rows"]]
    assert everything == [row["id"] for row in rows]
    label = next(roi["label"] for row in rows for roi in row["rois"] if roi["kind"] == "lesion")
    expected = [row["id"] for row in rows if any(roi["label"] == label for roi in row["rois"])
                or label in row["image_labels"]]
    page = queries.page(RowQuery(label=label), 0, 200)
    assert page["total"] == len(expected) and [entry["id"] for entry in page["rows"]] == expected
    word = "hyperintense"
    expected_text = [row["id"] for row in rows if row["modality"] == "mri" and word in row["description_text"]]
    found = queries.page(RowQuery(modality="mri", text=word), 0, 200)
    assert [entry["id"] for entry in found["rows"]] == expected_text
    assert queries.page(RowQuery(text=rows[5]["id"]), 0, 5)["rows"][0]["id"] == rows[5]["id"]
    facets = queries.facets()
    assert facets["rows"] == len(rows) and set(facets["sources"]) == {row["source"] for row in rows}


def test_review_filters_follow_the_log(small_groups_run):
    run, rows = small_groups_run
    queries = RunQueries(run)
    append_decision(run, rows[0]["id"], "reject", "t")
    append_decision(run, rows[1]["id"], "edit", "t", "Edited.")
    append_decision(run, rows[2]["id"], "accept", "t")
    ids = {name: [entry["id"] for entry in queries.page(RowQuery(review=name), 0, 200)["rows"]]
           for name in ("rejected", "edited", "accepted", "unreviewed")}
    assert ids["rejected"] == [rows[0]["id"]] and ids["edited"] == [rows[1]["id"]]
    assert ids["accepted"] == [rows[2]["id"]] and len(ids["unreviewed"]) == len(rows) - 3
    with pytest.raises(ValueError, match="'maybe'"):
        queries.page(RowQuery(review="maybe"))
