"""Paged DuckDB queries over a run's Parquet parts: the viewer never loads a run into memory.

One view over ``triplets/part-*.parquet`` (with file name and row number, so order is the run's order);
filters become SQL parameters; each request gets its own cursor (DuckDB connections are not shared across
threads). Review states come from the append-only review log and are joined as a small table.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from medtrinity.export.reviews import review_states
from medtrinity.export.run_rows import triplet_parts

MAX_PAGE_ROWS = 200
_LIST_COLUMNS = ("t.id, t.source, t.modality, t.body_part, t.plane, t.slice_index, t.qc_status, t.width, t.height, "
                 "len(t.rois) AS roi_count, list_transform(t.rois, lambda r: r.label) AS roi_labels, "
                 "left(t.description_text, 160) AS description_start, coalesce(r.status, '') AS review_status, "
                 "coalesce(r.edited, false) AS edited")
_DETAIL_COLUMNS = ("id, source, case_id, modality, body_part, width, height, spacing_mm, plane, slice_index, "
                   "patient_orientation, image_labels, rois, coarse_caption, passages, description_text, "
                   "description_sections, description_evidence, description_backend, description_model, "
                   "prompt_version, qc_status, qc_issues, judge_scores, metadata_json, license, "
                   "pipeline_version, config_hash")
REVIEW_FILTERS = ("", "rejected", "accepted", "edited", "unreviewed")


@dataclass(frozen=True)
class RowQuery:
    """The viewer's filters; empty strings mean no filter."""

    source: str = ""
    modality: str = ""
    label: str = ""
    qc: str = ""
    review: str = ""
    text: str = ""

    def where(self) -> tuple[str, list]:
        clauses, parameters = [], []
        for column, value in (("source", self.source), ("modality", self.modality), ("qc_status", self.qc)):
            if value:
                clauses.append(f"t.{column} = ?")
                parameters.append(value)
        if self.label:
            clauses.append("(list_contains(list_transform(t.rois, lambda r: r.label), ?) "
                           "OR list_contains(t.image_labels, ?))")
            parameters += [self.label, self.label]
        if self.text:
            clauses.append("(t.description_text ILIKE ? OR t.id = ?)")
            parameters += [f"%{self.text}%", self.text]
        if self.review not in REVIEW_FILTERS:
            raise ValueError(f"review filter {self.review!r} is not one of {', '.join(REVIEW_FILTERS[1:])}")
        if self.review == "unreviewed":
            clauses.append("r.status IS NULL")
        elif self.review == "edited":
            clauses.append("r.edited")
        elif self.review:
            clauses.append("r.status = ?")
            parameters.append(self.review)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", parameters


class RunQueries:
    """Queries of one run folder."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        triplet_parts(self.run_dir)  # a clear error for a folder that is not a run
        pattern = str(self.run_dir / "triplets" / "part-*.parquet").replace("'", "''")
        self._connection = duckdb.connect()
        self._connection.execute(
            "CREATE VIEW t AS SELECT * FROM read_parquet("
            f"'{pattern}', filename = true, file_row_number = true)")
        self._lock = threading.Lock()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            cursor = self._connection.cursor()
        states = review_states(self.run_dir)
        reviews = pa.table({
            "id": pa.array(list(states), pa.string()),
            "status": pa.array([state.status or None for state in states.values()], pa.string()),
            "edited": pa.array([state.edited_text is not None for state in states.values()], pa.bool_()),
        })
        cursor.register("reviews_now", reviews)
        return cursor

    def page(self, query: RowQuery, offset: int = 0, limit: int = 50) -> dict:
        """One page of matching rows (light columns) and the total number matching."""
        limit = max(1, min(int(limit), MAX_PAGE_ROWS))
        offset = max(0, int(offset))
        where, parameters = query.where()
        source = "t LEFT JOIN reviews_now r ON r.id = t.id"
        cursor = self._cursor()
        try:
            total = cursor.execute(f"SELECT count(*) FROM {source}{where}", parameters).fetchone()[0]
            result = cursor.execute(
                f"SELECT {_LIST_COLUMNS} FROM {source}{where} ORDER BY t.filename, t.file_row_number LIMIT ? OFFSET ?",
                [*parameters, limit, offset])
            names = [description[0] for description in result.description]
            rows = [dict(zip(names, values, strict=True)) for values in result.fetchall()]
        finally:
            cursor.close()
        return {"total": total, "offset": offset, "limit": limit, "rows": rows}

    def facets(self) -> dict:
        """Distinct sources, modalities, QC statuses and ROI / image labels, for the filter menus."""
        cursor = self._cursor()
        try:
            def distinct(sql: str) -> list[str]:
                return [value for (value,) in cursor.execute(sql).fetchall() if value]

            return {
                "rows": cursor.execute("SELECT count(*) FROM t").fetchone()[0],
                "sources": distinct("SELECT DISTINCT source FROM t ORDER BY 1"),
                "modalities": distinct("SELECT DISTINCT modality FROM t ORDER BY 1"),
                "qc": distinct("SELECT DISTINCT qc_status FROM t ORDER BY 1"),
                "labels": distinct("SELECT DISTINCT l FROM (SELECT unnest(list_transform(rois, lambda r: r.label)) "
                                   "AS l FROM t UNION SELECT unnest(image_labels) AS l FROM t) ORDER BY 1"),
            }
        finally:
            cursor.close()

    def detail(self, row_id: str) -> dict | None:
        """Every column of one row but the image, with its review state; None when no row has that id."""
        cursor = self._cursor()
        try:
            result = cursor.execute(f"SELECT {_DETAIL_COLUMNS} FROM t WHERE id = ? LIMIT 1", [row_id])
            names = [description[0] for description in result.description]
            found = result.fetchone()
        finally:
            cursor.close()
        if found is None:
            return None
        row = dict(zip(names, found, strict=True))
        row["metadata"] = json.loads(row.pop("metadata_json") or "{}")
        state = review_states(self.run_dir).get(row_id)
        row["review"] = None if state is None else {"status": state.status, "edited_text": state.edited_text,
                                                    "who": state.who, "when": state.when}
        return row

    def image_png(self, row_id: str) -> bytes | None:
        cursor = self._cursor()
        try:
            found = cursor.execute("SELECT image_png FROM t WHERE id = ? LIMIT 1", [row_id]).fetchone()
        finally:
            cursor.close()
        return None if found is None else found[0]
