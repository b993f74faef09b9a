"""Medical knowledge base and hybrid retrieval that ground every description in cited passages.

Entry points: :func:`open_retriever` (search a knowledge base, ``builtin`` by default),
:func:`query_for_sample` (the query text of one sample) and :func:`build_kb` (import corpora).
"""

from medtrinity.knowledge.builder import build_kb, builtin_kb
from medtrinity.knowledge.query import query_for_sample
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.retriever import Hit, Retriever, RetrieverConfig, open_retriever, resolve_kb

__all__ = [
    "Hit",
    "ImportReport",
    "Retriever",
    "RetrieverConfig",
    "build_kb",
    "builtin_kb",
    "open_retriever",
    "query_for_sample",
    "resolve_kb",
]
