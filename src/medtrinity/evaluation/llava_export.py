"""VQA pairs as LLaVA conversations: one record per image, its questions as turns, the image beside it.

Output (the layout LLaVA and LLaVA-Med fine-tuning read): ``<out>/vqa_llava.json``, a list of
``{"id", "image": "images/<row id>.png", "conversations": [{"from": "human", "value": "<image>\\n..."},
{"from": "gpt", "value": "..."}, ...]}``, and ``<out>/images/<row id>.png`` (the run's clean PNG,
byte for byte).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from medtrinity.io.atomic import write_atomic

IMAGE_TOKEN = "<image>"


def llava_conversations(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group question records by row (in first-seen order) into multi-turn conversations."""
    by_row: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for record in records:
        by_row.setdefault(record["row_id"], []).append(record)
    conversations = []
    for row_id, questions in by_row.items():
        turns = []
        for index, record in enumerate(questions):
            prompt = f"{IMAGE_TOKEN}\n{record['question']}" if index == 0 else record["question"]
            turns += [{"from": "human", "value": prompt}, {"from": "gpt", "value": record["answer"]}]
        conversations.append({"id": row_id, "image": f"images/{row_id}.png", "conversations": turns})
    return conversations


def export_llava(run: Path, records: list[dict[str, Any]], out: Path) -> dict[str, int]:
    """Write the conversations and the images they name; returns the counts written."""
    import pyarrow.parquet as pq

    conversations = llava_conversations(records)
    wanted = {conversation["id"] for conversation in conversations}
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    written = 0
    for part in sorted((Path(run) / "triplets").glob("part-*.parquet")):
        for row in pq.read_table(part, columns=["id", "image_png"]).to_pylist():
            if row["id"] in wanted:
                (images / f"{row['id']}.png").write_bytes(row["image_png"])
                written += 1
    missing = wanted - {path.stem for path in images.glob("*.png")}
    if missing:
        raise FileNotFoundError(f"{run}: {len(missing)} rows named by the questions are not in triplets/, "
                                f"first {sorted(missing)[:3]}")
    text = json.dumps(conversations, ensure_ascii=False, indent=1)
    write_atomic(out / "vqa_llava.json", lambda target: target.write_text(text, encoding="utf-8"))
    return {"conversations": len(conversations), "turns": sum(len(c["conversations"]) // 2 for c in conversations),
            "images": written}
