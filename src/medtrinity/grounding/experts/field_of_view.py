"""The field-of-view expert: the imaged area of an ultrasound sector, an endoscopy frame, an MR slice.

Ultrasound and endoscopy frames carry black borders, text and scales outside the imaged area;
MR and PET slices carry air around the body. The field of view is the largest connected region
brighter than an Otsu threshold (computed on the whole frame, at least ``min_level``), closed
and holes filled. Measured: the share of the frame it covers. Where a model is supplied
(``model: {name: onnx, options: ...}``) its regions are added, clipped to the field of view.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from pydantic import Field

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel, make_expert
from medtrinity.grounding.experts.ct_anatomy import fill_holes
from medtrinity.records import Sample
from medtrinity.registry import PluginOptions


def field_of_view(image: np.ndarray, min_level: int = 8) -> np.ndarray:
    """The imaged area: largest bright connected region of the frame, holes filled."""
    grey = cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    grey = grey.astype(np.uint8) if grey.dtype == np.uint8 else cv2.normalize(
        grey.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    threshold, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = (blurred > min(max(threshold * 0.5, min_level), 60)).astype(np.uint8)
    size = max(3, int(0.02 * max(grey.shape)) | 1)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, 8)
    if count < 2:
        return np.zeros(grey.shape, dtype=bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return fill_holes(labels == largest)


class FieldOfViewOptions(PluginOptions):
    """Options of the ``field_of_view`` expert: the label, the darkest level inside the view, an expert to confine."""

    label: str = "field of view"
    min_level: int = Field(default=8, ge=0, le=255)
    model: dict[str, Any] | None = None


@EXPERTS.register("field_of_view")
class FieldOfViewExpert(ExpertModel):
    """Options: ``label`` ("field of view"), ``min_level`` (8), ``model`` (an expert spec whose regions are
    kept inside the field of view, e.g. ``{name: onnx, options: {model_path: ..., class_names: [...]}}``)."""

    name = "field_of_view"
    Options = FieldOfViewOptions
    version = "1"

    def __init__(self, options=None):
        super().__init__(options)
        spec = self.options.model
        self._model = make_expert(spec["name"], spec.get("options")) if spec else None

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample)
        view = field_of_view(image, self.options.min_level)
        share = float(view.mean())
        if share == 0.0:
            return []
        # a frame that is all field of view (no border) tells nothing: low confidence
        confidence = 1.0 if share < 0.97 else 0.3
        found = [ExpertMask(self.options.label, view, confidence, kind="structure",
                            measurements={"frame_fraction": round(share, 4)})]
        if self._model is not None:
            for region in self._model.segment(sample, prompt=prompt, box=box):
                region.mask = region.mask & view
                if region.mask.any():
                    found.insert(0, region)
        return found
