"""A small finished run for the export, report and viewer tests: the demo sources (real files where the
shared data folder is present, the phantom always) plus synthetic X-rays with three bad inputs, so the
run has several sources and modalities, a non-commercial licence, and rejects."""

from __future__ import annotations

from pathlib import Path

from integration.helpers import image_mask_source, write_image_mask_folder
from medtrinity.config import parse_config
from medtrinity.datapaths import shared_data_dir
from medtrinity.demo import demo_sources
from medtrinity.runner import run_pipeline


def make_run(folder: Path) -> Path:
    """Run the pipeline once into ``folder/run`` and return that folder."""
    out = folder / "run"
    xray = image_mask_source(write_image_mask_folder(folder / "xray", 6))
    xray["license"] = "CC BY-NC 4.0 (synthetic test images)"
    raw = {"sources": demo_sources(out / "inputs", shared_data_dir()) + [xray], "knowledge": {"kb": "builtin"}}
    run_pipeline(parse_config(raw), out)
    return out
