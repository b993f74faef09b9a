"""The CheXmask-style adapter: an ONNX landmark model (HybridGNet-like) -> lung and heart masks, CTR.

CheXmask's models return contour landmarks rather than pixel masks: by default 120 (x, y) points,
44 for the right lung, 50 for the left lung and 26 for the heart, in 0..1 of the model's input
frame. Each group is filled as a polygon on the image grid; the cardiothoracic ratio (heart
width / widest extent of both lungs) and each lung's costophrenic angle are measured as the
offline ``chest_xray`` expert does. Options: ``model_path``; ``input_size`` (1024); ``channels``
(1); ``mean``/``std`` (0, 1 on 0..1 pixels); ``landmarks`` ({label: [first, end]} point ranges);
``coordinates`` (``normalised`` or ``pixels`` of the input frame). Segmentation-mask models
(CheXmask's U-Nets, any lung/heart model) run through the ``onnx`` expert instead.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field, PositiveInt

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.grounding.experts.chest_xray import costophrenic_angle_visible
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, require_dependency

CHEXMASK_LANDMARKS = {"right lung": (0, 44), "left lung": (44, 94), "heart": (94, 120)}


def cardiothoracic_ratio(heart: np.ndarray, lungs: np.ndarray) -> float | None:
    """Widest horizontal extent of the heart over the widest extent of both lungs together."""
    if not heart.any() or not lungs.any():
        return None
    heart_columns = np.flatnonzero(heart.any(axis=0))
    lung_columns = np.flatnonzero(lungs.any(axis=0))
    return float((heart_columns[-1] - heart_columns[0] + 1) / (lung_columns[-1] - lung_columns[0] + 1))


class ChexmaskOptions(PluginOptions):
    """Options of the ``chexmask`` expert (see the module docstring)."""

    model_path: str | None = None
    input_size: PositiveInt = 1024
    channels: Literal[1, 3] = 1
    mean: float = 0.0
    std: float = Field(default=1.0, gt=0.0)
    landmarks: dict[str, tuple[int, int]] | None = None
    coordinates: Literal["normalised", "pixels"] = "normalised"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


@EXPERTS.register("chexmask")
class ChestLandmarkExpert(ExpertModel):
    name = "chexmask"
    Options = ChexmaskOptions
    dependencies = (("onnxruntime", "pip install 'medtrinity[experts]'"),)
    version = "1"

    def __init__(self, options=None):
        super().__init__(options)
        if not self.options.model_path:
            given = sorted(self.options.model_fields_set)
            raise ValueError(f"the chexmask expert needs model_path, got options {given}")
        self._session = None

    def landmarks(self, image: np.ndarray) -> np.ndarray:
        """(N, 2) landmark coordinates in pixels of ``image``."""
        if self._session is None:
            ort = require_dependency(self, "onnxruntime")
            self._session = ort.InferenceSession(self.options.model_path, providers=["CPUExecutionProvider"])
        size, channels = self.options.input_size, self.options.channels
        grey = cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        resized = cv2.resize(grey.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA) / 255.0
        mean, std = self.options.mean, self.options.std
        batch = np.repeat(((resized - mean) / std)[None, None], channels, axis=1).astype(np.float32)
        output = np.asarray(self._session.run(None, {self._session.get_inputs()[0].name: batch})[0], np.float32)
        points = output.reshape(-1, 2)
        if self.options.coordinates == "normalised":
            points = points * size
        height, width = image.shape[:2]
        return points * np.array([width / size, height / size], np.float32)

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample, "a 2D radiograph")
        points = self.landmarks(image.astype(np.uint8) if image.dtype != np.uint8 else image)
        groups = {label: tuple(span) for label, span in (self.options.landmarks or CHEXMASK_LANDMARKS).items()}
        if max(end for _start, end in groups.values()) > len(points):
            raise SampleError("expert_output", f"chexmask model returned {len(points)} landmarks; the groups "
                                               f"need {max(end for _start, end in groups.values())}")
        masks = {}
        for label, (start, end) in groups.items():
            mask = np.zeros(image.shape[:2], np.uint8)
            cv2.fillPoly(mask, [np.round(points[start:end]).astype(np.int32)], 1)
            masks[label] = mask > 0
        lungs = masks.get("right lung", False) | masks.get("left lung", False)
        found = []
        for label, mask in masks.items():
            facts: dict[str, float] = {}
            if label == "heart":
                ratio = cardiothoracic_ratio(mask, np.asarray(lungs))
                if ratio is not None:
                    facts["cardiothoracic_ratio"] = round(ratio, 3)
            elif label in ("right lung", "left lung") and mask.any():
                # display convention: the right lung on the image's left, its lateral side to the left
                facts["costophrenic_angle_visible"] = float(costophrenic_angle_visible(mask, label == "right lung"))
            if mask.any():
                found.append(ExpertMask(label, mask, self.options.confidence, kind="organ",
                                        measurements=facts))
        if found and not any(sample.patient_orientation):
            sample.patient_orientation = ("L", "F")
        return found
