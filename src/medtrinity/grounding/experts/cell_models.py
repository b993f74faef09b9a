"""Adapters for the nucleus and cell models pathologists use: Cellpose, StarDist and HoVer-Net (TIAToolbox).

Each runs only when its package is installed and its weights are on local disk (``model_path``);
nothing is downloaded. Without the package the adapter fails loudly with the pip command. The
model's instance label image goes through the same statistics as the offline ``nuclei`` expert
(count, density, size distribution, pleomorphism), so descriptions get the same facts either way.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import numpy as np
from pydantic import Field, PositiveFloat, PositiveInt

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.grounding.experts.pathology import nucleus_statistics, partition_by_seeds, tissue_mask
from medtrinity.records import Sample, SampleError
from medtrinity.registry import MissingDependencyError, PluginOptions, require_dependency


def _local_model(options, expert: str) -> Path:
    path = options.model_path
    if not path or not Path(path).exists():
        raise MissingDependencyError(
            f"the {expert} expert needs its weights on local disk: set options.model_path (got {path!r}); "
            "weights are never downloaded at run time")
    return Path(path)


class _InstanceModelExpert(ExpertModel):
    """Shared: image -> instance labels (subclass) -> nuclei mask with statistics, plus the tissue mask."""

    label = "cell nuclei"

    @abstractmethod
    def instances(self, image: np.ndarray) -> np.ndarray:
        """The model's instance label image (0 = background, 1..N = one nucleus each) on the image grid."""

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample)
        labels = np.asarray(self.instances(image))
        if labels.shape != image.shape[:2]:
            raise SampleError("expert_output", f"{self.name} returned labels of shape {labels.shape} for an "
                                               f"image of shape {image.shape[:2]}")
        rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
        tissue = tissue_mask(rgb[:, :, :3].astype(np.uint8)) if image.ndim == 3 else np.ones(labels.shape, bool)
        area = int(tissue.sum()) or labels.size
        facts = nucleus_statistics(labels.astype(np.int32), sample.spacing_mm, area)
        if facts["nuclei_count"] == 0:
            return []
        return [ExpertMask(self.label, labels > 0, self.options.confidence, kind="structure",
                           measurements=facts)]


class CellposeOptions(PluginOptions):
    """Options of the ``cellpose`` expert: local weights, the cell diameter, the channels, the confidence given."""

    model_path: str | None = None
    diameter_px: PositiveFloat | None = None
    channels: list[int] = Field(default_factory=lambda: [0, 0])
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


@EXPERTS.register("cellpose")
class CellposeExpert(_InstanceModelExpert):
    """Options: ``model_path`` (a local Cellpose model file), ``diameter_px`` (null: the model's own),
    ``channels`` ([0, 0] greyscale; [2, 1] cytoplasm green, nuclei red...)."""

    name = "cellpose"
    Options = CellposeOptions
    dependencies = (("cellpose", "pip install cellpose"),)
    version = "1"

    def instances(self, image: np.ndarray) -> np.ndarray:
        models = require_dependency(self, "cellpose.models")
        path = _local_model(self.options, self.name)
        if not hasattr(self, "_model"):
            self._model = models.CellposeModel(gpu=False, pretrained_model=str(path))
        result = self._model.eval(image, diameter=self.options.diameter_px,
                                  channels=self.options.channels)
        return result[0]


class StarDistOptions(PluginOptions):
    """Options of the ``stardist`` expert: the local model folder, the probability threshold, the confidence given."""

    model_path: str | None = None
    prob_thresh: float | None = Field(default=None, ge=0.0, le=1.0)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


@EXPERTS.register("stardist")
class StarDistExpert(_InstanceModelExpert):
    """Options: ``model_path`` (a local StarDist2D model folder: config.json + weights), ``prob_thresh``."""

    name = "stardist"
    Options = StarDistOptions
    dependencies = (("stardist", "pip install stardist tensorflow-cpu"),)
    version = "1"

    def instances(self, image: np.ndarray) -> np.ndarray:
        stardist = require_dependency(self, "stardist.models")
        path = _local_model(self.options, self.name)
        if not hasattr(self, "_model"):
            self._model = stardist.StarDist2D(None, name=path.name, basedir=str(path.parent))
        pixels = image.astype(np.float32)
        low, high = np.percentile(pixels, (1, 99.8))
        normalised = (pixels - low) / max(high - low, 1e-6)
        labels, _details = self._model.predict_instances(normalised, prob_thresh=self.options.prob_thresh)
        return labels


def hovernet_instances(nuclear_probability: np.ndarray, hv_maps: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """HoVer-Net's post-processing: nuclei from the pixel probability, split where the horizontal and
    vertical distance maps change fastest (their Sobel gradient): seeds are the nuclear pixels away
    from such edges, and each nuclear pixel joins the nearest seed of its blob."""
    import cv2

    foreground = nuclear_probability > threshold
    gradients = []
    for channel in hv_maps:
        normalised = cv2.normalize(channel.astype(np.float32), None, 0, 1, cv2.NORM_MINMAX)
        sobel = cv2.Sobel(normalised, cv2.CV_32F, 1, 0, ksize=5) if not gradients else cv2.Sobel(
            normalised, cv2.CV_32F, 0, 1, ksize=5)
        gradients.append(1.0 - cv2.normalize(np.abs(sobel), None, 0, 1, cv2.NORM_MINMAX))
    edge = np.maximum(1.0 - gradients[0], 1.0 - gradients[1]) * foreground
    markers = foreground & (edge < 0.4)
    markers = cv2.morphologyEx(markers.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    return partition_by_seeds(foreground, markers)


class HoVerNetOptions(PluginOptions):
    """Options of the ``hovernet`` expert: the ONNX model, its input size and output names, the confidence given."""

    model_path: str | None = None
    input_size: tuple[PositiveInt, PositiveInt] = (256, 256)
    np_output: str | None = None
    hv_output: str | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


@EXPERTS.register("hovernet")
class HoVerNetExpert(_InstanceModelExpert):
    """HoVer-Net exported to ONNX. Options: ``model_path``; ``input_size`` [h, w] (256, 256); ``np_output``
    and ``hv_output`` (output names; default the first two outputs): the nuclear-pixel map (1, 2, h, w)
    as softmax logits or (1, 1, h, w) as a probability, and the horizontal/vertical maps (1, 2, h, w)."""

    name = "hovernet"
    Options = HoVerNetOptions
    dependencies = (("onnxruntime", "pip install 'medtrinity[experts]'"),)
    version = "1"

    def instances(self, image: np.ndarray) -> np.ndarray:
        import cv2

        ort = require_dependency(self, "onnxruntime")
        path = _local_model(self.options, self.name)
        if not hasattr(self, "_session"):
            self._session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        height, width = self.options.input_size
        rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
        batch = cv2.resize(rgb[:, :, :3], (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        batch = batch.transpose(2, 0, 1)[None] / 255.0
        outputs = {item.name: value for item, value in zip(
            self._session.get_outputs(), self._session.run(None, {self._session.get_inputs()[0].name: batch}),
            strict=True)}
        names = list(outputs)
        nuclear = np.asarray(outputs[self.options.np_output or names[0]], dtype=np.float32)[0]
        hv_maps = np.asarray(outputs[self.options.hv_output or names[1]], dtype=np.float32)[0]
        if nuclear.shape[0] == 2:
            shifted = np.exp(nuclear - nuclear.max(axis=0, keepdims=True))
            nuclear = shifted[1] / shifted.sum(axis=0)
        else:
            nuclear = nuclear[0]
        if hv_maps.shape[0] != 2:
            raise SampleError("expert_output", f"hovernet hv output has {hv_maps.shape[0]} channels; expected 2")
        labels = hovernet_instances(nuclear, hv_maps)
        return cv2.resize(labels.astype(np.float32), (image.shape[1], image.shape[0]),
                          interpolation=cv2.INTER_NEAREST).astype(np.int32)
