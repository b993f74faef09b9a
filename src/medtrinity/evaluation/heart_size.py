"""Radiologists' yes/no answers on heart size in VQA-RAD, as a reference for the measured cardiothoracic ratio.

VQA-RAD's clinicians asked of many chest films "Is the heart enlarged?", "Is there cardiomegaly?" or "Is the
heart size normal?". Read together they say, per image, whether the heart is enlarged: the truth a measured
cardiothoracic ratio above 0.5 should agree with. An image whose answers disagree is left out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# a yes says the heart is enlarged; each names the heart and its size (not its margins, not another organ)
_ENLARGED = re.compile(r"cardiomegaly|abnormal about the heart size|(?:heart|cardiac silhouette)\b[^?]*"
                       r"\b(?:enlarged|size (?:is )?(?:increased|abnormal))")
# a yes says it is not
_NORMAL = re.compile(r"(?:heart|cardiac silhouette)\b[^?]*\b(?:normal size|size normal|within normal size"
                     r"|width[^?]*normal|less than half)")


def heart_size_answers(vqa_rad_folder: Path) -> dict[str, bool]:
    """Image name -> whether VQA-RAD's yes/no answers say its heart is enlarged (``trainset.json`` and
    ``testset.json`` in ``vqa_rad_folder``); images whose answers contradict each other are left out."""
    said: dict[str, set[bool]] = {}
    for name in ("trainset.json", "testset.json"):
        path = Path(vqa_rad_folder) / name
        if not path.is_file():
            continue
        for record in json.loads(path.read_text()):
            answer = str(record.get("answer", "")).strip().lower()
            if answer not in ("yes", "no"):
                continue
            question = str(record.get("question", "")).lower()
            if "how do you" in question:
                continue
            if _ENLARGED.search(question):
                said.setdefault(record["image_name"], set()).add(answer == "yes")
            elif _NORMAL.search(question):
                said.setdefault(record["image_name"], set()).add(answer == "no")
    return {image: next(iter(values)) for image, values in sorted(said.items()) if len(values) == 1}
