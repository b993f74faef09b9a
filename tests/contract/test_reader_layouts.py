"""Every registered reader says whether a path looks like its layout (``Reader.looks_like``), and `inspect` asks
the registry: on each reader's tiny fixture its own reader answers best, `inspect` writes a source for it that
the config accepts, and other layouts get a no. A reader added through the ``medtrinity.readers`` entry points
is recognised the same way, with no edit in `inspect`."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from medtrinity.config import parse_config
from medtrinity.inspect import build_config, inspect_path
from medtrinity.inspect.layouts import candidates
from medtrinity.registry import registry
from medtrinity.sources import make_reader
from medtrinity.sources.base import Reader
from medtrinity.sources.layout import LayoutMatch

from .fixtures import READER_FIXTURES

READERS = registry("readers")
# fixtures whose source `path` is a part of the layout (images/, Annotations/): inspect is pointed at the folder
ROOT_IS_FOLDER = {"image_masks", "image_class_masks", "csv_labels", "yolo", "voc"}
# where inspect's declared precedence picks another reader on purpose: a lone DICOM file is read as a series of one
PICKED_INSTEAD = {"dicom_files": "dicom_series"}
# readers that never look at files (generated data): they recognise nothing
NO_LAYOUT = {name for name in READERS.names() if not getattr(READERS.get(name), "reads_files", True)}
LAYOUT_READERS = sorted(set(READERS.names()) - NO_LAYOUT)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, Path]:
    """Each reader's fixture written once: reader name -> the path `inspect` would be pointed at."""
    roots = {}
    for name, make in READER_FIXTURES.items():
        folder = tmp_path_factory.mktemp(name)
        source = make(folder)
        roots[name] = folder if name in ROOT_IS_FOLDER or name in NO_LAYOUT else Path(source["path"])
    return roots


def _answers(path: Path) -> dict[str, LayoutMatch]:
    return {name: match for name in READERS.names() if (match := READERS.get(name).looks_like(path)) is not None}


def test_every_reader_that_reads_files_declares_looks_like():
    inherited = [name for name in LAYOUT_READERS if READERS.get(name).looks_like.__func__ is Reader.looks_like.__func__]
    assert inherited == []
    assert NO_LAYOUT == {"phantom"}


@pytest.mark.parametrize("name", LAYOUT_READERS)
def test_reader_recognises_its_own_layout_and_inspect_picks_it(name, layouts):
    path = layouts[name]
    answers = _answers(path)
    assert name in answers, f"{name}.looks_like said no on its own fixture {path}"
    match = answers[name]
    assert match.score > 0 and match.why
    expected = PICKED_INSTEAD.get(name, name)
    best = next(candidates(path))
    assert best.name == expected, {other: m.score for other, m in answers.items()}
    config, findings = build_config([path])
    assert [source["reader"] for source in config["sources"]] == [expected], findings[0].seen + findings[0].todo
    parsed = parse_config(config)  # what inspect wrote is a config `run` accepts ...
    items = make_reader(parsed.sources[0], parsed).list_items()
    # ... and its reader finds the fixture's items (inspect's 512 px slide tiles hold too little of the tiny
    # fixture slide's tissue to be kept: the wsi reader lists none there, which is right)
    assert items or name == "wsi"


@pytest.mark.parametrize("name", LAYOUT_READERS)
def test_reader_says_no_to_other_layouts(name, layouts):
    others = [other for other in sorted(layouts) if other != name]
    refused = [other for other in others if READERS.get(name).looks_like(layouts[other]) is None]
    assert len(refused) >= 2, f"{name} claims nearly every layout"
    # where it does say yes to another reader's layout, that reader (or the one preferred to it) answers better
    for other in set(others) - set(refused):
        answers = _answers(layouts[other])
        winner = PICKED_INSTEAD.get(other, other)
        assert answers[name].score < answers[winner].score or name == winner, (name, other)


@pytest.mark.parametrize("name", sorted(NO_LAYOUT))
def test_generated_data_readers_recognise_nothing(name, layouts):
    assert all(READERS.get(name).looks_like(path) is None for path in layouts.values())


@pytest.mark.parametrize("name", ["nifti", "coco", "csv_labels", "image_folder", "voc", "dicom_series"])
def test_files_of_no_layout_get_no_yes(name, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "data.bin").write_bytes(b"\x00" * 300)
    (tmp_path / "list.json").write_text('{"name": "not a dataset"}')
    assert READERS.get(name).looks_like(tmp_path) is None
    assert READERS.get(name).looks_like(tmp_path / "data.bin") is None


PLUGIN_MODULE = '''
"""A third-party reader of ".scan" folders, registered only through an entry point."""
from pathlib import Path

from medtrinity.registry import NoOptions
from medtrinity.sources.base import Reader
from medtrinity.sources.layout import LayoutMatch


class ScanFolderReader(Reader):
    Options = NoOptions
    formats = "folders of .scan files"
    inspect_priority = 30

    @classmethod
    def looks_like(cls, path):
        if path.is_dir() and any(p.suffix == ".scan" for p in path.iterdir()):
            return LayoutMatch(cls.inspect_priority, "files ending in .scan")
        return None

    def list_items(self):
        return sorted(str(p) for p in Path(self.source.path).glob("*.scan"))

    def read(self, item):
        return iter(())
'''


def test_a_reader_from_an_entry_point_is_recognised_without_an_edit_in_inspect(tmp_path, monkeypatch):
    """A real entry point (a ``.dist-info`` on ``sys.path``), loaded by ``importlib.metadata`` as pip would."""
    site = tmp_path / "site"
    (site / "scan_plugin").mkdir(parents=True)
    (site / "scan_plugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    info = site / "scan_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scan-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[medtrinity.readers]\nscan_folder = scan_plugin:ScanFolderReader\n")
    READERS.names()  # the built-ins first, so only the entry point is new below
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(READERS, "_items", dict(READERS._items))  # restored after the test
    monkeypatch.setattr(READERS, "_entry_points_loaded", False)
    monkeypatch.delitem(sys.modules, "scan_plugin", raising=False)
    data = tmp_path / "scans"
    data.mkdir()
    (data / "a.scan").write_bytes(b"scan")
    (data / "b.scan").write_bytes(b"scan")
    assert "scan_folder" in READERS.names()
    finding = inspect_path(data)
    assert [(s["name"], s["reader"], s["path"]) for s in finding.sources] == [
        ("scans", "scan_folder", str(data.resolve()))]
    assert any("files ending in .scan" in line and "scan_folder" in line for line in finding.seen)
    config = parse_config(build_config([data])[0])
    assert make_reader(config.sources[0], config).list_items() == [str(data.resolve() / "a.scan"),
                                                                   str(data.resolve() / "b.scan")]
    # ranked by its declared priority: images beside the .scan files are not plain images (5) any more ...
    import cv2
    import numpy as np

    cv2.imwrite(str(data / "photo.png"), np.zeros((8, 8), np.uint8))
    assert [s["reader"] for s in inspect_path(data).sources] == ["scan_folder"]
    # ... and a layout that ranks above it (a COCO JSON, 80) still wins
    (data / "ann.json").write_text('{"images": [{"id": 1, "file_name": "photo.png"}], "annotations": []}')
    assert [s["reader"] for s in inspect_path(data).sources] == ["coco"]
