"""Counts: "two nodules", "a single lesion", "three separate regions of X" against the ROIs of that label; "three
ribs on the left", "two vertebrae" against the labelled structures of that kind (each rib and vertebra is its own
label, so a model's count of them is a count of labels)."""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.assessment import ANNOTATED_ABSENCE
from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, strip_phrases, word_pattern
from medtrinity.quality.checks.shortcuts import literals, may_match, text_cache
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.labels import NOT_ANATOMY
from medtrinity.vocab.words import NUMBER_WORDS

_COUNT_WORD = (r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+single|single|solitary|"
               r"multiple|several|numerous)")
_COUNT_FILLER = r"\s+(?:separate\s+|distinct\s+|different\s+|discrete\s+|individual\s+)?"


def _claimed_count(word: str) -> tuple[int, bool]:
    """(count, at_least): 'multiple' means two or more."""
    word = word.replace("a ", "").strip()
    if word in {"multiple", "several", "numerous"}:
        return 2, True
    return (int(word), False) if word.isdigit() else (NUMBER_WORDS[word], False)


_WHITESPACE = re.compile(r"\s+")
_LESION_COUNT = re.compile(rf"(?<![a-z0-9.\-]){_COUNT_WORD}{_COUNT_FILLER}(?:lesions|findings|regions of "
                           rf"interest)(?![a-z])")
_NOUNS = r"lesions|findings|regions of interest|(?:regions?|areas?|foci|components?|parts?)\s+of\s+(?:the\s+)?"


@lru_cache(maxsize=256)
def _count_hint(labels: tuple[str, ...]) -> re.Pattern:
    """Pre-filter: what every count claim of these labels (or of lesions) contains, in the spaced text.

    A claim is a count word, the filler and a noun, with nothing between them that stripping a name
    puts in (its marks are no words); only the text before it can change, so a digit (which may follow
    a stripped name) is taken whatever precedes it. No match: no claim.
    """
    names = "|".join(re.escape(label) for label in labels)
    nouns = f"{_NOUNS}(?:{names})|{names}" if labels else _NOUNS
    return re.compile(rf"(?:(?<![a-z0-9.]){_COUNT_WORD}|\d){_COUNT_FILLER}(?:{nouns})")


@lru_cache(maxsize=1024)
def _label_count_patterns(label: str) -> tuple[re.Pattern, re.Pattern]:
    """'two livers' and 'three separate regions of the liver' for one (lower-case) label."""
    noun = re.escape(label)
    return (
        re.compile(rf"(?<![a-z0-9.\-]){_COUNT_WORD}{_COUNT_FILLER}{noun}(?:s|es)?(?![a-z])"),
        re.compile(rf"(?<![a-z0-9.\-]){_COUNT_WORD}{_COUNT_FILLER}(?:regions?|areas?|foci|components?|parts?)\s+of\s+"
                   rf"(?:the\s+)?{noun}(?![a-z])"),
    )


@text_cache()
def count_claims(text: str, labels: tuple[str, ...], lesions: bool) -> tuple[tuple[str, str], ...]:
    """(label, count word) of each count a sentence states of a label (longest label first, each then stripped
    so that a shorter one inside it is not counted again), and ("", word) of lesion counts when ``lesions``."""
    text = _WHITESPACE.sub(" ", text)
    if not may_match(_count_hint(labels), text):
        return ()
    found: list[tuple[str, str]] = []
    for label in labels:
        if label not in text:  # both patterns name the label: no match, nothing to strip
            continue
        for pattern in _label_count_patterns(label):
            for match in pattern.finditer(text):
                found.append((label, match.group(1)))
        text = strip_phrases(text, [label])
    if lesions:
        for match in _LESION_COUNT.finditer(text):
            found.append(("", match.group(1)))
    return tuple(found)


def check_counts(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """'Two nodules', 'a single lesion', '3 separate regions of X' must match the number of ROIs of that label."""
    measured: dict[str, int] = {}
    for roi in facts.rois:
        same = sum(1 for other in facts.rois if other.label == roi.label)
        measured[roi.label.lower()] = max(measured.get(roi.label.lower(), 0), roi.count_same_label, same)
    lesions = sum(1 for roi in facts.rois if roi.kind == "lesion")
    longest_first = tuple(sorted(measured, key=len, reverse=True))
    stated: set[tuple[str, int]] = set()  # (label or "", count) of every count stated so far
    for sentence in claims(sentences):
        for label, word in count_claims(sentence.text, longest_first, bool(lesions)):
            count, at_least = _claimed_count(word)
            truth = measured[label] if label else lesions
            if (at_least and truth < count) or (not at_least and truth != count):
                name = label or "lesion"
                return [QCIssue("count_mismatch", f"text says {word!r} {name} region(s); measured {truth}")]
            stated.add((label, count))
        issue = _none_other_issue(sentence.text, facts, measured, lesions, stated)
        if issue is not None:
            return [issue]
    return []


_LESION_NOUNS = re.compile(r"(?<![a-z])(?:lesion|nodule|mass|masse|finding|region|area|abnormalit(?:y|ie)|tumou?r"
                           r"|box|focus|foci)s?(?![a-z])")


def _none_other_issue(text: str, facts: SampleFacts, measured: dict[str, int], lesions: int,
                      stated: set[tuple[str, int]]) -> QCIssue | None:
    """"No other lesions are marked": true where one region of the kind is annotated, or where the text already
    stated how many there are; else other regions of the kind are marked (a statement of the annotation, so the
    assessment check leaves it here)."""
    found = ANNOTATED_ABSENCE.search(text) if "no " in text else None
    if found is None:
        return None
    noun = found.group(1)
    label = next((name for name in sorted(measured, key=len, reverse=True) if name in noun), "")
    if not label and not _LESION_NOUNS.search(noun):
        return None  # of a structure no region is: the organ check's
    truth = measured[label] if label else (lesions or len(facts.rois))
    if truth <= 1 or (label, truth) in stated or (not label and any(count == truth for _, count in stated)):
        return None
    return QCIssue("count_mismatch", f"text says {found.group(0)!r}; {truth} {label or 'lesion'} regions are marked")


# a kind of structure labelled one by one, as a text counts it -> the word every such label holds
_KINDS = {"ribs": "rib", "vertebrae": "vertebra", "vertebral bodies": "vertebra", "kidneys": "kidney",
          "lungs": "lung", "lobes": "lobe", "lung lobes": "lobe", "adrenal glands": "adrenal gland",
          "ventricles": "ventricle", "hemidiaphragms": "hemidiaphragm"}
_KIND_COUNT = re.compile(rf"(?<![a-z0-9.\-]){_COUNT_WORD}{_COUNT_FILLER}(?:(left|right)\s+)?"
                         rf"({'|'.join(sorted(_KINDS, key=len, reverse=True))})(?![a-z])")
_SIDE_AFTER = re.compile(r"\s+(?:\w+\s+){0,3}?on\s+the\s+(?:patient's\s+)?(left|right)(?![a-z])")
_KIND_HINT = literals(*_KINDS)


def labelled_of_kind(names: list[str] | set[str], stem: str, side: str | None = None) -> list[str]:
    """The (lower-case) label names holding ``stem`` as a word ("rib" in "left 9th rib"), on ``side`` if given."""
    return [name for name in names if word_pattern(stem).search(name) and (side is None or name.startswith(f"{side} "))]


# "29 labelled structures", "about thirty structures are segmented": all the labelled structures counted
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_ALL_COUNT = re.compile(rf"(?<![a-z0-9.\-])(?:(about|approximately|around|roughly|nearly|some|over|more than)\s+)?"
                        rf"((?:{'|'.join(_TENS)})(?:[- ](?:{_UNITS}))?(?![a-z])|{_COUNT_WORD[1:-1]}){_COUNT_FILLER}"
                        r"(?:(?:labelled|segmented|outlined|annotated|anatomical)\s+)?structures(?![a-z])")
_ALL_HINT = literals("structures")
# how far an approximate count ("about thirty") may lie from the labels counted
APPROXIMATE_COUNT_SHARE = 0.15


def _all_structures_issue(facts: SampleFacts, text: str, names: list[str]) -> QCIssue | None:
    """A count of every labelled structure, against the labels (with or without what is no anatomy, such as a
    field of view, and with or without the described regions that are not context)."""
    context = {name.lower() for name in facts.context_labels}
    anatomy = {name for name in names if name not in NOT_ANATOMY}
    truths = {len(context), len(context - NOT_ANATOMY), len(names), len(anatomy)} - {0}
    for found in _ALL_COUNT.finditer(_WHITESPACE.sub(" ", text)):
        approximate, word = found.group(1), found.group(2)
        tens, _, unit = word.replace("-", " ").partition(" ")
        count, at_least = (_TENS[tens] + (NUMBER_WORDS[unit] if unit else 0), False) if tens in _TENS \
            else _claimed_count(word)
        if at_least or approximate in ("over", "more than"):
            supported = any(truth >= count for truth in truths)
        elif approximate:
            supported = any(abs(truth - count) <= max(1.0, APPROXIMATE_COUNT_SHARE * truth) for truth in truths)
        else:
            supported = count in truths
        if not supported:
            return QCIssue("count_mismatch", f"text counts {found.group(0).strip()!r}; "
                                             f"{' or '.join(str(truth) for truth in sorted(truths))} labelled")
    return None


def check_structure_counts(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions
                           ) -> list[QCIssue]:
    """"Three ribs on the left", "two vertebrae": the number of labelled structures of that kind (on that side);
    "29 labelled structures": the number of all of them."""
    names = sorted({name.lower() for name in (*facts.context_labels, *(roi.label for roi in facts.rois))})
    if not names:
        return []
    for sentence in claims(sentences):
        if may_match(_ALL_HINT, sentence.text):
            issue = _all_structures_issue(facts, sentence.text, names)
            if issue is not None:
                return [issue]
        if not may_match(_KIND_HINT, sentence.text):
            continue
        for found in _KIND_COUNT.finditer(_WHITESPACE.sub(" ", sentence.text)):
            word, side, kind = found.group(1), found.group(2), found.group(3)
            if side is None:
                after = _SIDE_AFTER.match(found.string, found.end())
                side = after.group(1) if after else None
            counted = labelled_of_kind(names, _KINDS[kind], side)
            if not counted:
                continue  # none labelled: the anatomy check's (an organ nothing names)
            count, at_least = _claimed_count(word)
            if (at_least and len(counted) < count) or (not at_least and len(counted) != count):
                where = f" on the {side}" if side else ""
                return [QCIssue("count_mismatch", f"text counts {word!r} {kind}{where}; {len(counted)} labelled")]
    return []
