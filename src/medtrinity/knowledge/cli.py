"""``medtrinity kb``: build, query, inspect and evaluate knowledge bases."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from medtrinity.knowledge.builder import build_kb
from medtrinity.knowledge.dense_index import DEFAULT_ANN_THRESHOLD, META
from medtrinity.knowledge.embedding import missing_dense_packages
from medtrinity.knowledge.retriever import METHODS, RetrieverConfig, open_retriever, resolve_kb
from medtrinity.knowledge.store import KnowledgeBaseError, PassageStore, read_manifest

kb_app = typer.Typer(
    help="Knowledge bases: build from corpora, query, inspect, evaluate.", no_args_is_help=True
)
console = Console()

KbArg = Annotated[str, typer.Argument(help="Knowledge-base folder, or 'builtin' for the bundled one.")]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help="Local sentence-transformers model folder (default: all-MiniLM-L6-v2)."),
]


def _dense_choice(wanted: bool | None, model: str | None) -> bool:
    if wanted is None:
        return not missing_dense_packages(model)
    return wanted


@kb_app.command()
def build(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Files or folders (MedQuAD, OBO, MedlinePlus, PubMed/PMC "
            "XML, JSONL, Markdown), or 'builtin'."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Knowledge-base folder; added to when it exists.")],
    license: Annotated[
        str | None, typer.Option(help="Licence for passages whose source states none.")
    ] = None,
    max_words: Annotated[int, typer.Option(help="Longest passage, in words.")] = 200,
    overlap_words: Annotated[int, typer.Option(help="Words repeated between consecutive chunks.")] = 40,
    dense: Annotated[
        bool | None,
        typer.Option("--dense/--no-dense", help="Embed passages now (default: when torch is installed)."),
    ] = None,
    model: ModelOpt = None,
    ann_threshold: Annotated[
        int, typer.Option(help="Above this many passages use HNSW, not exact search.")
    ] = (DEFAULT_ANN_THRESHOLD),
) -> None:
    """Import SOURCES into a knowledge base; skipped items are counted with their reason."""
    try:
        report = build_kb(
            sources,
            out,
            license=license,
            max_words=max_words,
            overlap_words=overlap_words,
            dense=_dense_choice(dense, model),
            model_path=model,
            ann_threshold=ann_threshold,
        )
    except (ValueError, KnowledgeBaseError, FileNotFoundError, ImportError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(
        f"{out}: added {report.documents} documents, {report.passages} passages from {report.files} files"
    )
    if report.skipped:
        table = Table("skip reason", "count", title="skipped")
        for reason, count in sorted(report.skipped.items()):
            table.add_row(reason, str(count))
        console.print(table)
        for message in report.messages[:20]:
            typer.echo(f"  {message}", err=True)


def _open(kb: str, method: str, model: str | None, **settings):
    dense = method in ("dense", "hybrid") or (method == "auto" and not missing_dense_packages(model))
    try:
        retriever = open_retriever(kb, dense=dense, model_path=model, **settings)
    except (KnowledgeBaseError, FileNotFoundError, ImportError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    return retriever, (retriever.default_method if method == "auto" else method)


def _passage_json(passage, query: str | None = None) -> str:
    value = {"id": passage.id, "score": passage.score, "source": passage.source, "title": passage.title,
             "text": passage.text, "license": passage.license}
    return json.dumps({"query": query, **value} if query is not None else value, ensure_ascii=False)


def _read_queries(path: Path) -> list[str]:
    """One query per non-empty line of a text file ('-': standard input)."""
    import sys

    try:
        lines = sys.stdin.read().splitlines() if str(path) == "-" else path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"query file {str(path)!r} is unreadable: {error}") from error
    return [line.strip() for line in lines if line.strip()]


@kb_app.command()
def query(
    kb: KbArg,
    text: Annotated[str | None, typer.Argument(help="Query text, e.g. 'CT liver hypodense lesion'.")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per passage.")] = False,
    method: Annotated[
        str, typer.Option(help="bm25 (default: no model to load), dense, hybrid, or auto (hybrid when torch "
                               "and the embedding model are installed, else bm25).")
    ] = "bm25",
    model: ModelOpt = None,
    queries_file: Annotated[
        Path | None, typer.Option("--file", help="Many queries, one per line ('-': stdin); the index and "
                                                 "model load once. With --json each line carries its query.")
    ] = None,
) -> None:
    """Search a knowledge base and show the passages with their scores and sources.

    BM25 by default: a one-off query opens two memory-mapped arrays and returns in well under a
    second. Dense and hybrid search load the embedding model (seconds) only when asked for.
    """
    if method != "auto" and method not in METHODS:
        typer.echo(f"error: unknown method {method!r}; expected auto or one of {METHODS}", err=True)
        raise typer.Exit(code=2)
    if (text is None) == (queries_file is None):
        typer.echo("error: give either a query text or --file with one query per line", err=True)
        raise typer.Exit(code=2)
    try:
        texts = [text] if text is not None else _read_queries(queries_file)  # type: ignore[arg-type]
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    retriever, method = _open(kb, method, model)
    for one in texts:
        passages = retriever.search(one, k=k, method=method)
        if as_json:
            for passage in passages:
                typer.echo(_passage_json(passage, one if queries_file is not None else None))
            continue
        table = Table("#", "score", "id", "source", "passage", title=f"{method}: {one}", show_lines=True)
        for rank, passage in enumerate(passages, start=1):
            snippet = passage.text if len(passage.text) <= 240 else passage.text[:237] + "..."
            table.add_row(str(rank), f"{passage.score:.4f}", passage.id, passage.source, snippet)
        console.print(table)


@kb_app.command()
def stats(kb: KbArg) -> None:
    """Passages, documents, sources, licences and indexes of a knowledge base."""
    try:
        folder = resolve_kb(kb)
        manifest = read_manifest(folder)
    except (KnowledgeBaseError, FileNotFoundError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    store = PassageStore(folder)
    sources = Counter(store.table.column("source").to_pylist())
    licences = Counter(store.table.column("license").to_pylist())
    skipped: Counter[str] = Counter()
    for report in manifest.get("builds", []):
        skipped.update(report.get("skipped", {}))
    typer.echo(f"knowledge base: {folder}")
    typer.echo(f"passages: {len(store)}   documents: {len(set(store.groups()))}")
    for title, counts in (("source", sources), ("licence", licences), ("skipped", skipped)):
        if counts:
            table = Table(title, "count")
            for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                table.add_row(name, str(count))
            console.print(table)
    dense_root = folder / "dense"
    models = sorted(p for p in dense_root.iterdir() if (p / META).is_file()) if dense_root.is_dir() else []
    for model_folder in models:
        meta = json.loads((model_folder / META).read_text(encoding="utf-8"))
        kind = "HNSW (approximate)" if meta.get("approximate") else "exact"
        typer.echo(f"dense index {model_folder.name}: {meta.get('count')} x {meta.get('dimension')}, {kind}")
    if not models:
        typer.echo("dense index: none yet (built at the first dense query)")


@kb_app.command("eval")
def evaluate_command(
    kb: Annotated[str, typer.Argument(help="Knowledge base to evaluate.")] = "builtin",
    queries: Annotated[
        Path | None, typer.Option(help="JSONL evaluation set (default: the bundled one).")
    ] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated methods.")] = "bm25,dense,hybrid",
    rrf_k: Annotated[int, typer.Option(help="Reciprocal-rank-fusion constant.")] = RetrieverConfig.rrf_k,
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
) -> None:
    """Recall@1, @3 and @10 and queries per second of each retrieval method on a labelled query set."""
    from medtrinity.knowledge.evaluation import DEFAULT_KS, evaluate, load_queries

    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in METHODS]
    if unknown:
        typer.echo(f"error: unknown methods {unknown}; expected some of {METHODS}", err=True)
        raise typer.Exit(code=2)
    retriever, _ = _open(kb, "hybrid" if set(chosen) - {"bm25"} else "bm25", model, rrf_k=rrf_k)
    query_set = load_queries(queries)
    results = evaluate(retriever, query_set, chosen)
    if as_json:
        typer.echo(json.dumps({"queries": len(query_set), "results": results}, indent=2))
        return
    table = Table(
        "method", *[f"recall@{k}" for k in DEFAULT_KS], "queries/s", title=f"{len(query_set)} queries on {kb}"
    )
    for method, scores in results.items():
        table.add_row(
            method, *[f"{scores[f'recall@{k}']:.3f}" for k in DEFAULT_KS], f"{scores['queries_per_s']:.0f}"
        )
    console.print(table)
