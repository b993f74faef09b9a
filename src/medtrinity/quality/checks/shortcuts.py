"""Exact shortcuts the checks share: text-keyed caches, per-sample memo tables and pre-filters.

A CT run verifies tens of sentences per slice, most of them repeated word for word from slice to
slice, against the same two dozen label names; parsing each sentence again and again was most of
the verifier's time. Three kinds of shortcut remove that work without changing any verdict:

- :func:`text_cache`: a pure function of a sentence's text (the sizes, numbers or organ words it
  states) is computed once per distinct text (bounded LRU);
- :func:`sample_memo`: a function of the text *and* of the sample (the text with the sample's label
  names stripped) is computed once per sample, in a table that lives on the sample's facts;
- :func:`may_match`: a pattern search is skipped when a cheap search for a literal every match must
  contain finds nothing (each use says why the literal is necessary).

:func:`plain` turns all three off (no cache, no memo, every pre-filter answers "maybe"), so the
tests run the verifier both ways on thousands of real, mutated and random texts and compare.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import Any, TypeVar

T = TypeVar("T")

_enabled = True
_caches: list[Any] = []


def text_cache(maxsize: int = 4096) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``functools.lru_cache`` for pure functions of text (and other hashable values), off in :func:`plain`.

    Bounded: 4096 sentences per parse (a shard of a few hundred slices repeats within that), a few
    MB per cache at most, emptied when a shard starts (:func:`clear_caches`).
    """

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        cached = lru_cache(maxsize=maxsize)(function)
        _caches.append(cached)

        @wraps(function)
        def call(*args: Hashable) -> T:
            return cached(*args) if _enabled else function(*args)

        call.plain = function  # type: ignore[attr-defined]
        return call

    return decorate


def sample_memo(table: dict, key: Hashable, compute: Callable[[], T]) -> T:
    """``table[key]``, computed by ``compute()`` the first time; ``table`` belongs to one sample's facts."""
    if not _enabled:
        return compute()
    try:
        return table[key]
    except KeyError:
        value = table[key] = compute()
        return value


def may_match(hint: LiteralHint | re.Pattern, text: str) -> bool:
    """False only when ``hint`` (a literal every match of the guarded pattern contains) is not in ``text``."""
    return not _enabled or hint.search(text) is not None


def shortcuts_on() -> bool:
    """Whether the shortcuts are on (off only inside :func:`plain`): for a pre-filter that is not one search."""
    return _enabled


class LiteralHint:
    """Literal words, any of which a text may hold: ``search`` answers like a compiled pattern's (the word found,
    or None). Substring tests, one per word, take half the time of one regex alternation of tens of words: the
    regex engine tries every alternative at every position of the sentence."""

    __slots__ = ("words",)

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words

    def search(self, text: str) -> str | None:
        for word in self.words:
            if word in text:
                return word
        return None


# words from which one prefix-tree pattern beats a substring test per word (on CT sentences of ~80 characters,
# measured: 10 words 4.1 against 4.7 us a row, 15 words 5.9 against 5.7, 30 words 13.0 against 9.2, 54 words 27
# against 16)
TREE_HINT_MIN_WORDS = 16


def literals(*words: str) -> LiteralHint | re.Pattern:
    """The hint of a pre-filter: any of these literal words (no word boundaries). Single characters (digits) go
    into one compiled character class, which one scan finds; a few longer words are substring tests, many one
    prefix-tree pattern (:func:`trie_alternation`)."""
    unique = sorted(set(words), key=len, reverse=True)
    if all(len(word) == 1 for word in unique):
        return re.compile("[" + "".join(re.escape(word) for word in unique) + "]")
    if len(unique) >= TREE_HINT_MIN_WORDS:
        return re.compile(trie_alternation(unique))
    return LiteralHint(tuple(unique))


def clear_caches() -> None:
    """Empty every text cache (a shard starts from nothing, so its cost does not depend on earlier shards)."""
    for cache in _caches:
        cache.cache_clear()


def trie_alternation(words) -> str:
    """A regex alternation matching what ``"|".join(words sorted longest first)`` matches, as a prefix tree.

    At one position the words that match are prefixes of one another, so they lie on one path of the
    tree; the tree tries the deeper (longer) word first and backs off to shorter ones, exactly the
    order of the longest-first alternation, but tests one character per level instead of every word
    (a lexicon of hundreds of names: several times faster per sentence).
    """
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _tree_pattern(tree)


def _tree_pattern(node: dict) -> str:
    branches = [re.escape(char) + _tree_pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word may also end here: try the longer ones first, then stop
        return (body if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + body + ")") + "?"
    return body


@contextmanager
def plain() -> Iterator[None]:
    """Within the block every shortcut is off: the checks compute everything from scratch (for tests)."""
    global _enabled
    previous = _enabled
    _enabled = False
    try:
        yield
    finally:
        _enabled = previous
        clear_caches()
