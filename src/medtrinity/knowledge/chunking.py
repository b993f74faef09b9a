"""Split long texts into overlapping word windows that end on sentence boundaries where possible."""

from __future__ import annotations

import re

from medtrinity.knowledge.documents import Document, PassageRow

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
_WHITESPACE = re.compile(r"\s+")


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return _WHITESPACE.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (a light rule: end punctuation followed by a capital or digit)."""
    return [part for part in _SENTENCE_END.split(normalize_space(text)) if part]


def chunk_text(text: str, max_words: int = 200, overlap_words: int = 40) -> list[str]:
    """Windows of at most ``max_words`` words; each repeats about ``overlap_words`` words of the last.

    Windows are packed from whole sentences, so a fact is rarely cut in half; a sentence longer
    than a window is cut by words.
    """
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1, got {max_words}")
    if not 0 <= overlap_words < max_words:
        raise ValueError(
            f"overlap_words must be in [0, max_words), got {overlap_words} (max_words={max_words})"
        )
    pieces: list[list[str]] = []
    for sentence in split_sentences(text):
        words = sentence.split(" ")
        step = max_words - overlap_words
        if len(words) <= max_words:
            pieces.append(words)
        else:
            for start in range(0, len(words), step):
                pieces.append(words[start : start + max_words])
                if start + max_words >= len(words):
                    break
    chunks: list[str] = []
    current: list[list[str]] = []
    count = 0
    for piece in pieces:
        if current and count + len(piece) > max_words:
            chunks.append(" ".join(" ".join(p) for p in current))
            carried: list[list[str]] = []
            carried_count = 0
            for previous in reversed(current):
                if carried_count + len(previous) > overlap_words:
                    break
                carried.insert(0, previous)
                carried_count += len(previous)
            current, count = carried, carried_count
        current.append(piece)
        count += len(piece)
    if current:
        chunks.append(" ".join(" ".join(p) for p in current))
    return chunks


def document_passages(document: Document, max_words: int = 200, overlap_words: int = 40) -> list[PassageRow]:
    """The passages of one document: a single one keeps the document id, several get ``#<n>``."""
    texts = (
        [normalize_space(document.text)]
        if not document.chunk
        else chunk_text(document.text, max_words=max_words, overlap_words=overlap_words)
    )
    texts = [text for text in texts if text]
    rows = []
    for index, text in enumerate(texts):
        passage_id = document.id if len(texts) == 1 else f"{document.id}#{index}"
        rows.append(
            PassageRow(
                id=passage_id,
                source=document.source,
                title=document.title,
                text=text,
                license=document.license,
                group=document.group_id,
            )
        )
    return rows
