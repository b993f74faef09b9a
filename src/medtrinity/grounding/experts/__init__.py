"""Expert models that find regions where a source brings none (the paper's SAT, CheXmask, HoVer-Net...).

An expert takes a sample (and optionally a text prompt or a box) and returns labelled masks
with scores. Which expert runs for which modality and body part is set in the config's
``grounding.experts`` rules; their masks join the sample's label map with ``origin`` set to
the expert's name, and the usual measurements follow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, Registry, registry, validate_options

EXPERTS: Registry[type[ExpertModel]] = registry("experts")


@dataclass
class ExpertMask:
    """One region an expert found: a boolean mask on the sample's image grid, its label, kind and score.

    ``score`` is the expert's confidence in 0..1 (regions below ``grounding.min_expert_confidence``
    are dropped and counted); ``measurements`` are facts the expert measured on the region
    (``cardiothoracic_ratio``, ``nuclei_count``...), numbers only, units in the key.
    """

    label: str
    mask: np.ndarray
    score: float
    kind: str = "organ"
    measurements: dict[str, float] = field(default_factory=dict)


class ExpertModel(ABC):
    """Finds labelled regions in one sample.

    A subclass declares ``Options`` (its options model, checked when the config is loaded) and
    ``dependencies`` ((import name, install command) beyond the core install). ``self.options`` is the
    validated model (typed attributes; its defaults are the only ones).
    """

    Options: ClassVar[type[PluginOptions]]
    name: str = ""
    version: str = "1"
    dependencies: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = validate_options(type(self).Options, options, f"expert {self.name} options")

    @abstractmethod
    def segment(
        self, sample: Sample, prompt: str | None = None, box: tuple[float, float, float, float] | None = None
    ) -> list[ExpertMask]:
        """Masks found in ``sample`` (on ``sample.image``'s grid); an empty list when nothing is found."""

    def input_image(self, sample: Sample, what: str = "a 2D image", *, rgb: bool = False) -> np.ndarray:
        """The image an expert works on (the display image, else the pixels); a grey or RGB 2D image (RGB only
        with ``rgb``), else an ``expert_input`` reject naming the expert, what it needs and the shape it got."""
        image = sample.image if sample.image is not None else sample.pixels
        if image is None or image.ndim not in ((3,) if rgb else (2, 3)):
            raise SampleError("expert_input", f"{self.name} needs {what}, got shape {getattr(image, 'shape', None)}")
        return image


def make_expert(name: str, options: dict[str, Any] | None = None) -> ExpertModel:
    """Instantiate a registered expert by name."""
    return EXPERTS.get(name)(options)
