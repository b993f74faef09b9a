"""Build a knowledge base from sources, or add sources to an existing one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from medtrinity.knowledge import builtin
from medtrinity.knowledge.bm25_index import BM25Index
from medtrinity.knowledge.chunking import document_passages
from medtrinity.knowledge.dense_index import DEFAULT_ANN_THRESHOLD, DenseIndex
from medtrinity.knowledge.documents import PassageRow
from medtrinity.knowledge.embedding import Encoder, model_slug
from medtrinity.knowledge.importers import source_documents
from medtrinity.knowledge.paths import cache_root
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.store import (
    FORMAT_VERSION,
    PassageStore,
    is_kb,
    read_manifest,
    replace_folder,
    write_manifest,
)


def build_kb(
    sources: Sequence[str | Path],
    out: str | Path,
    *,
    license: str | None = None,
    max_words: int = 200,
    overlap_words: int = 40,
    dense: bool = False,
    model_path: str | None = None,
    ann_threshold: int = DEFAULT_ANN_THRESHOLD,
) -> ImportReport:
    """Import ``sources`` into the knowledge base at ``out`` (created, or added to when it exists).

    Passage ids already present are skipped as duplicates. BM25 is rebuilt over all passages;
    with ``dense`` only the new passages are embedded and appended.
    """
    folder = Path(out)
    manifest = (
        read_manifest(folder)
        if is_kb(folder)
        else {"format_version": FORMAT_VERSION, "sources": [], "builds": []}
    )
    store = PassageStore(folder)
    seen = set(store.id_positions())
    report = ImportReport()
    rows: list[PassageRow] = []
    for source in sources:
        for document in source_documents(source, report, license):
            passages = document_passages(document, max_words=max_words, overlap_words=overlap_words)
            if not passages:
                report.skip("empty_document", source, f"document {document.id} has no text")
                continue
            if document.id in seen or any(p.id in seen for p in passages):
                report.skip("duplicate_id", source, f"id {document.id!r} already in the knowledge base")
                continue
            seen.add(document.id)
            seen.update(p.id for p in passages)
            rows.extend(passages)
            report.documents += 1
        manifest["sources"].append(str(source))
    report.passages = store.write_with(rows)
    if len(store) == 0:
        raise ValueError(
            f"no passages to index from {list(map(str, sources))}: {report.to_dict()['skipped']}"
        )
    BM25Index.build(store.index_texts()).save(folder / "bm25")
    manifest["passages"] = len(store)
    manifest["builds"].append(report.to_dict())
    write_manifest(folder, manifest)
    if dense:
        ensure_dense(folder, model_path=model_path, ann_threshold=ann_threshold)
    return report


def ensure_dense(
    folder: Path,
    *,
    model_path: str | None = None,
    ann_threshold: int = DEFAULT_ANN_THRESHOLD,
    encoder: Encoder | None = None,
) -> DenseIndex:
    """The dense index of a knowledge base for a model, embedding whatever passages it still lacks."""
    store = PassageStore(folder)
    dense_folder = folder / "dense" / model_slug(model_path)
    index = DenseIndex.load(dense_folder) if (dense_folder / "embeddings.npy").is_file() else None
    done = index.size if index is not None else 0
    if done > len(store):
        raise ValueError(
            f"{dense_folder} holds {done} vectors for {len(store)} passages; delete it to re-embed"
        )
    if index is not None and done == len(store) and index.approximate == (done > ann_threshold):
        return index
    encoder = encoder or Encoder(model_path)
    vectors = encoder.encode(store.index_texts(start=done))
    return DenseIndex.update(dense_folder, vectors, model=encoder.slug, ann_threshold=ann_threshold)


def builtin_kb(cache_dir: str | Path | None = None) -> Path:
    """The bundled knowledge base's folder in the cache, built on first use (BM25 only, about 1 s).

    The folder name carries a hash of the bundled data, so an upgraded package builds afresh;
    concurrent first uses each build into a temporary folder and the first rename wins.
    """
    root = cache_root(cache_dir) / "kb"
    final = root / f"builtin-{builtin.fingerprint()}"
    if is_kb(final):
        return final
    root.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=root, prefix=".builtin-"))
    try:
        build_kb([builtin.BUILTIN_NAME], temporary)
        return replace_folder(temporary, final)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
