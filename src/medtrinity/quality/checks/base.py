"""What every check shares: options, the sentence analysis (which ROI a sentence speaks of) and word helpers.

Every check has one signature, :data:`Check`: ``check(facts, sentences, options) -> list[QCIssue]``,
returning at most one issue. A sentence's subject is the ROI label it names; a sentence naming none
but speaking of "the lesion", "it" ... inherits the previous sentence's subject; otherwise every ROI
is a candidate and a claim is a contradiction only when no candidate supports it. Sentences that rest
on retrieved passages only (per the description's evidence) or carry a citation mark such as ``[P1]``
are knowledge, not claims about this image: most checks skip them (:attr:`ClaimSentence.knowledge`);
the diagnosis check does not, since no diagnosis may enter the text unless a label names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from medtrinity.quality.checks.shortcuts import literals, may_match, sample_memo, text_cache
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QCIssue


@dataclass(frozen=True)
class VerifyOptions:
    """Tolerances: a stated size is supported when within ``size_tolerance`` (relative) or
    ``size_tolerance_mm`` of a measured one; areas, volumes, pixel counts and HU use their own."""

    size_tolerance: float = 0.2
    size_tolerance_mm: float = 1.5
    area_tolerance: float = 0.3
    volume_tolerance: float = 0.3
    hu_tolerance: float = 10.0
    percent_tolerance: float = 0.3


@dataclass
class ClaimSentence:
    text: str  # lower-cased
    subjects: list[RegionFacts]
    named: bool  # the subjects were named in this sentence or inherited from the previous one (not "all ROIs")
    has_subject: bool = True  # False: the sentence names no ROI and no lesion-like noun (then only global checks)
    knowledge: bool = False  # quotes retrieved knowledge ([P1] mark or passage-only evidence)
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # what the checks derive from it, once


Check = Callable[[SampleFacts, list[ClaimSentence], VerifyOptions], list[QCIssue]]

SPLIT = re.compile(r"(?<=[.!?;])\s+|\s*\n\s*")  # a line break ends a sentence too (a model's lists and headings)
# a model's layout around its sentences: a list marker ("1.", "2)", "-", "*", "(a)") or a heading's "#" opening
# a line, and emphasis marks ("**Findings:**"); a bare marker between sentences ("... hemisphere. 2. It ...")
_LIST_MARKER = re.compile(r"^(?:#{1,6}\s+|[-*\u2022\u2013]\s+|\(?(?:\d{1,2}|[a-z])[.)]\s+)+")
_BARE_MARKER = re.compile(r"^\(?(?:\d{1,2}|[a-z])[.)]$")
_EMPHASIS = re.compile(r"\*\*|__|`")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?![\d,]))")  # "13,500 mm2" is 13500 (a model's separator)
# where one claim ends and another begins inside a sentence: "the liver lies on the right, and the spleen on the left"
CLAUSE_BREAK = re.compile(r";|,?\s+(?:and|while|whereas|but)\s+(?=the\s)")
CITATION = re.compile(r"\[(?:p|passage\s*)?\d+\]", re.IGNORECASE)
GENERIC_SUBJECT = re.compile(
    r"(?<![a-z])(it|its|this|they|their|lesions?|mass(?:es)?|nodules?|regions?|findings?|tumou?rs?|areas?|focus|foci"
    r"|structures?|organs?|pieces?|largest|smallest)(?![a-z])"
)


@lru_cache(maxsize=8192)
def word_pattern(phrase: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])")


@lru_cache(maxsize=8192)
def plural_pattern(phrase: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(phrase.lower())}(?:s|es)?(?![a-z])")


def mentions(text: str, phrase: str) -> bool:
    return phrase in text and word_pattern(phrase).search(text) is not None


@lru_cache(maxsize=4096)
def _longest_first(phrases: tuple[str, ...]) -> tuple[tuple[str, re.Pattern], ...]:
    """(lower case, plural pattern) of each phrase, longest first, non-empty only: once per set of names."""
    return tuple((phrase.lower(), plural_pattern(phrase)) for phrase in sorted(phrases, key=len, reverse=True)
                 if phrase)


def strip_phrases(text: str, phrases) -> str:
    """``text`` with every phrase (and its plural) replaced by a mark, longest first."""
    for lowered, pattern in _longest_first(tuple(phrases)):
        if lowered in text:
            text = pattern.sub(" # ", text)
    return text


def strip_labels(facts: SampleFacts, text: str) -> str:
    """``strip_phrases(text, facts.labels)``, once per sample and text (several checks strip the same clause)."""
    return sample_memo(facts.memo, ("strip_labels", text), lambda: strip_phrases(text, facts.labels))


def claim_sentences(text: str, facts: SampleFacts) -> list[tuple[str, bool]]:
    """The sentences of ``text`` with a flag: True for quoted knowledge, False for claims about this image."""
    spans = []
    masked = text
    for quoted in sorted(set(facts.knowledge_sentences), key=len, reverse=True):
        if quoted and quoted in masked:
            spans.append(quoted)
            masked = masked.replace(quoted, " ")
    parts = [(_unmarked(part), bool(CITATION.search(part))) for part in SPLIT.split(masked)]
    return [(part, cited) for part, cited in parts if part] + [(quoted, True) for quoted in spans]


def _unmarked(part: str) -> str:
    """A sentence without the layout a model puts around it: emphasis, a heading's marks, a list marker (a part
    that is only a marker, "2." between two sentences, is no sentence), a thousands separator ("13,500")."""
    part = part.strip()
    if "*" in part or "_" in part or "`" in part:
        part = _EMPHASIS.sub("", part).strip()
    if _BARE_MARKER.match(part):
        return ""
    if "," in part:
        part = _THOUSANDS.sub("", part)
    return _LIST_MARKER.sub("", part)


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


@lru_cache(maxsize=1024)
def _ordinal_pattern(label: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z])({'|'.join(ORDINALS)})\s+{re.escape(label)}")


def ordinal_mentions(sentence: str, subjects: list[RegionFacts]) -> list[tuple[int, RegionFacts]]:
    """(position, ROI) for each 'the second enhancing lesion' in a sentence (n-th ROI of that label, row order)."""
    found = []
    if len(subjects) < 2 or not any(word in sentence for word in ORDINALS):  # nothing to find: skip the patterns
        return found
    for label in {roi.label.lower() for roi in subjects}:
        same = [roi for roi in subjects if roi.label.lower() == label]
        if len(same) < 2:
            continue
        for match in _ordinal_pattern(label).finditer(sentence):
            position = ORDINALS.index(match.group(1))
            if position < len(same):
                found.append((match.start(), same[position]))
    return sorted(found, key=lambda item: item[0])


def _by_ordinal(sentence: str, subjects: list[RegionFacts]) -> list[RegionFacts]:
    """A sentence naming exactly one 'n-th' ROI speaks of that ROI only."""
    mentioned = {id(roi): roi for _, roi in ordinal_mentions(sentence, subjects)}
    return list(mentioned.values()) if len(mentioned) == 1 else subjects


_RANK_WORDS = {"largest": max, "larger": max, "biggest": max, "bigger": max, "dominant": max,
               "smallest": min, "smaller": min, "tiniest": min}
_RANK_HINT = literals("larg", "bigg", "domin", "small", "tini")  # in every rank word
RANK_MARGIN = 1.1  # the ranked region must exceed the next by a tenth, or "the larger" names neither


@lru_cache(maxsize=1024)
def _rank_pattern(label: str) -> re.Pattern:
    """"the larger nodule", "the largest of the three nodules", "a larger 3 cm nodule": a rank word, then the label
    (a count and a size may stand between)."""
    return re.compile(rf"(?<![a-z])({'|'.join(_RANK_WORDS)})\s+(?:of\s+the\s+(?:two|three|four|five|six|\d+)\s+)?"
                      rf"(?:\d+(?:\.\d+)?\s*(?:mm|cm)\s+)?{re.escape(label)}(?:s|es)?(?![a-z])")


def _size_key(roi: RegionFacts) -> float | None:
    return roi.largest_diameter_mm if roi.largest_diameter_mm is not None else (
        roi.area_mm2 if roi.area_mm2 is not None else roi.area_px)


def ranked_mentions(sentence: str, subjects: list[RegionFacts]) -> list[RegionFacts]:
    """The ROIs a sentence picks out by rank ("the larger nodule": the nodule with the largest diameter, or area
    where no diameter was measured), among two or more of one label whose sizes are all known and set apart, where
    the sentence names that label only by rank."""
    if len(subjects) < 2 or not may_match(_RANK_HINT, sentence):
        return []
    found = {}
    for label in {roi.label.lower() for roi in subjects}:
        same = [roi for roi in subjects if roi.label.lower() == label]
        keys = [_size_key(roi) for roi in same]
        if len(same) < 2 or any(key is None for key in keys):
            continue
        matches = list(_rank_pattern(label).finditer(sentence))
        if len(plural_pattern(label).findall(sentence)) > len(matches):
            continue  # the sentence speaks of the label unranked too ("a 12 mm nodule ... and a larger 3 cm nodule")
        for match in matches:
            pick = _RANK_WORDS[match.group(1)]
            ordered = sorted(zip(keys, range(len(same)), strict=True), reverse=pick is max)
            (first, index), (second, _) = ordered[0], ordered[1]
            if max(first, second) >= RANK_MARGIN * min(first, second):
                found[id(same[index])] = same[index]
    return list(found.values())


def _by_rank(sentence: str, subjects: list[RegionFacts]) -> list[RegionFacts]:
    """A sentence naming exactly one ROI by rank ("the smaller nodule") speaks of that ROI only."""
    ranked = ranked_mentions(sentence, subjects)
    return ranked if len(ranked) == 1 else subjects


@text_cache()
def named_subjects(raw: str, labels: tuple[str, ...]) -> tuple[str, frozenset[str], bool]:
    """(the sentence in lower case, the labels it names, whether it speaks of a lesion-like noun or "it")."""
    sentence = raw.lower()
    rest, named_labels = sentence, set()
    for label in labels:
        if label in rest and plural_pattern(label).search(rest):
            named_labels.add(label)
            rest = strip_phrases(rest, [label])
    for head, label in short_names(labels):
        if label not in named_labels and head in rest and plural_pattern(head).search(rest):
            named_labels.add(label)  # "the effusion" of a "pleural effusion" box
            rest = strip_phrases(rest, [head])
    return sentence, frozenset(named_labels), GENERIC_SUBJECT.search(rest) is not None


# last words too general to stand for one label ("lesion" of "enhancing lesion", "kidney" of "right kidney")
_GENERAL_HEADS = {"lesion", "lesions", "mass", "nodule", "tumor", "tumour", "region", "area", "structure", "organ",
                  "lung", "lobe", "kidney", "rib", "vertebra", "muscle", "bone", "vein", "veins", "artery", "gland",
                  "bowel", "cells", "tissue", "spinae", "zone", "part", "segment"}


@lru_cache(maxsize=1024)
def short_names(labels: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(last word, label) of each label of two words or more whose last word names it alone: at least five
    letters, no general noun, no side word first, the last word of no other label and no label itself ("pleural
    effusion" -> "effusion"; not "enhancing lesion", "right kidney")."""
    heads: dict[str, list[str]] = {}
    for label in labels:
        words = label.split()
        if len(words) >= 2 and words[0] not in {"left", "right"}:
            heads.setdefault(words[-1], []).append(label)
    return tuple((head, names[0]) for head, names in sorted(heads.items())
                 if len(names) == 1 and len(head) >= 5 and head not in _GENERAL_HEADS and head not in labels)


COMPARED_WITH = re.compile(r"(?<![a-z])(?:relative to|compared (?:with|to)|in comparison (?:with|to)|than|versus"
                            r"|vs\.?|similar to)(?![a-z])")
COMPARED_HINT = literals("relative to", "compared", "comparison", "than", "vs", "similar to")


def _only_compared_with(sentence: str, named_labels: frozenset[str]) -> bool:
    """Whether every region a sentence names stands after a comparison word, as what its subject is compared with
    ("34 HU, slightly hypodense relative to the liver" in a list item about the spleen)."""
    if not may_match(COMPARED_HINT, sentence):
        return False
    found = COMPARED_WITH.search(sentence)
    if found is None:
        return False
    for label in named_labels:
        at = sentence.find(label)
        if at < found.start() or "," in sentence[found.end(): at]:
            return False  # before the comparison, or after it in a clause of its own ("compared with X, the Y")
    return True


def analyse(text: str, facts: SampleFacts) -> list[ClaimSentence]:
    """Split ``text`` into sentences and find the ROIs each speaks of."""
    labels = tuple(sorted({roi.label.lower() for roi in facts.rois if roi.label}, key=len, reverse=True))
    previous: list[RegionFacts] = []
    analysed = []
    for raw, knowledge in claim_sentences(text, facts):
        sentence, named_labels, generic = named_subjects(raw, labels)
        subjects = [roi for roi in facts.rois if roi.label.lower() in named_labels]
        if subjects and previous and _only_compared_with(sentence, named_labels):
            subjects = previous  # "...; 34 HU, slightly hypodense relative to the liver": still the spleen's
        subjects = _by_ordinal(sentence, subjects)
        subjects = _by_rank(sentence, subjects)
        if not subjects and previous and generic:
            subjects = previous
        named = bool(subjects) or len(facts.rois) == 1
        if subjects and not knowledge:
            previous = subjects
        analysed.append(ClaimSentence(sentence, subjects or list(facts.rois), named, bool(subjects) or generic,
                                      knowledge))
    return analysed


def claims(sentences: list[ClaimSentence]) -> list[ClaimSentence]:
    """The sentences that speak about this image (quoted knowledge left out)."""
    return [sentence for sentence in sentences if not sentence.knowledge]
