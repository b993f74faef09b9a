"""Helpers for reader tests: build a reader from a source mapping and read every item."""

from __future__ import annotations

import pytest

from medtrinity.config import parse_config
from medtrinity.sources import make_reader


def build_reader(reader: str, path, **source):
    config = parse_config({"sources": [{"name": "s", "reader": reader, "path": str(path), **source}],
                           "slicing": {"without_roi_fraction": 1.0}})
    return make_reader(config.sources[0], config)


def read_all(reader):
    return [sample for item in reader.list_items() for sample in reader.read(item)]


@pytest.fixture
def make():
    return build_reader
