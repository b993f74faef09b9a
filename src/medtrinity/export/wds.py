"""WebDataset export: POSIX tar shards of ``KEY.png`` (clean image), ``KEY.json`` (ROIs, description,
metadata) and ``KEY.txt`` (the description), grouped by key the way the ``webdataset`` package reads them.

Shard size is a number of samples; entries get a fixed mtime and owner so the same run exports to the
same bytes. Rows stream straight into the open tar, one at a time.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from medtrinity.export.run_rows import RowFilter, file_key, iter_rows

SHARD_PATTERN = "shard-{index:06d}.tar"
_JSON_DROPPED = ("image_png",)


def _member(name: str, payload: bytes) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = 0
    info.mode = 0o644
    info.uname = info.gname = "medtrinity"
    return info, io.BytesIO(payload)


def sample_json(row: dict) -> dict:
    """Everything of a row but the image bytes, with the metadata JSON string opened."""
    record = {key: value for key, value in row.items() if key not in _JSON_DROPPED}
    record["metadata"] = json.loads(record.pop("metadata_json") or "{}")
    return record


def write_webdataset(run_dir: Path, root: Path, row_filter: RowFilter, samples_per_shard: int = 1000) -> dict:
    """Write ``root/shard-NNNNNN.tar`` files; returns row and shard counts."""
    if samples_per_shard < 1:
        raise ValueError(f"samples_per_shard must be at least 1, got {samples_per_shard}")
    archive: tarfile.TarFile | None = None
    shards = rows = in_shard = 0
    seen: set[str] = set()
    try:
        for row in iter_rows(run_dir, row_filter):
            if archive is None or in_shard >= samples_per_shard:
                if archive is not None:
                    archive.close()
                archive = tarfile.open(root / SHARD_PATTERN.format(index=shards), "w", format=tarfile.USTAR_FORMAT)
                shards += 1
                in_shard = 0
            key = file_key(row["id"])
            if key in seen:
                raise ValueError(f"row id {row['id']!r} appears twice in the run; WebDataset keys must be unique")
            seen.add(key)
            text = (row.get("description_text") or "").encode("utf-8")
            for name, payload in ((f"{key}.png", row["image_png"]),
                                  (f"{key}.json", json.dumps(sample_json(row), sort_keys=True).encode("utf-8")),
                                  (f"{key}.txt", text)):
                info, stream = _member(name, payload)
                archive.addfile(info, stream)
            in_shard += 1
            rows += 1
    finally:
        if archive is not None:
            archive.close()
    return {"rows": rows, "shards": shards}
