"""A generic ONNX Runtime adapter for 2D segmentation models with declared pre- and post-processing.

Options (all from the config): ``model_path``; ``input_size`` [height, width]; ``channels``
(1 or 3); ``mean`` and ``std`` applied to pixel values scaled to 0..1; ``output``: ``softmax``
(one channel per class, class 0 background, the arg-max wins) or ``sigmoid`` (one channel per
class, thresholded at ``threshold``); ``class_names`` (one per output channel); ``findings``
(class names that are lesions; the rest are organs).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field, PositiveInt

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, require_dependency


class OnnxOptions(PluginOptions):
    """Options of the ``onnx`` expert (see the module docstring)."""

    model_path: str
    class_names: list[str] = Field(min_length=1)
    input_size: tuple[PositiveInt, PositiveInt] | None = None
    channels: Literal[1, 3] = 1
    mean: list[float] | None = None
    std: list[float] | None = None
    output: Literal["softmax", "sigmoid"] = "softmax"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    findings: list[str] = Field(default_factory=list)


@EXPERTS.register("onnx")
class OnnxSegmentationExpert(ExpertModel):
    """A segmentation network exported to ONNX, run with onnxruntime on the CPU."""

    name = "onnx"
    Options = OnnxOptions
    dependencies = (("onnxruntime", "pip install 'medtrinity[experts]'"),)

    def __init__(self, options=None):
        given = dict(options or {})
        if "model_path" not in given or "class_names" not in given:
            raise ValueError(f"the onnx expert needs model_path and class_names, got options {sorted(given)}")
        super().__init__(options)
        self._session = None

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self._session is None:
            ort = require_dependency(self, "onnxruntime")
            self._session = ort.InferenceSession(self.options.model_path, providers=["CPUExecutionProvider"])
        name = self._session.get_inputs()[0].name
        return np.asarray(self._session.run(None, {name: batch})[0])

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """uint8 image -> float32 NCHW batch of one, resized and normalised as the model declares."""
        height, width = self.options.input_size or image.shape[:2]  # none given: the image's own size
        channels = self.options.channels
        pixels = image if image.ndim == 3 else image[:, :, None]
        if channels == 3 and pixels.shape[2] == 1:
            pixels = np.repeat(pixels, 3, axis=2)
        elif channels == 1 and pixels.shape[2] == 3:
            pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)[:, :, None]
        resized = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_LINEAR).reshape(height, width, channels)
        scaled = resized.astype(np.float32) / 255.0
        mean = np.asarray(self.options.mean or [0.0] * channels, dtype=np.float32)
        std = np.asarray(self.options.std or [1.0] * channels, dtype=np.float32)
        return ((scaled - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)

    def postprocess(self, output: np.ndarray, shape_hw: tuple[int, int]) -> list[ExpertMask]:
        """Model output (1, classes, h, w) -> one mask per non-background class present, on the image grid."""
        names = list(self.options.class_names)
        if output.ndim != 4 or output.shape[1] != len(names):
            raise SampleError("expert_output", f"onnx model output shape {output.shape} does not match "
                                               f"{len(names)} class names")
        scores = output[0].astype(np.float64)
        findings = set(self.options.findings)
        if self.options.output == "softmax":
            shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
            probability = shifted / shifted.sum(axis=0, keepdims=True)
            winner = probability.argmax(axis=0)
            masks = {index: winner == index for index in range(1, len(names))}
        else:
            probability = 1.0 / (1.0 + np.exp(-scores))
            threshold = self.options.threshold
            masks = {index: probability[index] > threshold for index in range(len(names))}
        found = []
        height, width = shape_hw
        for index, small in masks.items():
            if not small.any():
                continue
            mask = cv2.resize(small.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
            if not mask.any():
                continue
            score = float(probability[index][small].mean())
            kind = "lesion" if names[index] in findings else "organ"
            found.append(ExpertMask(names[index], mask, round(score, 4), kind=kind))
        return found

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        if sample.image is None:
            raise SampleError("expert_input", "the onnx expert runs on the preprocessed display image")
        return self.postprocess(self._run(self.preprocess(sample.image)), sample.image.shape[:2])
