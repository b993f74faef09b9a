"""Names and paths are checked before a run writes anything: one line naming the field, exit 2."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
import yaml

from medtrinity.config import ConfigError, parse_config
from medtrinity.config_check import check_config


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((16, 16), 90, np.uint8))
    return folder


def _source(images, **changes):
    return {"name": "s", "reader": "image_masks", "path": str(images), **changes}


@pytest.mark.parametrize(("change", "field"), [
    ({"sources": [{"reader": "no_such_reader"}]}, "sources[0] (s).reader: unknown reader 'no_such_reader'"),
    ({"sources": [{"path": "/nonexistent/folder"}]}, "sources[0] (s).path: /nonexistent/folder does not exist"),
    ({"sources": [{"labels": "/nonexistent/masks"}]}, "sources[0] (s).labels: /nonexistent/masks does not exist"),
    ({"sources": [{"label_map": "/nonexistent/map.json"}]}, "sources[0] (s).label_map:"),
    ({"sources": [{"reader": "wsi", "options": {"backend": "magic"}}]}, ".options.backend:"),
    ({"sources": [{"reader": "wsi", "options": {"tile_size": 0}}]}, ".options.tile_size:"),
    ({"grounding": {"experts": [{"name": "psychic"}]}}, "grounding.experts[0].name: unknown expert 'psychic'"),
    ({"generation": {"backend": "oracle"}}, "generation.backend: unknown"),
    ({"knowledge": {"kb": "/nonexistent/kb"}}, "knowledge.kb:"),
    ({"preprocess": {"ct_window": "rainbow"}}, "preprocess.ct_window: unknown CT window preset 'rainbow'"),
    ({"preprocess": {"evaluation_images": ["/nonexistent/eval"]}}, "preprocess.evaluation_images[0]:"),
])
def test_each_bad_name_or_path_names_its_field(images, change, field):
    raw = {"sources": [_source(images)]}
    for key, value in change.items():
        if key == "sources":
            raw["sources"] = [{**raw["sources"][0], **value[0]}]
        else:
            raw[key] = value
    with pytest.raises(ConfigError) as error:  # parse_config checks some names itself; check_config the rest
        check_config(parse_config(raw))
    message = str(error.value).replace("sources[0] (s)", "sources[0]")
    assert field.replace("sources[0] (s)", "sources[0]") in message and "\n" not in message


def test_a_good_config_passes_and_missing_paths_may_be_expected(images):
    check_config(parse_config({"sources": [_source(images)]}))
    check_config(parse_config({"sources": [_source(images, labels="/nonexistent/masks", may_be_empty=True)]}))


def test_cli_exits_2_with_one_line_before_writing_anything(tmp_path, images):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"sources": [_source(images)], "generation": {"backend": "oracle"}}))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "medtrinity", "run", str(config), "--out", str(out), "-q"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "generation.backend" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_findings_must_name_a_label_of_the_source(images, tmp_path):
    """The README's own example once named `findings: [liver tumor]` against a label map without it: the tumour
    would have been described as an organ. A finding that names no label is refused, naming the field and the
    labels there are; spelling (British/American) and underscores do not count as a difference."""
    label_map = tmp_path / "labels.json"
    label_map.write_text('{"1": "liver", "2": "liver_tumour", "3": "spleen"}')
    for findings in (["liver tumor"], ["Liver_Tumour"], ["liver tumour", "spleen"]):
        check_config(parse_config({"sources": [_source(images, label_map=str(label_map), findings=findings)]}))
    with pytest.raises(ConfigError) as error:
        check_config(parse_config({"sources": [_source(images, label_map=str(label_map), findings=["kidney cyst"])]}))
    assert "sources[0] (s).findings: 'kidney cyst' is not a label of the label map (liver, liver tumour, spleen)" \
        in str(error.value)
    with pytest.raises(ConfigError, match=r"findings: 'lesion' is not a label of label_names \(organ\)"):
        check_config(parse_config({"sources": [_source(images, label_names={1: "organ"}, findings=["lesion"])]}))
    check_config(parse_config({"sources": [_source(images, findings=["anything"])]}))  # names come from the files


def test_a_retired_key_names_what_replaced_it(images):
    """A run's config.resolved.yaml from an earlier version may hold a key since retired: the error says what to do."""
    with pytest.raises(ConfigError, match=r"heterogeneity_cv=0.15 was retired: .*heterogeneity_display_percent"):
        parse_config({"sources": [_source(images)], "grounding": {"heterogeneity_cv": 0.15}})
