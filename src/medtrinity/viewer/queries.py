"""Paged queries over a run's Parquet parts for the viewer, fast on runs of 100k rows.

At start the viewer builds, with one DuckDB scan, a small in-memory index of the light columns (id,
part file and row number, source, modality, labels, QC status, the description's first words); lists,
filters and facets are queries on that index. Free-text search scans only the description column of the
Parquet parts. One row's full record or image is read with pyarrow from its own row group, found from
the index, never by scanning the run. Review states come from the append-only review log and are joined
as a small table. Each request gets its own cursor (DuckDB connections are not shared across threads).
"""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.export.reviews import review_states
from medtrinity.export.run_rows import maps_as_dicts, triplet_parts

MAX_PAGE_ROWS = 200
_INDEX_SQL = """
CREATE TABLE idx AS SELECT
    row_number() OVER (ORDER BY filename, file_row_number) AS seq, filename, file_row_number AS row_number,
    id, source, modality, body_part, plane, slice_index, qc_status, width, height, len(rois) AS roi_count,
    list_transform(rois, lambda r: r.label) AS roi_labels, image_labels,
    left(description_text, 160) AS description_start
FROM read_parquet({files}, filename = true, file_row_number = true)
"""
_LIST_COLUMNS = ("t.id, t.source, t.modality, t.body_part, t.plane, t.slice_index, t.qc_status, t.width, t.height, "
                 "t.roi_count, t.roi_labels, t.description_start, coalesce(r.status, '') AS review_status, "
                 "coalesce(r.edited, false) AS edited")
_DETAIL_COLUMNS = ["id", "source", "case_id", "modality", "body_part", "width", "height", "spacing_mm", "plane",
                   "slice_index", "patient_orientation", "image_labels", "rois", "coarse_caption", "passages",
                   "description_text", "description_sections", "description_evidence", "description_backend",
                   "description_model", "prompt_version", "qc_status", "qc_issues", "judge_scores", "metadata_json",
                   "license", "pipeline_version", "config_hash"]
REVIEW_FILTERS = ("", "rejected", "accepted", "edited", "unreviewed")


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"


@dataclass(frozen=True)
class RowQuery:
    """The viewer's filters; empty strings mean no filter."""

    source: str = ""
    modality: str = ""
    label: str = ""
    qc: str = ""
    review: str = ""
    text: str = ""

    def where(self, files_sql: str) -> tuple[str, list]:
        clauses, parameters = [], []
        for column, value in (("source", self.source), ("modality", self.modality), ("qc_status", self.qc)):
            if value:
                clauses.append(f"t.{column} = ?")
                parameters.append(value)
        if self.label:
            clauses.append("(list_contains(t.roi_labels, ?) OR list_contains(t.image_labels, ?))")
            parameters += [self.label, self.label]
        if self.text:
            clauses.append(f"(t.id = ? OR t.id IN (SELECT id FROM read_parquet({files_sql}) "
                           "WHERE description_text ILIKE ?))")
            parameters += [self.text, f"%{self.text}%"]
        if self.review not in REVIEW_FILTERS:
            raise ValueError(f"review filter {self.review!r} is not one of {', '.join(REVIEW_FILTERS[1:])}")
        if self.review == "unreviewed":
            clauses.append("r.status IS NULL AND r.edited IS NULL")
        elif self.review == "edited":
            clauses.append("r.edited")
        elif self.review:
            clauses.append("r.status = ?")
            parameters.append(self.review)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", parameters


class RunQueries:
    """Queries of one run folder (its triplets are read-only while the viewer runs)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self._files_sql = _sql_list(triplet_parts(self.run_dir))
        self._connection = duckdb.connect()
        self._connection.execute(_INDEX_SQL.format(files=self._files_sql))
        self._lock = threading.Lock()
        self._facets: dict | None = None
        self._row_group_starts: dict[str, list[int]] = {}

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            cursor = self._connection.cursor()
        states = review_states(self.run_dir)
        cursor.register("reviews_now", pa.table({
            "id": pa.array(list(states), pa.string()),
            "status": pa.array([state.status or None for state in states.values()], pa.string()),
            "edited": pa.array([state.edited_text is not None for state in states.values()], pa.bool_()),
        }))
        return cursor

    def page(self, query: RowQuery, offset: int = 0, limit: int = 50) -> dict:
        """One page of matching rows (light columns, run order) and the total number matching."""
        limit = max(1, min(int(limit), MAX_PAGE_ROWS))
        offset = max(0, int(offset))
        where, parameters = query.where(self._files_sql)
        source = "idx t LEFT JOIN reviews_now r ON r.id = t.id"
        cursor = self._cursor()
        try:
            total = cursor.execute(f"SELECT count(*) FROM {source}{where}", parameters).fetchone()[0]
            result = cursor.execute(f"SELECT {_LIST_COLUMNS} FROM {source}{where} ORDER BY t.seq LIMIT ? OFFSET ?",
                                    [*parameters, limit, offset])
            names = [description[0] for description in result.description]
            rows = [dict(zip(names, values, strict=True)) for values in result.fetchall()]
        finally:
            cursor.close()
        return {"total": total, "offset": offset, "limit": limit, "rows": rows}

    def facets(self) -> dict:
        """Distinct sources, modalities, QC statuses and labels for the filter menus (computed once)."""
        if self._facets is None:
            cursor = self._cursor()
            try:
                def distinct(sql: str) -> list[str]:
                    return [value for (value,) in cursor.execute(sql).fetchall() if value]

                self._facets = {
                    "rows": cursor.execute("SELECT count(*) FROM idx").fetchone()[0],
                    "sources": distinct("SELECT DISTINCT source FROM idx ORDER BY 1"),
                    "modalities": distinct("SELECT DISTINCT modality FROM idx ORDER BY 1"),
                    "qc": distinct("SELECT DISTINCT qc_status FROM idx ORDER BY 1"),
                    "labels": distinct("SELECT DISTINCT l FROM (SELECT unnest(roi_labels) AS l FROM idx "
                                       "UNION SELECT unnest(image_labels) AS l FROM idx) ORDER BY 1"),
                }
            finally:
                cursor.close()
        return self._facets

    def _locate(self, row_id: str) -> tuple[str, int] | None:
        cursor = self._connection.cursor()
        try:
            return cursor.execute("SELECT filename, row_number FROM idx WHERE id = ? LIMIT 1", [row_id]).fetchone()
        finally:
            cursor.close()

    def _read_row(self, row_id: str, columns: list[str]) -> dict | None:
        """One row's columns, read from the single row group that holds it."""
        found = self._locate(row_id)
        if found is None:
            return None
        filename, row_number = found
        handle = pq.ParquetFile(filename)
        starts = self._row_group_starts.get(filename)
        if starts is None:
            starts, total = [], 0
            for group in range(handle.metadata.num_row_groups):
                starts.append(total)
                total += handle.metadata.row_group(group).num_rows
            self._row_group_starts[filename] = starts
        group = bisect.bisect_right(starts, row_number) - 1
        table = handle.read_row_group(group, columns=columns)
        return maps_as_dicts(table.slice(row_number - starts[group], 1).to_pylist()[0])

    def detail(self, row_id: str) -> dict | None:
        """Every column of one row but the image, with its review state; None when no row has that id."""
        row = self._read_row(row_id, _DETAIL_COLUMNS)
        if row is None:
            return None
        row["metadata"] = json.loads(row.pop("metadata_json") or "{}")
        state = review_states(self.run_dir).get(row_id)
        row["review"] = None if state is None else {"status": state.status, "edited_text": state.edited_text,
                                                    "who": state.who, "when": state.when}
        return row

    def image_png(self, row_id: str) -> bytes | None:
        row = self._read_row(row_id, ["id", "image_png"])
        return None if row is None else row["image_png"]
