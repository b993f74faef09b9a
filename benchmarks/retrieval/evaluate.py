"""Retrieval quality and speed report: recall@1/3/10 and queries/s for BM25, dense and hybrid.

Usage (from the repository root)::

    python benchmarks/retrieval/evaluate.py                 # bundled KB and evaluation set
    python benchmarks/retrieval/evaluate.py --scale DIR...  # also time building and querying a KB of DIRs

The quality figures come from ``medtrinity kb eval``; this script only adds the scale timing.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from medtrinity.knowledge.builder import build_kb
from medtrinity.knowledge.cli import kb_app
from medtrinity.knowledge.evaluation import load_queries
from medtrinity.knowledge.retriever import open_retriever


def scale_report(sources: list[str], dense: bool) -> None:
    """Time building a KB of the built-in entries plus ``sources``, then BM25 (and hybrid) queries."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        report = build_kb(["builtin", *sources], folder, dense=dense)
        build_s = time.perf_counter() - started
        print(f"built {report.passages} passages from {report.documents} documents in {build_s:.1f} s")
        print(f"skipped: {dict(report.skipped)}")
        queries = [q.text for q in load_queries()]
        for method in ["bm25"] + (["hybrid"] if dense else []):
            retriever = open_retriever(folder, dense=dense)
            retriever.hits(queries[0], 10, method)
            started = time.perf_counter()
            for query in queries:
                retriever.hits(query, 10, method)
            rate = len(queries) / (time.perf_counter() - started)
            print(f"{method}: {rate:.0f} queries/s over {report.passages} passages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default="builtin")
    parser.add_argument("--methods", default="bm25,dense,hybrid")
    parser.add_argument("--scale", nargs="*", default=None, help="corpus folders to time a larger KB on")
    parser.add_argument("--no-dense", action="store_true", help="scale timing with BM25 only")
    args = parser.parse_args()
    kb_app(["eval", args.kb, "--methods", args.methods], standalone_mode=False)
    if args.scale:
        scale_report(args.scale, dense=not args.no_dense)


if __name__ == "__main__":
    main()
