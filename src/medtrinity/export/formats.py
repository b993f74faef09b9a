"""``medtrinity export``: one run folder to one training-data format, filtered, atomic, with a manifest."""

from __future__ import annotations

import time
from pathlib import Path

from medtrinity.export.card import count_export, write_card
from medtrinity.export.coco import write_coco
from medtrinity.export.croissant import write_croissant
from medtrinity.export.hf import DATA_FOLDER, SPLIT, write_hf
from medtrinity.export.llava import write_llava
from medtrinity.export.run_rows import RowFilter, load_run_info
from medtrinity.export.staging import StagedExport
from medtrinity.export.wds import write_webdataset

FORMATS = ("hf", "webdataset", "llava", "coco")


def export_run(run_dir: Path, export_format: str, out_dir: Path, row_filter: RowFilter | None = None,
               shard_size: int | None = None, overwrite: bool = False) -> dict:
    """Write the run's kept rows in ``export_format`` to ``out_dir`` (built aside, moved in at the end).

    ``shard_size`` is rows per Parquet shard (hf) or samples per tar (webdataset). Returns the summary
    also stored at the top of the export's manifest.
    """
    if export_format not in FORMATS:
        raise ValueError(f"export format {export_format!r} is not one of {', '.join(FORMATS)}")
    row_filter = row_filter or RowFilter()
    info = load_run_info(run_dir)
    started = time.perf_counter()
    with StagedExport(out_dir, overwrite=overwrite) as staged:
        root = staged.root
        if export_format == "hf":
            written = write_hf(run_dir, root, row_filter, rows_per_shard=shard_size or 2000)
        elif export_format == "webdataset":
            written = write_webdataset(run_dir, root, row_filter, samples_per_shard=shard_size or 1000)
        elif export_format == "llava":
            written = write_llava(run_dir, root, row_filter)
        else:
            written = write_coco(run_dir, root, row_filter, info)
        counts = count_export(run_dir, row_filter)
        data_files = f"{DATA_FOLDER}/{SPLIT}-*.parquet" if export_format == "hf" else None
        write_card(root, info, counts, export_format, row_filter, data_files)
        if export_format == "hf":
            write_croissant(root, info, counts)
        summary = {"format": export_format, "pipeline_version": info.pipeline_version,
                   "config_hash": info.config_hash, "filters": row_filter.describe(), "written": written,
                   "rows": counts.rows, "left_out": dict(sorted(counts.dropped.items())),
                   "seconds": round(time.perf_counter() - started, 3)}
        staged.finish(summary)
    summary["left_out_text"] = counts.left_out()  # for the command line only, not the manifest
    return summary
