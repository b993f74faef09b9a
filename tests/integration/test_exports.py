"""Exports read back by the libraries their users use: datasets, webdataset, pycocotools, a JSON schema."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from medtrinity.cli import app
from medtrinity.export.formats import export_run
from medtrinity.export.llava import CAPTION_PROMPTS, SCHEMA_PATH
from medtrinity.export.reviews import append_decision
from medtrinity.export.run_rows import RowFilter
from medtrinity.io.hashes import file_sha256
from medtrinity.io.rle import decode_mask
from medtrinity.run_folder import read_parquet_folder

from .export_runs import make_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("export-run"))


@pytest.fixture(scope="module")
def run_rows(run_dir) -> dict[str, dict]:
    return {row["id"]: row for row in read_parquet_folder(run_dir / "triplets").to_pylist()}


def test_hf_export_loads_with_datasets_as_image_feature(run_dir, run_rows, tmp_path):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "hf"
    summary = export_run(run_dir, "hf", out, shard_size=7)
    assert summary["written"]["shards"] == -(-len(run_rows) // 7)
    dataset = datasets.load_dataset("parquet", data_files=str(out / "data" / "*.parquet"), split="train",
                                    cache_dir=str(tmp_path / "cache"))
    assert len(dataset) == len(run_rows)
    assert isinstance(dataset.features["image"], datasets.Image)
    row = dataset[3]
    original = run_rows[row["id"]]
    decoded = np.asarray(row["image"])
    expected = np.asarray(Image.open(io.BytesIO(original["image_png"])))
    assert decoded.shape == expected.shape and np.array_equal(decoded, expected)
    assert row["description_text"] == original["description_text"]
    assert [roi["mask_rle"]["counts"] for roi in row["rois"]] == [r["mask_rle"]["counts"] for r in original["rois"]]
    # the card's `configs` make the folder itself loadable
    from_card = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache2"))
    assert len(from_card) == len(run_rows) and isinstance(from_card.features["image"], datasets.Image)


def test_dataset_card_header_counts_licences_and_leakage(run_dir, run_rows, tmp_path):
    out = tmp_path / "hf"
    export_run(run_dir, "hf", out)
    text = (out / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(text.split("---")[1])
    assert header["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    assert "image-to-text" in header["task_categories"]
    assert header["license"] == "other" and "cc-by-nc" not in header["license"]  # several licences
    assert "synthetic_xray: CC BY-NC 4.0" in header["license_details"]
    sources: dict[str, int] = {}
    for row in run_rows.values():
        sources[row["source"]] = sources.get(row["source"], 0) + 1
    for source, count in sources.items():
        assert f"| {source} | {count} |" in text
    assert "Non-commercial licence for: synthetic_xray" in text
    assert "Evaluation-set overlap check: **not run**" in text
    stats = json.loads((run_dir / "stats.json").read_text())
    assert f"Config hash: `{stats['config_hash']}`" in text
    if "totalsegmentator_ct" in sources:
        assert "Wasserthal J. et al." in text
    assert "not recorded: add the dataset citation" in text  # the synthetic X-rays have no known citation


def test_croissant_lists_shards_with_checksums(run_dir, tmp_path):
    out = tmp_path / "hf"
    export_run(run_dir, "hf", out, shard_size=10)
    document = json.loads((out / "croissant.json").read_text())
    assert document["@type"] == "sc:Dataset" and document["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    files = [entry for entry in document["distribution"] if entry["@type"] == "cr:FileObject"]
    assert len(files) == len(list((out / "data").glob("*.parquet")))
    for entry in files:
        assert file_sha256(out / entry["contentUrl"]) == entry["sha256"]
    fields = {field["name"]: field for field in document["recordSet"][0]["field"]}
    assert fields["image"]["dataType"] == "sc:ImageObject" and fields["image_labels"]["repeated"]
    columns = set(pq.read_schema(next((out / "data").glob("*.parquet"))).names)
    nested = columns - set(fields)
    schema = pq.read_schema(next((out / "data").glob("*.parquet")))
    structured = {field.name for field in schema if field.name != "image" and (
        pa.types.is_struct(field.type) or (pa.types.is_list(field.type) and (
            pa.types.is_struct(field.type.value_type) or pa.types.is_list(field.type.value_type)
            or pa.types.is_fixed_size_list(field.type.value_type))))}
    assert nested == structured and {"rois", "passages", "description_evidence"} <= nested
    assert all(name in document["recordSet"][0]["description"] for name in nested)


def test_croissant_records_read_with_mlcroissant(run_dir, run_rows, tmp_path):
    mlcroissant = pytest.importorskip("mlcroissant")
    out = tmp_path / "hf"
    export_run(run_dir, "hf", out, shard_size=10)
    dataset = mlcroissant.Dataset(jsonld=str(out / "croissant.json"))
    records = list(dataset.records(record_set="triplets"))
    assert len(records) == len(run_rows)
    for record in records[:5]:
        original = run_rows[record["triplets/id"].decode()]
        assert np.array_equal(np.asarray(record["triplets/image"]),
                              np.asarray(Image.open(io.BytesIO(original["image_png"]))))
        assert record["triplets/description_text"].decode() == original["description_text"]
        assert [label.decode() for label in record["triplets/image_labels"]] == original["image_labels"]


def test_webdataset_export_reads_with_webdataset(run_dir, run_rows, tmp_path):
    webdataset = pytest.importorskip("webdataset")
    out = tmp_path / "wds"
    summary = export_run(run_dir, "webdataset", out, shard_size=5)
    shards = sorted(str(path) for path in out.glob("shard-*.tar"))
    assert len(shards) == summary["written"]["shards"] == -(-len(run_rows) // 5)
    samples = list(webdataset.WebDataset(shards, shardshuffle=False).decode("pil"))
    assert len(samples) == len(run_rows)
    for sample in samples:
        meta = sample["json"]
        original = run_rows[meta["id"]]
        assert sample["txt"] == original["description_text"]
        assert sample["png"].size == (original["width"], original["height"])
        for roi, original_roi in zip(meta["rois"], original["rois"], strict=True):
            assert int(decode_mask(roi["mask_rle"]).sum()) == original_roi["area_px"]
        assert isinstance(meta["metadata"], dict)


def test_llava_export_matches_its_schema_and_varies_prompts(run_dir, run_rows, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    out = tmp_path / "llava"
    export_run(run_dir, "llava", out)
    items = json.loads((out / "llava.json").read_text())
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.validate(items, schema)
    assert len(items) == sum(1 for row in run_rows.values() if row["description_text"].strip())
    prompts = {item["conversations"][0]["value"].split("\n", 1)[1] for item in items}
    assert len(prompts) >= 4
    assert all(any(p.split("{")[0] in prompt for p in CAPTION_PROMPTS) for prompt in prompts)
    for item in items[:5]:
        assert item["conversations"][1]["value"] == run_rows[item["id"]]["description_text"]
        assert (out / item["image"]).read_bytes() == run_rows[item["id"]]["image_png"]
    broken = [dict(items[0], conversations=[{"from": "human", "value": "describe it"},
                                            items[0]["conversations"][1]])]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_coco_export_reads_with_pycocotools(run_dir, run_rows, tmp_path):
    coco_module = pytest.importorskip("pycocotools.coco")
    out = tmp_path / "coco"
    summary = export_run(run_dir, "coco", out)
    coco = coco_module.COCO(str(out / "annotations.json"))
    assert len(coco.getImgIds()) == len(run_rows)
    assert len(coco.getAnnIds()) == summary["written"]["annotations"] == sum(len(r["rois"]) for r in run_rows.values())
    labels = {roi["label"] for row in run_rows.values() for roi in row["rois"]}
    assert {category["name"] for category in coco.loadCats(coco.getCatIds())} == labels
    for image in coco.loadImgs(coco.getImgIds()[:10]):
        original = run_rows[image["medtrinity_id"]]
        assert image["caption"] == original["description_text"]
        assert (out / image["file_name"]).read_bytes() == original["image_png"]
        for annotation, roi in zip(coco.loadAnns(coco.getAnnIds(imgIds=image["id"])), original["rois"], strict=True):
            mask = coco.annToMask(annotation)
            assert mask.shape == (image["height"], image["width"]) and int(mask.sum()) == roi["area_px"]
            x0, y0, x1, y1 = roi["bbox_xyxy"]
            assert annotation["bbox"] == [x0, y0, x1 - x0, y1 - y0]
            assert coco.loadCats(annotation["category_id"])[0]["name"] == roi["label"]
    captions = coco_module.COCO(str(out / "captions.json"))
    assert len(captions.getAnnIds()) == len(run_rows)


def test_filters_and_review_decisions(run_dir, run_rows, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    ids = sorted(run_rows)
    rejected, edited = ids[0], ids[1]
    append_decision(copy, rejected, "reject", "tester")
    append_decision(copy, edited, "edit", "tester", "A corrected description.")
    append_decision(copy, edited, "accept", "tester")
    export_run(copy, "webdataset", tmp_path / "all")
    kept = {json.loads(line)["id"]: json.loads(line) for line in _jsons(tmp_path / "all")}
    assert rejected not in kept and len(kept) == len(run_rows) - 1
    assert kept[edited]["description_text"] == "A corrected description."
    assert kept[edited]["review_status"] == "accepted+edited" and kept[edited]["description_evidence"] == []
    export_run(copy, "webdataset", tmp_path / "ignoring", RowFilter(honour_reviews=False))
    assert len(list(_jsons(tmp_path / "ignoring"))) == len(run_rows)

    commercial = RowFilter(licences=("CC BY 4.0", "CC0", "MIT", "BSD"))
    export_run(copy, "webdataset", tmp_path / "commercial", commercial)
    sources = {json.loads(line)["source"] for line in _jsons(tmp_path / "commercial")}
    assert "synthetic_xray" not in sources and "phantom_ct" in sources
    export_run(copy, "webdataset", tmp_path / "xray", RowFilter(modalities=("xray",), qc=("pass",)))
    rows = [json.loads(line) for line in _jsons(tmp_path / "xray")]
    expected = [r for r in run_rows.values() if r["modality"] == "xray" and r["qc_status"] == "pass"]
    assert len(rows) == len(expected) > 0 and all(row["modality"] == "xray" for row in rows)


def test_export_says_which_filters_left_rows_out_and_warns_when_none_is_left(run_dir, run_rows, tmp_path):
    """A filter that leaves rows out is counted by name, and one that leaves nothing is a warning naming the
    licences it did not allow (a user's allow-list that matches none of the run's licences)."""
    runner = CliRunner()
    other = [row for row in run_rows.values() if row["modality"] != "xray"]
    result = runner.invoke(app, ["export", str(run_dir), "--format", "hf", "--out", str(tmp_path / "x"),
                                 "--modality", "xray"])
    assert result.exit_code == 0, result.output
    kept = len(run_rows) - len(other)
    assert f"{kept} rows kept; left out by the filters: modality {len(other)}" in result.output
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["rows"] == kept and manifest["left_out"] == {"modality": len(other)}
    result = runner.invoke(app, ["export", str(run_dir), "--format", "llava", "--out", str(tmp_path / "none"),
                                 "--licence", "WTFPL"])
    assert result.exit_code == 0, result.output
    licences = sorted({row["license"] or "not stated" for row in run_rows.values()})
    assert f"0 rows kept; left out by the filters: licence {len(run_rows)}" in result.output
    assert all(repr(licence) in result.output for licence in licences)
    assert "warning: no row of" in result.output and "passed the filters" in result.output
    everything = runner.invoke(app, ["export", str(run_dir), "--format", "hf", "--out", str(tmp_path / "all")])
    assert "left out" not in everything.output and "warning" not in everything.output


def _jsons(folder: Path):
    import tarfile

    for shard in sorted(folder.glob("*.tar")):
        with tarfile.open(shard) as archive:
            for member in archive.getmembers():
                if member.name.endswith(".json"):
                    yield archive.extractfile(member).read().decode("utf-8")


def test_check_catches_changed_missing_and_unlisted_files(run_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "coco"
    result = runner.invoke(app, ["export", str(run_dir), "--format", "coco", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["check", str(out)]).exit_code == 0
    assert runner.invoke(app, ["check", str(run_dir)]).exit_code == 0
    image = next(out.glob("images/*/*.png"))
    data = bytearray(image.read_bytes())
    data[-5] ^= 0xFF
    image.write_bytes(bytes(data))
    changed = runner.invoke(app, ["check", str(out)])
    assert changed.exit_code == 1 and "sha256 differs" in changed.output
    image.unlink()
    (out / "extra.txt").write_text("x")
    broken = runner.invoke(app, ["check", str(out)])
    assert broken.exit_code == 1 and "missing" in broken.output and "extra.txt: present but not" in broken.output


def test_export_refuses_existing_folder_and_bad_runs_clearly(run_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "hf"
    assert runner.invoke(app, ["export", str(run_dir), "--format", "hf", "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["export", str(run_dir), "--format", "hf", "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    empty = tmp_path / "not-a-run"
    empty.mkdir()
    result = runner.invoke(app, ["export", str(empty), "--format", "hf", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "no triplets/part-*.parquet" in result.output
    unknown = runner.invoke(app, ["export", str(run_dir), "--format", "tfrecord", "--out", str(tmp_path / "y")])
    assert unknown.exit_code == 2 and "tfrecord" in unknown.output


def test_failed_export_leaves_previous_export_and_no_partial_folder(run_dir, tmp_path):
    out = tmp_path / "wds"
    export_run(run_dir, "webdataset", out)
    before = sorted(path.name for path in out.iterdir())
    broken = tmp_path / "broken-run"
    shutil.copytree(run_dir, broken)
    last = sorted((broken / "triplets").glob("part-*.parquet"))[-1]
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    with pytest.raises(Exception, match="(?i)parquet|magic|footer"):
        export_run(broken, "webdataset", out, overwrite=True)
    assert sorted(path.name for path in out.iterdir()) == before
    assert not list(tmp_path.glob(".wds.partial-*"))


def test_rows_marked_reject_by_verify_need_an_explicit_qc_filter(run_dir, run_rows, tmp_path):
    import pyarrow as pa

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    part = sorted((copy / "triplets").glob("part-*.parquet"))[0]
    table = pq.read_table(part)
    marked = table.column("id")[0].as_py()
    statuses = ["reject"] + table.column("qc_status").to_pylist()[1:]
    index = table.schema.get_field_index("qc_status")
    pq.write_table(table.set_column(index, "qc_status", pa.array(statuses, pa.string())), part)
    export_run(copy, "webdataset", tmp_path / "default")
    assert marked not in {json.loads(text)["id"] for text in _jsons(tmp_path / "default")}
    export_run(copy, "webdataset", tmp_path / "rejects", RowFilter(qc=("reject",)))
    assert [json.loads(text)["id"] for text in _jsons(tmp_path / "rejects")] == [marked]


def test_roi_measurements_survive_every_format(run_dir, tmp_path):
    """Expert measurements (a list of name/value structs) load in datasets and reach the JSON exports."""
    datasets = pytest.importorskip("datasets")
    from medtrinity.schema import TRIPLET_SCHEMA

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    part = sorted((copy / "triplets").glob("part-*.parquet"))[0]
    rows = pq.read_table(part).to_pylist()
    target = next(row for row in rows if row["rois"])
    measured = [{"name": "diameter_mm", "value": 12.5}, {"name": "nuclei_count", "value": 3.0}]
    target["rois"][0]["measurements"] = measured
    pq.write_table(pa_table(rows, TRIPLET_SCHEMA), part)
    export_run(copy, "hf", tmp_path / "hf")
    dataset = datasets.load_dataset("parquet", data_files=str(tmp_path / "hf" / "data" / "*.parquet"),
                                    split="train", cache_dir=str(tmp_path / "cache"))
    loaded = next(row for row in dataset if row["id"] == target["id"])
    assert loaded["rois"][0]["measurements"] == measured
    export_run(copy, "webdataset", tmp_path / "wds")
    record = next(json.loads(text) for text in _jsons(tmp_path / "wds") if json.loads(text)["id"] == target["id"])
    assert record["rois"][0]["measurements"] == measured
    export_run(copy, "coco", tmp_path / "coco")
    annotations = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    image_id = next(image["id"] for image in annotations["images"] if image["medtrinity_id"] == target["id"])
    first = min((a for a in annotations["annotations"] if a["image_id"] == image_id), key=lambda a: a["id"])
    assert first["measurements"] == measured


def pa_table(rows, schema):
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=schema)
