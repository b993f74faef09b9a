"""Text statistics of the descriptions, computed per shard and merged into ``stats.json``.

Counts (descriptions, words, characters, sentences) merge by summing. Distinct counts (distinct
words, bigrams, sentences, and sentence *skeletons* with numbers replaced by ``#``) cannot merge
exactly without keeping every n-gram, so each shard keeps a HyperLogLog sketch per distinct
count (4096 one-byte registers, ~1.6% standard error, exact-ish below a few thousand through
linear counting) and sketches merge by taking the register-wise maximum. Reported:

- ``words_per_description`` (mean), ``chars_per_description`` (mean), ``sentences``;
- ``distinct_1`` / ``distinct_2``: distinct unigrams / bigrams over all unigrams / bigrams;
- ``repeated_sentence_share``: 1 - distinct sentences / sentences (how much text is repeated);
- ``repeated_skeleton_share``: the same over skeletons (how template-like the phrasing is).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

PRECISION = 12
REGISTERS = 1 << PRECISION
_REST_BITS = 64 - PRECISION
_REST_MASK = (1 << _REST_BITS) - 1
_WORD = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
SKETCHES = ("unigrams", "bigrams", "sentences", "skeletons")
_SEEN_LIMIT = 20_000  # items a sketch remembers having added


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


class Sketch:
    """A HyperLogLog distinct counter."""

    def __init__(self, registers: np.ndarray | None = None):
        self.registers = np.zeros(REGISTERS, dtype=np.uint8) if registers is None else registers
        self._seen: set[str] = set()  # items already added: adding one again never changes a register

    def add(self, item: str) -> None:
        seen = self._seen
        if item in seen:  # templated text repeats its words and phrases: skip the hash, same registers
            return
        if len(seen) >= _SEEN_LIMIT:  # bounded memory: forgetting only costs a repeated (idempotent) add
            seen.clear()
        seen.add(item)
        value = _hash64(item)
        index = value >> _REST_BITS
        rank = _REST_BITS - (value & ((1 << _REST_BITS) - 1)).bit_length() + 1
        if rank > self.registers[index]:
            self.registers[index] = rank

    def add_all(self, items: Iterable[str]) -> None:
        """``add`` each item (registers take the maximum, so the order and any repeats change nothing)."""
        seen = self._seen
        fresh = set(items).difference(seen)
        if not fresh:
            return
        if len(seen) + len(fresh) > _SEEN_LIMIT:  # bounded memory, as in add
            seen.clear()
        seen.update(fresh)
        registers = self.registers
        for item in fresh:
            value = _hash64(item)
            index = value >> _REST_BITS
            rank = _REST_BITS - (value & _REST_MASK).bit_length() + 1
            if rank > registers[index]:
                registers[index] = rank

    def merge(self, other: Sketch) -> Sketch:
        return Sketch(np.maximum(self.registers, other.registers))

    def estimate(self) -> float:
        alpha = 0.7213 / (1 + 1.079 / REGISTERS)
        raw = alpha * REGISTERS**2 / float(np.sum(np.power(2.0, -self.registers.astype(np.float64))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * REGISTERS and zeros:
            return REGISTERS * float(np.log(REGISTERS / zeros))
        return raw

    def dumps(self) -> str:
        return base64.b64encode(zlib.compress(self.registers.tobytes(), 6)).decode("ascii")

    @classmethod
    def loads(cls, text: str) -> Sketch:
        return cls(np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=np.uint8).copy())


class ShardTextStats:
    """The mergeable text statistics of one shard, fed one description at a time (bounded memory)."""

    def __init__(self) -> None:
        self.counts = {"descriptions": 0, "words": 0, "bigrams": 0, "chars": 0, "sentences": 0}
        self.sketches = {name: Sketch() for name in SKETCHES}

    def add(self, text: str) -> None:
        """Count one description and add its words, bigrams, sentences and skeletons to the sketches.

        Words never cross a sentence break (whitespace), so the text's words are its sentences' words in
        order, and each distinct sentence is parsed once (:func:`_sentence_parts`); only the bigram across
        each break is made here. A test compares this with parsing the whole text every time.
        """
        if not text:
            return
        counts, sketches = self.counts, self.sketches
        counts["descriptions"] += 1
        counts["chars"] += len(text)
        sentences = [sentence for sentence in _SENTENCE.split(text.strip()) if sentence]
        words: list[str] = []
        bigrams: list[str] = []
        skeletons = []
        for sentence in sentences:
            own_words, own_bigrams, skeleton = _sentence_parts(sentence)
            if words and own_words:
                bigrams.append(f"{words[-1]} {own_words[0]}")
            words.extend(own_words)
            bigrams.extend(own_bigrams)
            skeletons.append(skeleton)
        counts["words"] += len(words)
        counts["bigrams"] += max(0, len(words) - 1)
        sketches["unigrams"].add_all(words)
        sketches["bigrams"].add_all(bigrams)
        counts["sentences"] += len(sentences)
        sketches["sentences"].add_all(sentences)
        sketches["skeletons"].add_all(skeletons)

    def to_dict(self) -> dict:
        sketches = {name: sketch.dumps() for name, sketch in self.sketches.items()}
        return {"counts": dict(self.counts), "sketches": sketches}


@lru_cache(maxsize=4096)
def _sentence_parts(sentence: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """A sentence's words (lower case), the bigrams within it, and its skeleton (numbers as ``#``)."""
    words = tuple(_WORD.findall(sentence.lower()))
    bigrams = tuple(f"{first} {second}" for first, second in zip(words, words[1:], strict=False))
    return words, bigrams, _NUMBER.sub("#", sentence)


def shard_text_stats(texts: Iterable[str]) -> dict:
    """The mergeable text statistics of one shard's descriptions."""
    stats = ShardTextStats()
    for text in texts:
        stats.add(text)
    return stats.to_dict()


def merge_text_stats(parts: Iterable[dict | None]) -> dict:
    """Merge shard statistics and report the figures (see the module docstring)."""
    counts = {"descriptions": 0, "words": 0, "bigrams": 0, "chars": 0, "sentences": 0}
    sketches = {name: Sketch() for name in SKETCHES}
    for part in parts:
        if not part:
            continue
        for key in counts:
            counts[key] += int(part["counts"].get(key, 0))
        for name in SKETCHES:
            if name in part.get("sketches", {}):
                sketches[name] = sketches[name].merge(Sketch.loads(part["sketches"][name]))
    distinct = {name: round(sketch.estimate()) for name, sketch in sketches.items()}

    def ratio(numerator: float, denominator: float) -> float:
        return round(numerator / denominator, 4) if denominator else 0.0

    sentences = counts["sentences"]
    return {
        "descriptions": counts["descriptions"],
        "words_per_description": ratio(counts["words"], counts["descriptions"]),
        "chars_per_description": ratio(counts["chars"], counts["descriptions"]),
        "sentences": sentences,
        "distinct_1": ratio(min(distinct["unigrams"], counts["words"]), counts["words"]),
        "distinct_2": ratio(min(distinct["bigrams"], counts["bigrams"]), counts["bigrams"]),
        "repeated_sentence_share": round(1.0 - ratio(min(distinct["sentences"], sentences), sentences), 4)
        if sentences else 0.0,
        "repeated_skeleton_share": round(1.0 - ratio(min(distinct["skeletons"], sentences), sentences), 4)
        if sentences else 0.0,
        "distinct_estimates": distinct,
    }
