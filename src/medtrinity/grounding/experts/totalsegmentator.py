"""The TotalSegmentator adapter: organ masks for CT/MR slices when the package and its weights are installed.

TotalSegmentator is a 3D nnU-Net; here each slice is passed as a one-slice volume with its
spacing, which is enough to name large organs but weaker than running it on whole volumes.
Nothing is downloaded: without the package or its weights the adapter says so and how to fix it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.records import Sample, SampleError
from medtrinity.registry import MissingDependencyError, PluginOptions, require_dependency
from medtrinity.vocab.labels import readable_label


def weights_folder() -> Path:
    """Where TotalSegmentator keeps its weights: ``$TOTALSEG_HOME_DIR`` or ``~/.totalsegmentator``."""
    return Path(os.environ.get("TOTALSEG_HOME_DIR", Path.home() / ".totalsegmentator")) / "nnunet" / "results"


class TotalSegmentatorOptions(PluginOptions):
    """Options of the ``totalsegmentator`` expert."""

    task: str = "total"
    fast: bool = True
    roi_subset: list[str] | None = None


@EXPERTS.register("totalsegmentator")
class TotalSegmentatorExpert(ExpertModel):
    """TotalSegmentator's 117 CT classes, run on the slice (needs the package and its weights).

    Options: ``task`` (``total``), ``fast`` (true), ``roi_subset`` (list of class names or null).
    """

    name = "totalsegmentator"
    Options = TotalSegmentatorOptions
    dependencies = (("totalsegmentator", "pip install TotalSegmentator"), ("nibabel", "pip install nibabel"))

    def _check_installed(self):
        module = require_dependency(self, "totalsegmentator.python_api")
        folder = weights_folder()
        if not folder.is_dir() or not any(folder.iterdir()):
            raise MissingDependencyError(
                f"the totalsegmentator expert needs its model weights in {folder} (set TOTALSEG_HOME_DIR); "
                "download them on a machine with internet with `totalseg_download_weights -t total` and copy them"
            )
        return module

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        api = self._check_installed()
        nib = require_dependency(self, "nibabel")
        if sample.pixels.ndim != 2 or sample.spacing_mm is None:
            raise SampleError("expert_input", "totalsegmentator needs a greyscale slice with known pixel spacing")
        from totalsegmentator.map_to_binary import class_map

        task = self.options.task
        # LPS display slice [row=y, col=x] -> a NIfTI [x, y, 1] volume with an LPS-flipped (RAS) affine
        volume = sample.pixels.T[:, :, None].astype(np.float32)
        thickness = float(sample.metadata.get("SliceThickness", 1.0) or 1.0)
        affine = np.diag([-sample.spacing_mm[0], -sample.spacing_mm[1], thickness, 1.0])
        result = api.totalsegmentator(nib.Nifti1Image(volume, affine), None, ml=True, task=task,
                                      fast=self.options.fast,
                                      roi_subset=self.options.roi_subset, quiet=True)
        labels = np.asarray(result.dataobj)[:, :, 0].T
        found = []
        for value, name in class_map[task].items():
            mask = labels == value
            if mask.any():
                found.append(ExpertMask(readable_label(name), mask, 1.0, kind="organ"))
        return found
