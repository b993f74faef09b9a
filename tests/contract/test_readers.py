"""Every registered reader keeps the Sample contract on a tiny dataset in its own layout.

Invariants: an options model that forbids unknown keys; at least one sample; pixels 2D or H x W x 3;
label maps and lesion components on the image grid; spacing positive; orientation letters from
L/R/A/P/S/I on two different axes; modality and plane from the vocabulary; input boxes inside the image.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import BaseModel

from medtrinity.config import ConfigError, parse_config
from medtrinity.registry import PluginOptions, registry
from medtrinity.sources import make_reader
from medtrinity.vocab.modalities import MODALITIES
from medtrinity.vocab.planes import PLANES

from .fixtures import READER_FIXTURES

READERS = registry("readers")
_AXES = {"L": "x", "R": "x", "A": "y", "P": "y", "S": "z", "I": "z"}


def test_every_registered_reader_has_a_contract_fixture():
    assert set(READERS.names()) - set(READER_FIXTURES) == set()


@pytest.mark.parametrize("name", sorted(READERS.names()))
def test_reader_declares_a_strict_options_model(name):
    model = READERS.options_model(name)
    assert issubclass(model, PluginOptions) and issubclass(model, BaseModel)
    assert model.model_config.get("extra") == "forbid"
    with pytest.raises(ConfigError, match=r"sources\[0\]\.options\.no_such_option: extra inputs are not permitted"):
        parse_config({"sources": [{"name": "s", "reader": name, "path": "x", "labels": "y",
                                   "options": {"no_such_option": 1}}]})


@pytest.mark.parametrize("name", sorted(READER_FIXTURES))
def test_reader_samples_keep_the_contract(name, tmp_path):
    source = {"name": "s", "reader": name, **READER_FIXTURES[name](tmp_path)}
    config = parse_config({"sources": [source], "slicing": {"without_roi_fraction": 1.0}})
    reader = make_reader(config.sources[0], config)
    items = reader.list_items()
    assert items and items == reader.list_items(), "items are listed, the same way every time"
    samples = [sample for item in items for sample in reader.read(item)]
    assert samples, f"{name} read no sample from its fixture"
    for sample in samples:
        pixels = sample.pixels
        assert pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3), pixels.shape
        for grid in (sample.label_map, sample.lesion_components):
            if grid is not None:
                assert grid.shape == pixels.shape[:2]
        if sample.spacing_mm is not None:
            assert len(sample.spacing_mm) == 2 and min(sample.spacing_mm) > 0
        letters = [letter for letter in sample.patient_orientation if letter]
        assert all(letter in _AXES for letter in letters), sample.patient_orientation
        assert len({_AXES[letter] for letter in letters}) == len(letters)
        assert sample.modality in MODALITIES and sample.plane in PLANES
        assert len(sample.id) == 16 and int(sample.id, 16) >= 0
        height, width = pixels.shape[:2]
        for _, (x0, y0, x1, y1) in sample.input_boxes:
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        if sample.label_map is not None:
            values = {int(value) for value in np.unique(sample.label_map)} - {0}
            assert values <= set(sample.label_names), "every label value has a name"
