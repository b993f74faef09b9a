"""Small input collections that integration tests build in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import yaml


def write_image_mask_folder(folder: Path, count: int, *, bad: bool = True) -> Path:
    """``count`` synthetic 2D images with a bright disc marked in a mask; optionally three bad inputs."""
    images, masks = folder / "images", folder / "masks"
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for index in range(count):
        image = rng.normal(90, 10, (96, 128)).clip(0, 255).astype(np.uint8)
        mask = np.zeros((96, 128), dtype=np.uint8)
        center = (int(20 + index * 7 % 90), int(30 + index * 5 % 40))
        cv2.circle(mask, center, 8 + index % 5, 1, thickness=-1)
        image[mask > 0] = 200
        cv2.imwrite(str(images / f"img_{index:03d}.png"), image)
        cv2.imwrite(str(masks / f"img_{index:03d}.png"), mask)
    if bad:
        (images / "zz_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
        cv2.imwrite(str(images / "zz_mismatch.png"), np.full((50, 50), 80, dtype=np.uint8))
        cv2.imwrite(str(masks / "zz_mismatch.png"), np.zeros((40, 50), dtype=np.uint8))
        cv2.imwrite(str(images / "zz_blank.png"), np.full((50, 50), 7, dtype=np.uint8))
        cv2.imwrite(str(masks / "zz_blank.png"), np.zeros((50, 50), dtype=np.uint8))
    return folder


def write_folder_with_copies(folder: Path) -> Path:
    """Nine images with masks plus an exact copy of the first and a re-saved (noisy) copy of the fifth, named to
    sort last so the copies land in the last shard."""
    write_image_mask_folder(folder, 9, bad=False)
    images, masks = folder / "images", folder / "masks"
    shutil.copyfile(images / "img_000.png", images / "zz_copy_of_000.png")
    shutil.copyfile(masks / "img_000.png", masks / "zz_copy_of_000.png")
    original = cv2.imread(str(images / "img_004.png"), cv2.IMREAD_UNCHANGED).astype(int)
    noise = np.random.default_rng(2).integers(-2, 3, original.shape)
    cv2.imwrite(str(images / "zz_resaved_004.png"), np.clip(original + noise, 0, 255).astype(np.uint8))
    shutil.copyfile(masks / "img_004.png", masks / "zz_resaved_004.png")
    return folder


def write_config(path: Path, sources: list[dict], **settings) -> Path:
    raw = {"sources": sources, "knowledge": {"kb": "none"}, **settings}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def image_mask_source(folder: Path, files_per_shard: int = 4) -> dict:
    return {"name": "synthetic_xray", "reader": "image_masks", "path": str(folder / "images"),
            "labels": str(folder / "masks"), "modality": "xray", "body_part": "chest",
            "label_names": {1: "nodule"}, "files_per_shard": files_per_shard, "options": {"spacing_mm": [0.5, 0.5]}}


def phantom_source(cases: int = 1) -> dict:
    return {"name": "phantom_ct", "reader": "phantom", "path": "phantom", "options": {"cases": cases}}



class LostAfter:
    """An ``on_shard_done`` callback that stops the run like a lost machine once ``shards`` shards are done;
    ``done`` lists the shards that finished."""

    def __init__(self, shards: int):
        self.shards = shards
        self.done: list[int] = []

    def __call__(self, outcome) -> None:
        self.done.append(outcome.index)
        if len(self.done) == self.shards:
            raise KeyboardInterrupt(f"machine lost after {self.shards} shards")
