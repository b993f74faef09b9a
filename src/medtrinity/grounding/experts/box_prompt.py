"""A box-promptable segmentation adapter (MedSAM / SAM style, ONNX): each input box becomes a mask.

Two layouts are accepted, both loaded from local files (nothing is downloaded):
- one model (``model_path``) with an image input and a box input, returning mask logits;
- an encoder (``encoder_path``: image -> embeddings) and a decoder (``decoder_path``: embeddings +
  box -> mask logits), as MedSAM and SAM exports are split; the embedding is computed once per image.
The image is resized to ``input_size`` (1024), scaled to 0..1 and normalised by ``mean``/``std``
(``channels`` 3 by default); boxes go in as (x0, y0, x1, y1) in that resized frame, shape (1, 4).
Input names default to the model's first inputs in order (image first, then box, or embeddings
then box); ``image_input``, ``box_input`` and ``embedding_input`` name them otherwise. The logits
(1, 1, h, w) are resized to the image and thresholded at ``threshold`` (0.0 on logits); the mask
is kept inside the box widened by ``margin`` (10%), its score is the mean sigmoid inside it.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field, PositiveInt

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, require_dependency


class BoxPromptOptions(PluginOptions):
    """Options of the ``box_prompt`` expert: one ONNX model, or an encoder and a decoder, and their inputs."""

    model_path: str | None = None
    encoder_path: str | None = None
    decoder_path: str | None = None
    input_size: PositiveInt = 1024
    channels: Literal[1, 3] = 3
    mean: list[float] | None = None
    std: list[float] | None = None
    image_input: str | None = None
    box_input: str | None = None
    embedding_input: str | None = None
    threshold: float = 0.0
    margin: float = Field(default=0.1, ge=0.0)


@EXPERTS.register("box_prompt")
class BoxPromptExpert(ExpertModel):
    name = "box_prompt"
    Options = BoxPromptOptions
    dependencies = (("onnxruntime", "pip install 'medtrinity[experts]'"),)
    version = "1"
    refines_boxes = True

    def __init__(self, options=None):
        super().__init__(options)
        if not self.options.model_path and not (self.options.encoder_path and self.options.decoder_path):
            raise ValueError("the box_prompt expert needs model_path, or encoder_path and decoder_path, got "
                             f"options {sorted(self.options.model_fields_set)}")
        self._sessions: dict[str, object] = {}
        self._cached: tuple[int, np.ndarray] | None = None

    def _session(self, key: str):
        if key not in self._sessions:
            ort = require_dependency(self, "onnxruntime")
            path = str(getattr(self.options, key))
            self._sessions[key] = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        return self._sessions[key]

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """uint8 image -> float32 (1, C, S, S) batch, scaled to 0..1 and normalised."""
        size, channels = self.options.input_size, self.options.channels
        pixels = image if image.ndim == 3 else image[:, :, None]
        if channels == 3 and pixels.shape[2] == 1:
            pixels = np.repeat(pixels, 3, axis=2)
        elif channels == 1 and pixels.shape[2] >= 3:
            pixels = cv2.cvtColor(pixels[:, :, :3], cv2.COLOR_RGB2GRAY)[:, :, None]
        resized = cv2.resize(pixels[:, :, :channels], (size, size), interpolation=cv2.INTER_LINEAR)
        resized = resized.reshape(size, size, channels).astype(np.float32) / 255.0
        mean = np.asarray(self.options.mean or [0.0] * channels, dtype=np.float32)
        std = np.asarray(self.options.std or [1.0] * channels, dtype=np.float32)
        return ((resized - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)

    def _input_names(self, session, wanted: tuple[str, str]) -> tuple[str, str]:
        names = [item.name for item in session.get_inputs()]
        first = getattr(self.options, wanted[0]) or names[0]
        second = getattr(self.options, wanted[1]) or names[1]
        return str(first), str(second)

    def logits(self, image: np.ndarray, box_model: np.ndarray) -> np.ndarray:
        """Mask logits (h, w) for one box given in the model's input frame."""
        box = np.asarray(box_model, dtype=np.float32).reshape(1, 4)
        if self.options.model_path:
            session = self._session("model_path")
            image_name, box_name = self._input_names(session, ("image_input", "box_input"))
            output = session.run(None, {image_name: self.preprocess(image), box_name: box})[0]
        else:
            key = id(image)
            if self._cached is None or self._cached[0] != key:
                encoder = self._session("encoder_path")
                name = self.options.image_input or encoder.get_inputs()[0].name
                self._cached = (key, encoder.run(None, {name: self.preprocess(image)})[0])
            decoder = self._session("decoder_path")
            embedding_name, box_name = self._input_names(decoder, ("embedding_input", "box_input"))
            output = decoder.run(None, {embedding_name: self._cached[1], box_name: box})[0]
        output = np.asarray(output, dtype=np.float32)
        if output.ndim != 4 or output.shape[:2] != (1, 1):
            raise SampleError("expert_output", f"box_prompt model output shape {output.shape}; expected (1, 1, h, w)")
        return output[0, 0]

    def mask_for_box(self, image: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, float]:
        """(mask on the image grid, score) for a box (x0, y0, x1, y1) in image pixels."""
        height, width = image.shape[:2]
        size = self.options.input_size
        x0, y0, x1, y1 = box
        scaled = np.array([x0 * size / width, y0 * size / height, x1 * size / width, y1 * size / height])
        logits = cv2.resize(self.logits(image, scaled), (width, height), interpolation=cv2.INTER_LINEAR)
        mask = logits > self.options.threshold
        margin = self.options.margin
        pad_x, pad_y = margin * (x1 - x0), margin * (y1 - y0)
        keep = np.zeros(mask.shape, bool)
        keep[max(0, int(y0 - pad_y)):int(np.ceil(y1 + pad_y)), max(0, int(x0 - pad_x)):int(np.ceil(x1 + pad_x))] = True
        mask &= keep
        score = float((1.0 / (1.0 + np.exp(-logits[mask]))).mean()) if mask.any() else 0.0
        return mask, round(score, 4)

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        if sample.image is None:
            raise SampleError("expert_input", "the box_prompt expert runs on the preprocessed display image")
        boxes = [(prompt or "region", box)] if box is not None else list(sample.input_boxes)
        found = []
        for label, each in boxes:
            mask, score = self.mask_for_box(sample.image, each)
            if mask.any():
                found.append(ExpertMask(label, mask, score, kind="lesion" if label in sample.finding_labels
                                        else "organ"))
        return found
