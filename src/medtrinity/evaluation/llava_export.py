"""VQA pairs as LLaVA conversations: one record per image, its questions as turns, the image beside it.

Output (the layout LLaVA and LLaVA-Med fine-tuning read): ``<out>/vqa_llava.json``, a list of
``{"id", "image": "images/<row id>.png", "conversations": [{"from": "human", "value": "<image>\\n..."},
{"from": "gpt", "value": "..."}, ...]}``, and ``<out>/images/<row id>.png`` (the run's clean PNG,
byte for byte), with ``manifest.json`` (every file's size and sha256, ``medtrinity check`` reads it).
Like ``medtrinity export``, the folder is built aside and moved in whole, and a folder that already
holds something is refused unless ``overwrite``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from medtrinity.export.staging import StagedExport

IMAGE_TOKEN = "<image>"


def llava_conversations(records: Iterable[dict[str, Any]], seen: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """Group question records by row into multi-turn conversations, as they stream by.

    A row's records must adjoin (``vqa generate`` writes them so); a row whose records come back after
    another row's is a ValueError naming it, since its conversation was already written. ``seen``
    collects the row ids yielded (pass a set to keep them).
    """
    seen = set() if seen is None else seen
    for row_id, questions in groupby(records, key=lambda record: record["row_id"]):
        if row_id in seen:
            raise ValueError(f"the questions of row {row_id!r} are not together: they come back after another "
                             f"row's (sort the pairs by row_id, or keep vqa generate's order)")
        seen.add(row_id)
        turns = []
        for index, record in enumerate(questions):
            prompt = f"{IMAGE_TOKEN}\n{record['question']}" if index == 0 else record["question"]
            turns += [{"from": "human", "value": prompt}, {"from": "gpt", "value": record["answer"]}]
        yield {"id": row_id, "image": f"images/{row_id}.png", "conversations": turns}


def export_llava(run: Path, records: Iterable[dict[str, Any]], out: Path, overwrite: bool = False) -> dict[str, int]:
    """Write the conversations and the images they name, with a manifest; returns the counts written.

    Conversations stream into ``vqa_llava.json`` (the text ``json.dumps(list, indent=1)`` gives) and only
    their row ids are kept, then the parts are read a batch at a time for the images. Everything is
    written into a staging folder beside ``out`` and moved in once complete: a failed export leaves
    ``out`` as it was. ``out`` holding anything is an ``ExportTargetError`` unless ``overwrite``.
    """
    import pyarrow.parquet as pq

    counts = {"conversations": 0, "turns": 0, "images": 0}
    wanted: set[str] = set()  # the conversations' row ids, filled as they are written
    with StagedExport(out, overwrite=overwrite) as staged:
        with open(staged.root / "vqa_llava.json", "w", encoding="utf-8") as handle:
            handle.write("[")
            for conversation in llava_conversations(records, wanted):
                text = json.dumps(conversation, ensure_ascii=False, indent=1).replace("\n", "\n ")
                handle.write((",\n " if counts["conversations"] else "\n ") + text)
                counts["conversations"] += 1
                counts["turns"] += len(conversation["conversations"]) // 2
            handle.write("\n]" if counts["conversations"] else "]")
        images = staged.root / "images"
        images.mkdir()
        for part in sorted((Path(run) / "triplets").glob("part-*.parquet")):
            for batch in pq.ParquetFile(part).iter_batches(columns=["id", "image_png"], batch_size=64):
                for row in batch.to_pylist():
                    if row["id"] in wanted:
                        (images / f"{row['id']}.png").write_bytes(row["image_png"])
                        counts["images"] += 1
        missing = wanted - {path.stem for path in images.glob("*.png")}
        if missing:
            raise FileNotFoundError(f"{run}: {len(missing)} rows named by the questions are not in triplets/, "
                                    f"first {sorted(missing)[:3]}")
        staged.finish({"format": "vqa-llava", "written": dict(counts)})
    return counts
